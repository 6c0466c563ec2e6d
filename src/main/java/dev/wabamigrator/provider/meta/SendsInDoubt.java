package dev.wabamigrator.provider.meta;

import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;

/**
 * The sends of a step's call that is not safe to repeat whose answers left their effect unknown (a 5xx, an unreadable
 * body, Graph 1/2/131000), in a row, with the last answer's code and {@code fbtrace_id}. Kept in the migration's
 * control state (the {@code control} column, never in events) so the count outlives the runs in between: each such send is read back, and
 * once {@code app.provider.meta.max-sends-in-doubt} of them were shown not done, a person is asked instead of a
 * further send. A definite answer to the call, or the step done, forgets it.
 */
record SendsInDoubt(int count, String code, String traceId) {
    private static final String PREFIX = "sendsInDoubt:";
    private static final SendsInDoubt NONE = new SendsInDoubt(0, null, null);

    static SendsInDoubt of(Migration m) {
        String kept = m.mark(PREFIX + m.getStep());
        if (kept == null) {
            return NONE;
        }
        String[] parts = kept.split(" ", 3);
        return new SendsInDoubt(Integer.parseInt(parts[0]), value(parts, 1), value(parts, 2));
    }

    SendsInDoubt plusOne(ProviderError answer) {
        return new SendsInDoubt(count + 1, answer.code(), answer.traceId());
    }

    void keep(Migration m) {
        m.setMark(PREFIX + m.getStep(), count + " " + (code == null ? "-" : code) + " "
                + (traceId == null ? "-" : traceId));
    }

    static void forget(Migration m) {
        m.setMark(PREFIX + m.getStep(), null);
    }

    /** For a reason a person reads: "3 sends, the last answered 131000 (fbtrace_id Axyz)". */
    String describe() {
        return count + " send(s) got no definite answer, the last " + (code == null ? "none" : code)
                + (traceId == null ? "" : " (fbtrace_id " + traceId + ")");
    }

    private static String value(String[] parts, int i) {
        return parts.length > i && !"-".equals(parts[i]) ? parts[i] : null;
    }
}
