package dev.wabamigrator.sandbox;

import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;

/**
 * At most N requests per operation in any rolling second of the sandbox clock, as cams does: N is the configured
 * maximum for the operations cams allows 10, and the same share of it for one it allows fewer (the template listing,
 * 5: half).
 */
final class CamsRateLimit {

    private static final long WINDOW_MS = 1000;

    private final int maxRequestsPerSecond;
    private final Map<CamsOperation, ArrayDeque<Long>> windows = new EnumMap<>(CamsOperation.class);

    /** @param maxRequestsPerSecond 0 or less: no limit */
    CamsRateLimit(int maxRequestsPerSecond) {
        this.maxRequestsPerSecond = maxRequestsPerSecond;
        for (CamsOperation op : CamsOperation.values()) {
            windows.put(op, new ArrayDeque<>());
        }
    }

    int maxRequestsPerSecond() {
        return maxRequestsPerSecond;
    }

    /** The limit of {@code op} per rolling second. */
    int limit(CamsOperation op) {
        return Math.max(1, maxRequestsPerSecond * op.limitPerSecond() / CamsOperation.MIGRATION_LIMIT_PER_SECOND);
    }

    /** 0 when a slot was taken in the rolling window of {@code op}, else ms until one frees. */
    long acquire(CamsOperation op, long nowMs) {
        if (maxRequestsPerSecond <= 0) {
            return 0;
        }
        int max = limit(op);
        ArrayDeque<Long> window = windows.get(op);
        synchronized (window) {
            while (!window.isEmpty() && window.peekFirst() <= nowMs - WINDOW_MS) {
                window.pollFirst();
            }
            if (window.size() < max) {
                window.addLast(nowMs);
                return 0;
            }
            return Math.max(1, window.peekFirst() + WINDOW_MS - nowMs);
        }
    }

    void clear() {
        windows.values().forEach(w -> {
            synchronized (w) {
                w.clear();
            }
        });
    }
}
