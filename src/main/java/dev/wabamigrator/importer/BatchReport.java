package dev.wabamigrator.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How {@code import} shows a batch to a person: one progress line, then a summary table. */
final class BatchReport {
    private static final int BAR = 20;
    private static final int LISTED = 50;
    /** Characters of a reason shown in the table; the events carry the whole text. */
    private static final int REASON = 120;

    private BatchReport() {
    }

    /**
     * One line: a bar of the settled share (no longer running), then running and completed, the other counts only
     * when not zero (short enough for a terminal line), the rate and the ETA.
     */
    static String progressLine(BatchWatch watch, int rows) {
        if (watch.progress() == null) {
            return String.format(Locale.ROOT, "waiting for the service's first report on the batch: %d of %d rows taken in",
                    watch.answeredRows(), rows);
        }
        Map<String, Long> states = watch.states();
        Map<String, Long> awaiting = watch.awaiting();
        // the file's rows until the service has taken them all in; more if the batch also has migrations of other files
        long total = Math.max(watch.total(), rows - watch.rejections().size());
        long settled = watch.total() - states.get("RUNNING");
        int filled = total == 0 ? BAR : (int) Math.min(BAR, Math.round(BAR * (double) settled / total));
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%s%s] %d/%d | running %d | completed %d",
                "#".repeat(filled), ".".repeat(BAR - filled), settled, total, states.get("RUNNING"),
                states.get("COMPLETED")));
        nonZero(line, "waiting for a code", awaiting.get("VERIFICATION_CODE"));
        nonZero(line, "for acceptance", awaiting.get("CUSTOMER_ACCEPTANCE"));
        nonZero(line, "for a person", awaiting.get("HUMAN_ACTION"));
        nonZero(line, "failed", states.get("FAILED"));
        nonZero(line, "cancelled", states.get("CANCELLED"));
        nonZero(line, "rejected", watch.rejections().size());
        JsonNode eta = watch.progress().path("etaSeconds");
        line.append(String.format(Locale.ROOT, " | %.1f/s | ETA %s", watch.progress().path("migrationsPerSecond").asDouble(0),
                eta.isNumber() ? duration(eta.asLong()) : "-"));
        return line.toString();
    }

    private static void nonZero(StringBuilder line, String label, long count) {
        if (count > 0) {
            line.append(" | ").append(label).append(' ').append(count);
        }
    }

    /** The table of counts, then the migrations that failed, wait for a person, or were rejected, with why. */
    static void summary(PrintStream out, BatchWatch watch, String batchId, String flow, int rows, String verdict) {
        out.println();
        out.printf("Batch %s (%s), %d row%s: %s%n%n", batchId, flow, rows, rows == 1 ? "" : "s", verdict);
        out.printf("  %-24s %7s%n", "state", "count");
        Map<String, Long> states = watch.states();
        Map<String, Long> awaiting = watch.awaiting();
        for (String state : BatchWatch.STATES) {
            out.printf("  %-24s %7d%n", state, states.get(state));
            if (state.equals("AWAITING_INPUT")) {
                awaiting.forEach((kind, count) -> out.printf("    %-22s %7d%n", kind, count));
            }
        }
        out.printf("  %-24s %7d%n", "rejected", watch.rejections().size());
        out.printf("  %-24s %7d%n", "total in the batch", watch.total());

        List<String[]> attention = new ArrayList<>();
        for (BatchWatch.Migration m : watch.migrations()) {
            if (m.state().equals("FAILED")) {
                attention.add(new String[]{m.phone(), m.migrationId(), "FAILED", m.reason()});
            } else if (m.state().equals("AWAITING_INPUT") && "HUMAN_ACTION".equals(m.awaiting())) {
                attention.add(new String[]{m.phone(), m.migrationId(), "HUMAN_ACTION", m.reason()});
            }
        }
        watch.rejections().values().forEach(r -> attention.add(new String[]{r.phone(), r.commandId(),
                "REJECTED", r.code() + ": " + r.message()}));
        if (!attention.isEmpty()) {
            out.printf("%nNeeds attention (%d):%n", attention.size());
            out.printf("  %-16s %-40s %-13s %s%n", "number", "migration (or command)", "why", "reason");
            attention.stream().limit(LISTED).forEach(a -> out.printf("  %-16s %-40s %-13s %s%n", a[0], a[1], a[2],
                    a[3].length() > REASON ? a[3].substring(0, REASON) + "..." : a[3]));
            if (attention.size() > LISTED) {
                out.printf("  ... and %d more: see the events of batch %s%n", attention.size() - LISTED, batchId);
            }
        }
        long codes = awaiting.get("VERIFICATION_CODE");
        long acceptances = awaiting.get("CUSTOMER_ACCEPTANCE");
        if (codes > 0) {
            out.printf("%n%d migrations wait for a verification code: send SubmitVerificationCode for each.%n", codes);
        }
        if (acceptances > 0) {
            out.printf("%n%d migrations wait for the customer to accept in Meta Business Suite; they go on by "
                    + "themselves once accepted.%n", acceptances);
        }
    }

    static String duration(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
