package dev.wabamigrator.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What a run costs the process: CPU (in total and split by thread group), heap, RSS and threads.
 * A {@link Mark} is taken before a run and compared with the state after it.
 */
final class Probe {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** The kernel's unit of thread CPU time in /proc (USER_HZ, 100 on Linux). */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    /** Where a thread's CPU goes: the broker (and JVM threads older than the run), the sandbox, the driver, the rest. */
    enum Group { APP, BROKER, SANDBOX, DRIVER }

    private Probe() {
    }

    /** Resets the peaks (heap pools, threads, RSS high-water mark) and remembers the CPU counters. */
    static Mark mark() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        THREADS.resetPeakThreadCount();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // resets VmHWM (Linux)
        } catch (IOException | RuntimeException e) {
            // not Linux, or not allowed: the RSS peak is then the process's lifetime peak
        }
        return new Mark(OS.getProcessCpuTime(), threadCpu(), System.nanoTime(), jitCpuMillis());
    }

    /**
     * CPU time of the JIT's compiler threads since the JVM started, in ms: from /proc on Linux (the JVM's own figure,
     * {@link CompilationMXBean#getTotalCompilationTime()}, is elapsed time, which grows while a compiler thread waits
     * for a core), otherwise that figure.
     */
    static long jitCpuMillis() {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            long ticks = 0;
            for (Path task : tasks) {
                try {
                    if (!Files.readString(task.resolve("comm")).matches("C\\d CompilerThre.*\\s*")) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
            return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
        }
    }

    static Set<Long> liveThreadIds() {
        return threadCpu().keySet();
    }

    static int threadCount() {
        return THREADS.getThreadCount();
    }

    static int peakThreadCount() {
        return THREADS.getPeakThreadCount();
    }

    /** Heap in use right after a full collection, in bytes. */
    static long liveHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Sum of the heap pools' peaks since the last {@link #mark()}, in bytes. */
    static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** VmHWM (peak resident set since the last mark) and VmRSS, in bytes; -1 when unknown. */
    static long[] rss() {
        long hwm = -1;
        long rss = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    hwm = kb(line) * 1024;
                } else if (line.startsWith("VmRSS:")) {
                    rss = kb(line) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return new long[] {hwm, rss};
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    private static Map<Long, Long> threadCpu() {
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long t = THREADS.getThreadCpuTime(id);
            if (t >= 0) {
                cpu.put(id, t);
            }
        }
        return cpu;
    }

    static Group group(String threadName, boolean olderThanApp) {
        if (threadName.startsWith("bench-") || threadName.contains("| bench-") || threadName.startsWith("floor-")
                || threadName.contains("| floor-") || threadName.startsWith("HttpClient-")) {
            return Group.DRIVER;
        }
        if (threadName.startsWith("provider-sandbox-http") || threadName.startsWith("alibaba-sandbox-latency")
                || threadName.startsWith("HTTP-Dispatcher")) {
            return Group.SANDBOX;
        }
        return olderThanApp ? Group.BROKER : Group.APP;
    }

    /** CPU counters and the JIT's compiler threads' CPU time at a point in time. */
    record Mark(long processCpuNanos, Map<Long, Long> threadCpuNanos, long wallNanos, long jitMillis) {

        /** CPU milliseconds of the JIT's compiler threads since this mark. */
        long jitMillisSince() {
            return jitCpuMillis() - jitMillis;
        }

        /** CPU nanoseconds since this mark: the whole process and each group (GC and JIT count as APP). */
        Map<Group, Long> cpuSince(Set<Long> olderThanApp) {
            Map<Long, Long> now = threadCpu();
            Map<Group, Long> byGroup = new HashMap<>();
            long attributed = 0;
            for (Map.Entry<Long, Long> e : now.entrySet()) {
                ThreadInfo info = THREADS.getThreadInfo(e.getKey());
                if (info == null) {
                    continue;
                }
                long used = e.getValue() - threadCpuNanos.getOrDefault(e.getKey(), 0L);
                Group g = group(info.getThreadName(), olderThanApp.contains(e.getKey()));
                if (g != Group.APP) {
                    byGroup.merge(g, used, Long::sum);
                    attributed += used;
                }
            }
            long process = OS.getProcessCpuTime() - processCpuNanos;
            byGroup.put(Group.APP, Math.max(0, process - attributed));
            byGroup.put(null, process);
            return byGroup;
        }
    }
}
