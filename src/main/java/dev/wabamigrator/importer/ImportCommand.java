package dev.wabamigrator.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code import numbers.csv --batch ID [--flow FLOW] [--no-wait]}: a Kafka client of a running service. Checks every
 * row, sends one StartMigration per number with ids that follow from the batch and the number (a re-run sends
 * nothing twice), then follows the batch on the events topic until no migration of it is running, and prints a
 * summary. The exit code says how the batch ended.
 */
public final class ImportCommand {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED_OR_REJECTED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_AWAITING_INPUT = 3;
    public static final int EXIT_NO_BROKER = 4;

    public static final String HELP = """
            Usage: java -jar target/waba-migrator.jar import <numbers.csv> --batch <id> [--flow <flow>] [--no-wait]

            Starts one migration per row of a CSV file on a running waba-migrator service, shows the batch's
            progress until no migration of it is running, then a summary.

              <numbers.csv>   a header row naming the columns, then one number per row (# starts a comment line):
                                every flow        countryCode, number
                                ALIBABA_CHATAPP   custSpaceId, and optionally verifyMethod (sms|voice), locale
                                META_MPS          sourceWabaId, businessPortfolioId, displayPhoneNumber,
                                                  verifiedName, pin
                                META_CLASSIC      destinationWabaId, displayPhoneNumber, verifiedName, pin, and
                                                  optionally codeMethod (SMS|VOICE), language
                              Every row is checked as the service checks a StartMigration, and numbers must not
                              repeat; any error is listed with its line number and nothing is sent.
              --batch <id>    names the batch: 1 to 45 letters, digits and . _ : - (with a letter, _ or :).
                              Migration ids are <id>-<E.164 digits> and command ids import-<id>-<digits>, so
                              running the same file again sends nothing twice and shows the batch again.
              --flow <flow>   ALIBABA_CHATAPP (default), META_MPS or META_CLASSIC
              --no-wait       send the commands and exit without following the batch
              --help          this text

            Kafka: the brokers in KAFKA_BROKERS, else localhost:9092 (the broker the service starts on its
            embedded defaults). Ctrl-C stops following only: the migrations go on; run again to follow them.
            The log goes to <DATA_DIR>/logs/import.log (DATA_DIR defaults to ./data).

            Exit codes:
              0  every migration completed or was cancelled (with --no-wait: the commands were sent)
              1  some migration failed, or the service rejected a command
              2  usage error or invalid CSV: nothing was sent
              3  some migration waits for input: a verification code, the customer's acceptance, or a person
              4  no Kafka broker answered, or the service's topics are not there
            """;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BROKER_WAIT = Duration.ofSeconds(5);
    /** How long to wait for the service's first report once every migration has stopped running by its events. */
    private static final Duration REPORT_GRACE = Duration.ofSeconds(15);
    private static final Duration PLAIN_LINE_EVERY = Duration.ofSeconds(2);

    /** Where the service is: brokers, its topics, and the consumer group that takes the commands in. */
    public record Connection(String brokers, String commandsTopic, String eventsTopic, String consumerGroup) {
        /** KAFKA_BROKERS, else the embedded broker's port; topic names as the service's application.properties. */
        public static Connection fromEnvironment(Map<String, String> environment) {
            Properties defaults = new Properties();
            try (InputStream in = ImportCommand.class.getResourceAsStream("/application.properties")) {
                defaults.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String brokers = environment.getOrDefault("KAFKA_BROKERS", "").trim();
            if (brokers.isEmpty()) {
                brokers = "localhost:" + defaults.getProperty("app.kafka.embedded.port").trim();
            }
            return new Connection(brokers, setting(defaults, "app.kafka.topic.commands"),
                    setting(defaults, "app.kafka.topic.events"), setting(defaults, "app.kafka.consumer-group"));
        }

        private static String setting(Properties defaults, String key) {
            return System.getProperty(key, defaults.getProperty(key)).trim();
        }
    }

    record Options(Path file, String batchId, String flow, boolean noWait) {
        static Options parse(List<String> args) {
            Path file = null;
            String batch = null;
            String flow = "ALIBABA_CHATAPP";
            boolean noWait = false;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--batch" -> batch = value(args, ++i, arg);
                    case "--flow" -> flow = value(args, ++i, arg);
                    case "--no-wait" -> noWait = true;
                    default -> {
                        if (arg.startsWith("--batch=")) {
                            batch = arg.substring("--batch=".length());
                        } else if (arg.startsWith("--flow=")) {
                            flow = arg.substring("--flow=".length());
                        } else if (arg.startsWith("-") || file != null) {
                            throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                        } else {
                            file = Path.of(arg);
                        }
                    }
                }
            }
            if (file == null) {
                throw new IllegalArgumentException("no CSV file given");
            }
            if (batch == null || batch.isBlank()) {
                throw new IllegalArgumentException("--batch <id> is required: it names the batch and makes re-runs safe");
            }
            return new Options(file, batch, flow, noWait);
        }

        private static String value(List<String> args, int i, String option) {
            if (i >= args.size() || args.get(i).startsWith("--")) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args.get(i);
        }
    }

    private final Connection kafka;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean interactive;

    /**
     * @param interactive whether {@code out} is a terminal: the progress line is then redrawn in place, otherwise
     *                    printed as plain lines now and then
     */
    public ImportCommand(Connection kafka, PrintStream out, PrintStream err, boolean interactive) {
        this.kafka = kafka;
        this.out = out;
        this.err = err;
        this.interactive = interactive;
    }

    /** Runs {@code import} with the arguments after the word {@code import}; returns the exit code. */
    public int run(List<String> args) {
        if (args.contains("--help") || args.contains("-h")) {
            out.print(HELP);
            return EXIT_OK;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException usage) {
            err.println("import: " + usage.getMessage());
            err.println("Usage: java -jar target/waba-migrator.jar import <numbers.csv> --batch <id> [--flow <flow>] "
                    + "[--no-wait]   (--help for more)");
            return EXIT_USAGE;
        }
        NumbersFile.Result file = NumbersFile.read(options.file(), options.batchId(), options.flow());
        if (!file.valid()) {
            file.errors().forEach(e -> err.println(options.file().getFileName() + ": " + e));
            err.printf("%d problem%s in %s: nothing was sent.%n", file.errors().size(),
                    file.errors().size() == 1 ? "" : "s", options.file());
            return EXIT_USAGE;
        }
        out.printf("%s: %d number%s, flow %s, batch %s%n", options.file(), file.rows().size(),
                file.rows().size() == 1 ? "" : "s", options.flow(), options.batchId());
        try (Admin admin = Admin.create(adminProperties())) {
            String missing = serviceMissing(admin);
            if (missing != null) {
                err.println(missing);
                return EXIT_NO_BROKER;
            }
            warnIfNoServiceConsumes(admin);
        }
        return follow(options, file.rows());
    }

    private int follow(Options options, List<NumbersFile.Row> rows) {
        BatchWatch watch = new BatchWatch(options.batchId(), rows.stream().map(NumbersFile.Row::commandId).toList(),
                rows.stream().map(NumbersFile.Row::migrationId).toList());
        try (KafkaConsumer<String, String> events = new KafkaConsumer<>(consumerProperties())) {
            // the whole topic from its start: what earlier runs of this batch already did is part of the answer
            List<TopicPartition> partitions = events.partitionsFor(kafka.eventsTopic()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            events.assign(partitions);
            events.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = events.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> events.position(p) < end.get(p))) {
                poll(events, watch);
            }
            List<NumbersFile.Row> unanswered = rows.stream()
                    .filter(r -> !watch.answered(r.commandId(), r.migrationId())).toList();
            int sent = send(unanswered);
            if (sent < 0) {
                return EXIT_NO_BROKER;
            }
            out.printf("sent %d StartMigration commands%s%n", sent, rows.size() > sent
                    ? " (" + (rows.size() - sent) + " already taken in by the service: not sent again)" : "");
            if (options.noWait()) {
                out.printf("not following the batch (--no-wait); run the same command again without --no-wait "
                        + "to follow it: nothing is sent twice%n");
                return EXIT_OK;
            }
            watchUntilSettled(events, watch, rows.size());
        }
        return verdict(options, watch, rows.size());
    }

    private void watchUntilSettled(KafkaConsumer<String, String> events, BatchWatch watch, int rows) {
        String shown = "";
        long shownAt = 0;
        long ownSettledSince = 0;
        while (true) {
            boolean over = watch.settled() || watch.rejections().size() == rows; // all refused: nothing to follow
            if (!over && watch.progress() == null && watch.answeredRows() >= rows && watch.ownMigrationsSettled()) {
                // a service without batch reports: end on the migrations' own events after a grace period
                ownSettledSince = ownSettledSince == 0 ? System.nanoTime() : ownSettledSince;
                over = System.nanoTime() - ownSettledSince > REPORT_GRACE.toNanos();
            } else {
                ownSettledSince = 0;
            }
            String line = BatchReport.progressLine(watch, rows);
            long now = System.nanoTime();
            if (!line.equals(shown) && (over || interactive || now - shownAt > PLAIN_LINE_EVERY.toNanos())) {
                if (interactive) { // redrawn in place; spaces wipe the rest of a longer line before it
                    out.print("\r" + line + " ".repeat(Math.max(0, shown.length() - line.length())));
                } else {
                    out.println(line);
                }
                out.flush();
                shown = line;
                shownAt = now;
            }
            if (over) {
                if (interactive) {
                    out.println();
                }
                if (watch.progress() == null && !watch.migrations().isEmpty()) {
                    out.println("the service sent no report on the batch; the counts are from the migrations' events");
                }
                return;
            }
            poll(events, watch);
        }
    }

    private int verdict(Options options, BatchWatch watch, int rows) {
        Map<String, Long> states = watch.states();
        int code;
        String verdict;
        if (states.get("FAILED") > 0 || !watch.rejections().isEmpty()) {
            code = EXIT_FAILED_OR_REJECTED;
            verdict = "some migrations failed or were rejected (exit code 1)";
        } else if (states.get("AWAITING_INPUT") > 0) {
            code = EXIT_AWAITING_INPUT;
            verdict = "some migrations wait for input (exit code 3)";
        } else {
            code = EXIT_OK;
            verdict = "every migration completed or was cancelled";
        }
        BatchReport.summary(out, watch, options.batchId(), options.flow(), rows, verdict);
        return code;
    }

    private static void poll(KafkaConsumer<String, String> events, BatchWatch watch) {
        for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(200))) {
            JsonNode event;
            try {
                event = JSON.readTree(record.value());
            } catch (IOException | RuntimeException notJson) {
                continue; // not an event of this contract: nothing to count
            }
            if (event != null) {
                watch.accept(event);
            }
        }
    }

    /** Sends the commands, waits for every acknowledgement; the number sent, or -1 after saying what went wrong. */
    private int send(List<NumbersFile.Row> rows) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (NumbersFile.Row row : rows) {
                acks.add(producer.send(new ProducerRecord<>(kafka.commandsTopic(), row.phone(), row.command().toString())));
            }
            for (Future<RecordMetadata> ack : acks) {
                ack.get(60, TimeUnit.SECONDS);
            }
            return rows.size();
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            err.println("Kafka at " + kafka.brokers() + " did not take every command ("
                    + (e.getCause() != null ? e.getCause() : e) + "). Run the same command again: the commands that "
                    + "did arrive are not sent twice.");
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Null when the broker answers and holds the service's topics; otherwise what to tell the person. */
    private String serviceMissing(Admin admin) {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) BROKER_WAIT.toMillis()))
                    .nodes().get(BROKER_WAIT.toMillis() + 1000, TimeUnit.MILLISECONDS);
            Set<String> topics = admin.listTopics().names().get(BROKER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (!topics.contains(kafka.commandsTopic()) || !topics.contains(kafka.eventsTopic())) {
                return "The Kafka broker at " + kafka.brokers() + " has no topic " + kafka.eventsTopic() + " or "
                        + kafka.commandsTopic() + ": the service has not run on it yet. " + howToStart();
            }
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return "No Kafka broker answered at " + kafka.brokers() + " within " + BROKER_WAIT.toSeconds() + " s. "
                    + howToStart();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static String howToStart() {
        return "Start the service first (java -jar target/waba-migrator.jar starts it with its own broker on "
                + "localhost:9092), or set KAFKA_BROKERS to the brokers it uses.";
    }

    private void warnIfNoServiceConsumes(Admin admin) {
        try {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(kafka.consumerGroup()))
                    .describedGroups().get(kafka.consumerGroup()).get(BROKER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (group.members().isEmpty()) {
                out.println("note: no service instance is taking commands in right now (consumer group "
                        + kafka.consumerGroup() + " has no members); the commands wait on the topic until one starts");
            }
        } catch (ExecutionException | TimeoutException e) {
            // only a hint: without it the import goes on the same
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Properties adminProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.brokers());
        p.put("client.id", "waba-import-admin");
        p.put("request.timeout.ms", (int) BROKER_WAIT.toMillis());
        p.put("default.api.timeout.ms", (int) BROKER_WAIT.toMillis());
        return p;
    }

    private Properties producerProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.brokers());
        p.put("client.id", "waba-import");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("max.block.ms", "30000");
        return p;
    }

    private Properties consumerProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.brokers());
        p.put("client.id", "waba-import-" + UUID.randomUUID().toString().substring(0, 8));
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        p.put("max.poll.records", "2000");
        return p;
    }
}
