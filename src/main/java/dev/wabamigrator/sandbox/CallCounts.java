package dev.wabamigrator.sandbox;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Calls a sandbox received, by operation and key (a number, an id): what its stats control endpoint shows. */
final class CallCounts {

    private final Map<String, Map<String, AtomicInteger>> counts = new ConcurrentHashMap<>();

    void count(String operation, String key) {
        counts.computeIfAbsent(operation, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    int get(String operation, String key) {
        Map<String, AtomicInteger> byKey = counts.get(operation);
        AtomicInteger n = byKey == null ? null : byKey.get(key);
        return n == null ? 0 : n.get();
    }

    /** operation → key → calls, sorted. */
    Map<String, Map<String, Integer>> snapshot() {
        Map<String, Map<String, Integer>> out = new TreeMap<>();
        counts.forEach((op, byKey) -> {
            Map<String, Integer> m = new TreeMap<>();
            byKey.forEach((k, v) -> m.put(k, v.get()));
            out.put(op, m);
        });
        return out;
    }

    void clear() {
        counts.clear();
    }
}
