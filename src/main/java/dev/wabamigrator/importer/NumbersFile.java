package dev.wabamigrator.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.event.MessageSchemas;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The numbers file of {@code import}: a header row naming the columns, then one number per row with the fields of
 * its flow. Every row becomes a StartMigration command and is checked against the same JSON Schema intake checks
 * (so the file and the service never disagree), plus duplicates within the file, before anything is sent.
 */
public final class NumbersFile {
    /** Longest batch id: the migration ids are {@code <batch>-<E.164 digits>} and a migration id has 64 characters at most. */
    public static final int MAX_BATCH_ID = 45;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PHONE_COLUMNS = List.of("countryCode", "number");
    /** The columns of each flow: the StartMigration fields of that flow (start-migration-command.v1.json). */
    private static final Map<String, List<String>> FLOW_COLUMNS = Map.of(
            "ALIBABA_CHATAPP", List.of("custSpaceId", "verifyMethod", "locale"),
            "META_MPS", List.of("sourceWabaId", "businessPortfolioId", "displayPhoneNumber", "verifiedName", "pin"),
            "META_CLASSIC", List.of("destinationWabaId", "displayPhoneNumber", "verifiedName", "pin", "codeMethod",
                    "language"));
    public static final List<String> FLOWS = List.of("ALIBABA_CHATAPP", "META_MPS", "META_CLASSIC");

    private static final Pattern REQUIRED = Pattern.compile("^\\$[.\\w]*: required property '(\\w+)' not found$");
    private static final Pattern AT_PATH = Pattern.compile("^\\$((?:\\.\\w+)*): (.*)$");

    /** One row, ready to send: the record key (E.164 digits) and the command. */
    public record Row(int line, String phone, String commandId, String migrationId, ObjectNode command) {
    }

    /** Every row of the file, or every problem found (each naming its line): never both. */
    public record Result(List<Row> rows, List<String> errors) {
        public boolean valid() {
            return errors.isEmpty();
        }
    }

    private NumbersFile() {
    }

    /** The columns a file of this flow may have, the number's first. */
    public static List<String> columns(String flow) {
        List<String> columns = new ArrayList<>(PHONE_COLUMNS);
        columns.addAll(FLOW_COLUMNS.get(flow));
        return columns;
    }

    /** The stable ids of a number in a batch: a re-run sends the very same commands, which the service drops. */
    public static String migrationId(String batchId, String phone) {
        return batchId + "-" + phone;
    }

    public static String commandId(String batchId, String phone) {
        return "import-" + batchId + "-" + phone;
    }

    public static Result read(Path file, String batchId, String flow) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return problem(file + ": cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        return parse(text, file.getFileName().toString(), batchId, flow);
    }

    static Result parse(String text, String name, String batchId, String flow) {
        if (!FLOWS.contains(flow)) {
            return problem("--flow " + flow + ": unknown flow; one of " + String.join(", ", FLOWS));
        }
        if (batchId.length() > MAX_BATCH_ID) {
            return problem("--batch: at most " + MAX_BATCH_ID + " characters (the migration ids are <batch>-<number>)");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // a byte order mark, as spreadsheet programs write
        }
        int[] lineStarts = lineStarts(text);
        CSVFormat format = CSVFormat.DEFAULT.builder()
                .setHeader().setSkipHeaderRecord(true)
                .setTrim(true).setIgnoreEmptyLines(true).setCommentMarker('#')
                .setAllowMissingColumnNames(false).setDuplicateHeaderMode(org.apache.commons.csv.DuplicateHeaderMode.DISALLOW)
                .get();
        List<String> errors = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        try (CSVParser parser = CSVParser.parse(new StringReader(text), format)) {
            List<String> header = parser.getHeaderNames();
            Map<String, String> columnOf = headerColumns(header, flow, name, errors);
            if (!errors.isEmpty()) {
                return new Result(List.of(), errors);
            }
            Set<String> batchProblems = new LinkedHashSet<>();
            Map<String, Integer> firstLineOf = new HashMap<>();
            for (CSVRecord record : parser) {
                int line = lineOf(text, lineStarts, (int) record.getCharacterPosition());
                if (record.size() != header.size()) {
                    errors.add("line " + line + ": " + record.size() + " cells, the header names " + header.size());
                    continue;
                }
                ObjectNode command = command(record, header, columnOf, batchId, flow);
                String phone = command.path("phoneNumber").path("countryCode").asText()
                        + command.path("phoneNumber").path("number").asText();
                command.put("commandId", commandId(batchId, phone));
                command.put("migrationId", migrationId(batchId, phone));
                List<String> problems = new ArrayList<>();
                for (String violation : MessageSchemas.shared().validateCommand("StartMigration", command)) {
                    if (violation.startsWith("$.batchId")) {
                        batchProblems.add("--batch" + violation.substring("$.batchId".length()));
                    } else if (!violation.startsWith("$.commandId") && !violation.startsWith("$.migrationId")) {
                        problems.add(readable(violation)); // the ids follow from the number: its own errors say it
                    }
                }
                Integer first = firstLineOf.putIfAbsent(phone, line);
                if (first != null && problems.isEmpty()) {
                    problems.add("number " + phone + " is also on line " + first);
                }
                problems.forEach(p -> errors.add("line " + line + ": " + p));
                if (problems.isEmpty()) {
                    rows.add(new Row(line, phone, commandId(batchId, phone), migrationId(batchId, phone), command));
                }
            }
            if (!batchProblems.isEmpty()) {
                return new Result(List.of(), List.copyOf(batchProblems));
            }
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException | IOException e) {
            errors.add(name + ": not a readable CSV file: " + e.getMessage());
        }
        if (errors.isEmpty() && rows.isEmpty()) {
            errors.add(name + ": no numbers (a header row, then one number per row)");
        }
        return errors.isEmpty() ? new Result(rows, List.of()) : new Result(List.of(), errors);
    }

    /** Header name → canonical column, matched without regard to case; unknown or missing columns are errors. */
    private static Map<String, String> headerColumns(List<String> header, String flow, String name, List<String> errors) {
        List<String> allowed = columns(flow);
        Map<String, String> byLowerCase = new HashMap<>();
        allowed.forEach(c -> byLowerCase.put(c.toLowerCase(Locale.ROOT), c));
        Map<String, String> columnOf = new LinkedHashMap<>();
        for (String column : header) {
            String known = byLowerCase.get(column.toLowerCase(Locale.ROOT));
            if (known == null) {
                errors.add("line 1: unknown column '" + column + "'; the columns of " + flow + " are "
                        + String.join(", ", allowed));
            } else {
                columnOf.put(column, known);
            }
        }
        for (String required : PHONE_COLUMNS) {
            if (!columnOf.containsValue(required)) {
                errors.add("line 1: no column '" + required + "' (" + name + " needs a header row naming "
                        + "countryCode, number and the fields of " + flow + ")");
            }
        }
        return columnOf;
    }

    /** The StartMigration of one row; an empty cell is a field left out. */
    private static ObjectNode command(CSVRecord record, List<String> header, Map<String, String> columnOf,
                                      String batchId, String flow) {
        ObjectNode command = JSON.createObjectNode();
        command.put("type", "StartMigration");
        command.put("batchId", batchId);
        command.put("flow", flow);
        ObjectNode phone = command.putObject("phoneNumber");
        ObjectNode fields = command.putObject(flow.equals("ALIBABA_CHATAPP") ? "alibaba" : "meta");
        for (int i = 0; i < header.size(); i++) {
            String value = record.get(i);
            if (value.isEmpty()) {
                continue;
            }
            String column = columnOf.get(header.get(i));
            (PHONE_COLUMNS.contains(column) ? phone : fields).put(column, value);
        }
        return command;
    }

    /** A schema violation in the file's words: the column instead of the JSON path. Never quotes a value. */
    static String readable(String violation) {
        Matcher required = REQUIRED.matcher(violation);
        if (required.matches()) {
            return required.group(1) + ": missing (the cell is empty or there is no such column)";
        }
        Matcher atPath = AT_PATH.matcher(violation);
        if (atPath.matches() && !atPath.group(1).isEmpty()) {
            List<String> path = Arrays.asList(atPath.group(1).substring(1).split("\\."));
            return path.get(path.size() - 1) + ": " + atPath.group(2);
        }
        return violation;
    }

    private static int[] lineStarts(String text) {
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n'))) {
                starts.add(i + 1);
            }
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** 1-based line where a record starting at this position has its values: past comment and blank lines. */
    private static int lineOf(String text, int[] lineStarts, int position) {
        int found = Arrays.binarySearch(lineStarts, position);
        int index = found >= 0 ? found : -found - 2;
        while (index + 1 < lineStarts.length) {
            String line = text.substring(lineStarts[index], lineStarts[index + 1]).trim();
            if (!line.isEmpty() && !line.startsWith("#")) {
                break;
            }
            index++;
        }
        return index + 1;
    }

    private static Result problem(String message) {
        return new Result(List.of(), List.of(message));
    }
}
