package dev.wabamigrator.importer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How {@code import} shows a batch to a person: one progress line, then a summary table. */
final class BatchReport {
    private static final int BAR = 24;
    private static final int LISTED = 50;

    private BatchReport() {
    }

    /** One line: a bar of the settled share, counts by state and by what the waiting ones wait for, rate, ETA. */
    static String progressLine(BatchWatch watch, int rows) {
        if (watch.progress() == null) {
            return String.format(Locale.ROOT, "waiting for the service's first report on the batch: %d of %d rows taken in",
                    watch.answeredRows(), rows);
        }
        Map<String, Long> states = watch.states();
        Map<String, Long> awaiting = watch.awaiting();
        long total = Math.max(watch.total(), 1);
        long settled = watch.total() - states.get("RUNNING");
        int filled = (int) Math.min(BAR, Math.round(BAR * (double) settled / total));
        JsonNode progress = watch.progress();
        JsonNode eta = progress.path("etaSeconds");
        return String.format(Locale.ROOT,
                "[%s%s] %d/%d settled | running %d | waiting: code %d, acceptance %d, person %d | completed %d, "
                        + "failed %d, cancelled %d | rejected %d | %.1f/s | ETA %s",
                "#".repeat(filled), ".".repeat(BAR - filled), settled, watch.total(), states.get("RUNNING"),
                awaiting.get("VERIFICATION_CODE"), awaiting.get("CUSTOMER_ACCEPTANCE"), awaiting.get("HUMAN_ACTION"),
                states.get("COMPLETED"), states.get("FAILED"), states.get("CANCELLED"), watch.rejections().size(),
                progress.path("migrationsPerSecond").asDouble(0), eta.isNumber() ? duration(eta.asLong()) : "-");
    }

    /** The table of counts, then the migrations that failed, wait for a person, or were rejected, with why. */
    static void summary(PrintStream out, BatchWatch watch, String batchId, String flow, int rows, String verdict) {
        out.println();
        out.printf("Batch %s (%s), %d rows: %s%n%n", batchId, flow, rows, verdict);
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
            attention.stream().limit(LISTED).forEach(a -> out.printf("  %-16s %-40s %-13s %s%n", (Object[]) a));
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
