package dev.wabamigrator.sandbox;

import java.util.Map;
import java.util.TreeMap;

/** What the cams sandbox counts: calls by action and number, by action, and the throttled answers. */
final class CamsStats {

    private final CallCounts byPhone = new CallCounts();
    private final CallCounts byOperation = new CallCounts();
    private final CallCounts throttled = new CallCounts();
    private static final String ANY = "*";

    /** An authenticated call of {@code action}; {@code phone} may be null (parameters missing). */
    void call(String action, String phone) {
        byOperation.count(action, ANY);
        if (phone != null) {
            byPhone.count(action, phone);
        }
    }

    void throttled(String action) {
        throttled.count(action, ANY);
    }

    int calls(String action, String phone) {
        return byPhone.get(action, phone);
    }

    Map<String, Map<String, Integer>> calls() {
        return byPhone.snapshot();
    }

    Map<String, Integer> callsByOperation() {
        return flatten(byOperation);
    }

    Map<String, Integer> throttledByOperation() {
        return flatten(throttled);
    }

    int throttledTotal() {
        return throttledByOperation().values().stream().mapToInt(Integer::intValue).sum();
    }

    void clear() {
        byPhone.clear();
        byOperation.clear();
        throttled.clear();
    }

    private static Map<String, Integer> flatten(CallCounts counts) {
        Map<String, Integer> out = new TreeMap<>();
        counts.snapshot().forEach((op, byKey) -> out.put(op, byKey.getOrDefault(ANY, 0)));
        return out;
    }
}
