package dev.wabamigrator.bench;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import dev.wabamigrator.app.Application;
import dev.wabamigrator.app.DatabaseConfiguration;
import dev.wabamigrator.engine.MigrationScheduler;
import dev.wabamigrator.provider.alibaba.CamsOperation;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaTestBroker;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Drives migrations through the real pipeline — Kafka commands in, events out, the real database, the built-in
 * sandbox — and prints one table per scenario. See README.md, "Benchmark".
 *
 * <pre>
 * mvn -q -o test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.wabamigrator.bench.Benchmark \
 *     -Dexec.args="--scenario throughput --n 2000 --runs 3"
 * </pre>
 */
public final class Benchmark {
    private static final PrintStream OUT = System.out;

    private final Options o;
    private final String brokers;
    private int runCounter;
    /** The transaction counter of the service started last. */
    private Counting counting;

    private Benchmark(Options o, String brokers) {
        this.o = o;
        this.brokers = brokers;
    }

    /** Warm-up migrations at most, by default, in throughput and latency (measured: the JIT settled after 12,000 to 15,000). */
    static final int DEFAULT_MAX_WARMUP = 20_000;
    /** The JIT has settled once a batch spends at most this part of its CPU compiling. */
    static final double SETTLED_JIT_SHARE = 0.10;

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (System.getProperty("org.slf4j.simpleLogger.logFile") == null) {
            Path log = Path.of("target", "bench", "bench.log");
            Files.createDirectories(log.getParent());
            System.setProperty("org.slf4j.simpleLogger.logFile", log.toString()); // the service logs as usual, to a file
        }
        String brokers = System.getenv().getOrDefault("KAFKA_BROKERS", "");
        if (brokers.isEmpty()) {
            brokers = KafkaTestBroker.bootstrapServers();
        }
        OUT.printf(Locale.ROOT, "waba-migrator benchmark: %d CPUs, max heap %d MB, database %s, Kafka %s%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, o.dbKind(),
                System.getenv().containsKey("KAFKA_BROKERS") ? brokers : "embedded broker in this JVM");
        Benchmark bench = new Benchmark(o, brokers);
        for (String scenario : o.scenarios) {
            switch (scenario) {
                case "throughput" -> bench.throughput("throughput", o.latencyMs(0));
                case "latency" -> bench.throughput("latency", o.latencyMs(200));
                case "parked" -> bench.parked();
                case "ride" -> bench.ride();
                default -> throw new IllegalArgumentException("unknown scenario " + scenario);
            }
        }
        System.exit(0);
    }

    // ---- scenarios ---------------------------------------------------------------------------------------------

    /** Zero-latency throughput (or any latency), product and floor alternately, then the medians and the ratios. */
    private void throughput(String name, long latencyMs) throws Exception {
        int n = o.n(name.equals("latency") ? 1000 : 2000);
        boolean code = o.codeFlow;
        OUT.printf(Locale.ROOT, "%n== %s: %d ALIBABA_CHATAPP migrations (%s), provider latency %d ms, rate limits off, "
                        + "window %s, %s%n", name, n, code ? "code flow: 5 cams calls + a code from the customer"
                        : "verified numbers: 3 cams calls", latencyMs, o.window == 0 ? "all at once" : o.window,
                appConfig());
        int maxWarmup = o.warmup < 0 ? Math.max(DEFAULT_MAX_WARMUP, n) : o.warmup;
        List<Row> products = new ArrayList<>();
        List<Row> floors = new ArrayList<>();
        // one service and one floor for the whole scenario, as a service runs: started once, warmed up, then measured;
        // a service started for each run is measured while the JIT still compiles its start and its first requests
        try (AppRun app = startApp(latencyMs, 0, 0); FloorRun floor = o.noFloor ? null : startFloor(latencyMs)) {
            warmUp(app, floor, n, maxWarmup, latencyMs);
            Row.header(latencyMs);
            for (int r = 1; r <= o.runs; r++) {
                Row p = product(app, n, latencyMs, false);
                p.label = "product #" + r;
                p.print();
                products.add(p);
                if (floor != null) {
                    Row f = floorWhileServiceSuspended(app, floor, n, latencyMs);
                    f.label = "floor #" + r;
                    f.print();
                    floors.add(f);
                }
            }
        }
        Row pm = Row.median(products, "product median");
        pm.print();
        if (!floors.isEmpty()) {
            Row fm = Row.median(floors, "floor median");
            fm.print();
            OUT.printf(Locale.ROOT, "product / floor: throughput %.2f, e2e p50 %.1fx, CPU per migration %.1fx%n",
                    pm.migPerSec / fm.migPerSec, pm.e2eP50 / Math.max(0.001, fm.e2eP50), pm.cpuMs / fm.cpuMs);
        }
        OUT.println("threads: the app's at rest, and the peak of the whole process during the run (broker and driver "
                + "included): app idle " + pm.appThreads + ", peak " + pm.peakThreads);
        Map<String, Object> figures = new LinkedHashMap<>();
        if (!floors.isEmpty()) {
            Row fm = Row.median(floors, "");
            figures.put("vs_floor", pm.migPerSec / fm.migPerSec);
            figures.put("mig_s", pm.migPerSec);
            figures.put("floor_mig_s", fm.migPerSec);
        } else {
            figures.put("mig_s", pm.migPerSec);
        }
        figures.put("app_cpu_ms", pm.cpuAppMs);
        figures.put("cpu_ms", pm.cpuMs);
        figures.put("jit_ms", pm.jitMs);
        figures.put("tx", pm.transactions / (double) pm.n);
        figures.put("e2e_p50_ms", pm.e2eP50);
        figures.put("complete", pm.complete);
        result(name, 1, figures);
    }

    /**
     * Batches of new numbers through both, not counted, until the JIT has settled: a batch of each spent at most
     * {@link #SETTLED_JIT_SHARE} of its CPU compiling. Measured: after one batch of 1,000 the JIT's compiler threads
     * took 35% of the process's CPU samples during the next product batches, so the run measured the JIT more than
     * the service; the service's code is large (Camel, H2, Kafka clients, HttpClient) and the JIT reaches its last
     * hot methods only after several thousand migrations.
     */
    private void warmUp(AppRun app, FloorRun floor, int n, int maxWarmup, long latencyMs) throws Exception {
        if (maxWarmup <= 0) {
            return;
        }
        OUT.printf(Locale.ROOT, "warm-up, not counted: batches of %d on both until a batch of each spends at most %.0f%% "
                + "of its CPU in the JIT, at most %d migrations%n", n, SETTLED_JIT_SHARE * 100, maxWarmup);
        int warmed = 0;
        boolean settled = false;
        while (warmed < maxWarmup && !settled) {
            int size = Math.min(n, maxWarmup - warmed);
            Row p = product(app, size, latencyMs, true);
            Row f = floor == null ? null : floorWhileServiceSuspended(app, floor, size, latencyMs);
            warmed += size;
            settled = p.jitShare() <= SETTLED_JIT_SHARE && (f == null || f.jitShare() <= SETTLED_JIT_SHARE);
            OUT.printf(Locale.ROOT, "warm-up %6d: product %6.1f mig/s, JIT %3.0f%% of its CPU%s%n", warmed, p.migPerSec,
                    p.jitShare() * 100, f == null ? "" : String.format(Locale.ROOT, "; floor %6.1f mig/s, JIT %3.0f%%",
                            f.migPerSec, f.jitShare() * 100));
        }
        if (!settled) {
            OUT.printf("warm-up: the JIT had not settled after %d migrations; measuring all the same%n", warmed);
        }
    }

    /**
     * One line per scenario for machines, besides the tables: {@code RESULT scenario=S db=h2|postgresql instances=K}
     * and the scenario's figures (medians of the runs) as {@code key=value}; numbers with three decimals.
     */
    static void result(String scenario, int instances, Map<String, ?> figures) {
        String url = System.getenv().getOrDefault("DB_URL", "");
        String db = url.isEmpty() ? "h2" : url.startsWith("jdbc:postgresql:") ? "postgresql" : url.split(":")[1];
        StringBuilder line = new StringBuilder("RESULT scenario=").append(scenario).append(" db=").append(db)
                .append(" instances=").append(instances);
        figures.forEach((key, value) -> line.append(' ').append(key).append('=').append(value instanceof Double d
                ? String.format(Locale.ROOT, "%.3f", d) : value));
        OUT.println(line);
    }

    /** 10,000 migrations wait for their codes: what they cost while they wait, and how fast they drain after. */
    private void parked() throws Exception {
        int n = o.n(10_000);
        OUT.printf(Locale.ROOT, "%n== parked: %d ALIBABA_CHATAPP migrations wait for their codes, then all codes are "
                + "submitted; rate limits off, latency %d ms, %s%n", n, o.latencyMs(0), appConfig());
        OUT.printf("%-10s %9s %8s %9s %9s %10s %10s %9s %10s %10s %9s%n", "run", "park s", "threads", "+threads",
                "heap MB", "+heap MB", "drain s", "drain/s", "resume p50", "resume p99", "1st done");
        List<double[]> rows = new ArrayList<>();
        for (int r = 1; r <= o.runs; r++) {
            try (AppRun app = startApp(o.latencyMs(0), 0, 0)) {
                int threadsIdle = Probe.threadCount();
                long heapIdle = Probe.liveHeapAfterGc();
                List<String> phones = Floor.phones(n, true, app.run);
                try (Driver driver = new Driver(brokers, app.commandsTopic, app.eventsTopic, app::code)) {
                    driver.submitCodes(false);
                    long t0 = System.nanoTime();
                    driver.start(phones, "p" + app.run, n, true);
                    if (!driver.awaitParked(Duration.ofMinutes(20))) {
                        OUT.printf("run %d: only %d of %d parked in 20 min%n", r, driver.parked(), n);
                        continue;
                    }
                    double parkSeconds = (System.nanoTime() - t0) / 1e9;
                    awaitIdle(app);
                    int threadsParked = Probe.threadCount();
                    long heapParked = Probe.liveHeapAfterGc();
                    long released = System.nanoTime();
                    driver.releaseParked();
                    if (!driver.awaitEnded(Duration.ofMinutes(20))) {
                        OUT.printf("run %d: only %d of %d finished in 20 min after their codes%n", r, driver.ended(), n);
                        continue;
                    }
                    List<Driver.Timing> ts = driver.timings();
                    long last = ts.stream().mapToLong(t -> t.ended).max().orElse(released);
                    long first = ts.stream().mapToLong(t -> t.ended).min().orElse(released);
                    double[] resume = ts.stream().mapToDouble(t -> (t.ended - t.codeSent) / 1e6).sorted().toArray();
                    double drain = (last - released) / 1e9;
                    double[] row = {parkSeconds, threadsParked, threadsParked - threadsIdle, heapParked / 1048576.0,
                            (heapParked - heapIdle) / 1048576.0, drain, n / drain, percentile(resume, 50),
                            percentile(resume, 99), (first - released) / 1e6};
                    rows.add(row);
                    printParked("#" + r, row);
                }
            }
        }
        if (!rows.isEmpty()) {
            double[] median = new double[rows.get(0).length];
            for (int i = 0; i < median.length; i++) {
                final int col = i;
                median[i] = percentile(rows.stream().mapToDouble(x -> x[col]).sorted().toArray(), 50);
            }
            printParked("median", median);
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("n", n);
            figures.put("park_s", median[0]);
            figures.put("threads_added", median[2]);
            figures.put("heap_added_mb", median[4]);
            figures.put("drain_s", median[5]);
            figures.put("drain_mig_s", median[6]);
            figures.put("resume_p50_ms", median[7]);
            figures.put("resume_p99_ms", median[8]);
            result("parked", 1, figures);
        }
        OUT.println("threads / heap MB: the whole process (app, broker, sandbox, driver) with all parked, after a full GC;"
                + " +threads / +heap MB: more than the same app idle before the first command. resume p50/p99: ms from a "
                + "code sent to its migration completed; 1st done: ms from the release to the first completion");
    }

    private static void printParked(String label, double[] r) {
        OUT.printf(Locale.ROOT, "%-10s %9.1f %8.0f %9.0f %9.0f %10.0f %10.1f %9.0f %10.0f %10.0f %9.0f%n", label,
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]);
    }

    /**
     * Against the sandbox holding cams's 10 QPS per operation, with the product's own pacing. With --instances K,
     * K instances of the service in this JVM share one PostgreSQL schema, one AccessKey, one sandbox and one broker.
     */
    /**
     * The operations a migration calls. The templates report's listing (ListChatappTemplate) trails the completed
     * migrations, off their path: its calls and throttles are not the migrations' figures.
     */
    static final java.util.Set<CamsOperation> MIGRATION_OPERATIONS = java.util.EnumSet.complementOf(
            java.util.EnumSet.of(CamsOperation.LIST_CHATAPP_TEMPLATE));

    /** Throttled answers to the migrations' operations. */
    static int migrationThrottled(AlibabaSandboxControl cams) {
        return MIGRATION_OPERATIONS.stream().mapToInt(op -> cams.throttledCount(op.action())).sum();
    }

    private void ride() throws Exception {
        int n = o.n(1000);
        int instances = o.instances;
        boolean postgres = !System.getenv().getOrDefault("DB_URL", "").isEmpty();
        if (instances > 1 && !postgres) {
            throw new IllegalArgumentException("--instances " + instances + " shares one database: set DB_URL to a "
                    + "PostgreSQL (H2 is for one instance)");
        }
        int limit = AlibabaSandbox.DEFAULT_MAX_REQUESTS_PER_SECOND;
        double floorSeconds = n / (double) limit;
        OUT.printf(Locale.ROOT, "%n== ride: %d ALIBABA_CHATAPP migrations (%s) against the sandbox's %d requests per "
                        + "operation per second; floor = N / %d s = %.1f s per operation, pipelined; %d instance%s; %s%n",
                n, o.codeFlow ? "code flow" : "verified", limit, limit, floorSeconds, instances,
                instances == 1 ? "" : "s in this JVM on one database, one AccessKey, one sandbox", appConfig());
        OUT.printf("%-10s %9s %9s %9s %10s %10s %s%n", "run", "time s", "floor s", "vs floor", "throttled", "calls",
                "calls/s per operation");
        List<double[]> rows = new ArrayList<>();
        for (int r = 1; r <= o.runs; r++) {
            try (RideCluster app = instances == 1 ? RideCluster.of(startApp(o.latencyMs(0), limit, -1))
                    : startCluster(instances, o.latencyMs(0), limit)) {
                List<String> phones = Floor.phones(n, o.codeFlow, app.run);
                try (Driver driver = new Driver(brokers, app.commandsTopic, app.eventsTopic, app.codes)) {
                    long t0 = System.nanoTime();
                    driver.start(phones, "r" + app.run, n, false);
                    boolean done = driver.awaitEnded(Duration.ofSeconds((long) (floorSeconds * 4 + 120)));
                    long last = driver.timings().stream().mapToLong(t -> t.ended).max().orElse(t0);
                    double seconds = (last - t0) / 1e9;
                    StringBuilder perOp = new StringBuilder();
                    long calls = 0;
                    for (CamsOperation op : MIGRATION_OPERATIONS) {
                        int c = app.cams.calls(op.action());
                        calls += c;
                        if (c > 0) {
                            perOp.append(String.format(Locale.ROOT, "%s %.2f  ", op.action(), c / seconds));
                        }
                    }
                    double[] row = {seconds, floorSeconds, seconds / floorSeconds - 1, migrationThrottled(app.cams), calls};
                    if (o.codeFlow) { // the pipeline: when the code requests and the completions came, in s from the start
                        double[] parkedAt = driver.timings().stream().filter(x -> x.parked != 0)
                                .mapToDouble(x -> (x.parked - t0) / 1e9).sorted().toArray();
                        double[] endedAt = driver.timings().stream().filter(x -> x.ended != 0)
                                .mapToDouble(x -> (x.ended - t0) / 1e9).sorted().toArray();
                        OUT.printf(Locale.ROOT, "           code requested at %.1f / %.1f / %.1f s (first / median / last), "
                                        + "completed at %.1f / %.1f / %.1f s%n", percentile(parkedAt, 0), percentile(parkedAt, 50),
                                percentile(parkedAt, 100), percentile(endedAt, 0), percentile(endedAt, 50), percentile(endedAt, 100));
                    }
                    rows.add(row);
                    OUT.printf(Locale.ROOT, "%-10s %9.1f %9.1f %+8.1f%% %10d %10d %s%s%n", "#" + r, row[0], row[1],
                            row[2] * 100, (long) row[3], calls, perOp, done ? "" : " (NOT ALL FINISHED: " + driver.ended() + ")");
                }
            }
        }
        if (!rows.isEmpty()) {
            double[] t = rows.stream().mapToDouble(x -> x[0]).sorted().toArray();
            double[] th = rows.stream().mapToDouble(x -> x[3]).sorted().toArray();
            OUT.printf(Locale.ROOT, "%-10s %9.1f %9.1f %+8.1f%% %10.0f%n", "median", percentile(t, 50), floorSeconds,
                    (percentile(t, 50) / floorSeconds - 1) * 100, percentile(th, 50));
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("vs_floor", percentile(t, 50) / floorSeconds);
            figures.put("throttled", Math.round(percentile(th, 50)));
            result("ride", instances, figures);
        }
    }

    /** What ride reads from the service (one instance, or several sharing one sandbox). */
    private record RideCluster(int run, String commandsTopic, String eventsTopic, AlibabaSandboxControl cams,
                               java.util.function.Function<String, String> codes, AutoCloseable closer)
            implements AutoCloseable {
        static RideCluster of(AppRun app) {
            return new RideCluster(app.run, app.commandsTopic, app.eventsTopic, app.cams, app::code, app);
        }

        @Override
        public void close() throws Exception {
            closer.close();
        }
    }

    /**
     * K instances of the service in this JVM (each its own Camel context, pools and consumers, as separate
     * processes would have) on one fresh PostgreSQL schema, one topic pair and consumer group, one AccessKey, and
     * one sandbox outside them that enforces the limit for all.
     */
    private RideCluster startCluster(int instances, long latencyMs, int limit) throws Exception {
        int run = ++runCounter;
        Db db = Db.fresh(o, run);
        String suffix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        ProviderSandbox sandbox = new ProviderSandbox(0);
        AlibabaSandbox cams = AlibabaSandbox.builder().maxRequestsPerSecond(limit).latency(Duration.ofMillis(latencyMs))
                .build().mountOn(sandbox);
        sandbox.start();
        List<Main> mains = new ArrayList<>();
        List<Path> dataDirs = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            Path dataDir = Files.createTempDirectory("waba-bench-");
            dataDirs.add(dataDir);
            Map<String, String> p = new LinkedHashMap<>();
            p.put("camel.main.name", "waba-migrator-" + i);
            p.put("app.kafka.brokers", brokers);
            p.put("app.kafka.topic.commands", "waba.migration.commands.v1." + suffix);
            p.put("app.kafka.topic.events", "waba.migration.events.v1." + suffix);
            p.put("app.kafka.topic.commands-dlq", "waba.migration.commands.dlq.v1." + suffix);
            p.put("app.kafka.consumer-group", "waba-migrator-" + suffix);
            p.put("app.db.url", db.url);
            p.put("app.db.user", db.user);
            p.put("app.db.password", db.password);
            p.put("app.data-dir", dataDir.toString());
            p.put("app.secrets.key", "benchmark-secrets-key");
            p.put("app.jolokia.enabled", "false");
            p.put("app.cli.enabled", "false");
            p.put("app.management.port", String.valueOf(freePort()));
            p.put("app.webhook.port", String.valueOf(freePort())); // each instance its own webhook port
            p.put("app.sandbox.enabled", "false");
            p.put("app.provider.alibaba.endpoint", cams.camsEndpoint());
            p.put("app.provider.alibaba.access-key-id", AlibabaSandbox.DEFAULT_ACCESS_KEY_ID);
            p.put("app.provider.alibaba.access-key-secret", AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET);
            p.putAll(o.set);
            Main main = Application.create();
            p.forEach(main::addOverrideProperty);
            main.start();
            mains.add(main);
        }
        AutoCloseable closer = () -> {
            for (Main main : mains) {
                main.stop();
            }
            sandbox.close();
            db.drop();
            for (Path dir : dataDirs) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        };
        return new RideCluster(run, "waba.migration.commands.v1." + suffix, "waba.migration.events.v1." + suffix,
                AlibabaSandboxControl.of(sandbox), phone -> cams.code(phone).orElse(null), closer);
    }

    // ---- one product run, one floor run ------------------------------------------------------------------------

    /** One batch of {@code n} new migrations through the running service, measured on its own. */
    private Row product(AppRun app, int n, long latencyMs, boolean quiet) throws Exception {
        int batch = ++runCounter;
        List<String> phones = Floor.phones(n, o.codeFlow, batch);
        try (Driver driver = new Driver(brokers, app.commandsTopic, app.eventsTopic, app::code)) {
            long tx0 = app.transactions.sum();
            long calls0 = app.calls();
            int throttled0 = migrationThrottled(app.cams);
            counting.clearSites();
            Probe.liveHeapAfterGc(); // the garbage of the floor's batch is not collected on this batch's time
            Probe.Mark mark = Probe.mark();
            driver.start(phones, "b" + batch, o.window == 0 ? n : o.window, false);
            boolean done = driver.awaitEnded(Duration.ofSeconds(Math.max(180, n / 10)));
            Row row = Row.measure(driver, mark, app.olderThanApp, latencyMs, o.codeFlow, n);
            row.transactions = app.transactions.sum() - tx0;
            if (!quiet) {
                counting.printSites(n);
            }
            row.calls = app.calls() - calls0;
            row.commands = n * (o.codeFlow ? 2L : 1L);
            row.appThreads = app.idleThreads;
            row.throttled = migrationThrottled(app.cams) - throttled0;
            row.finished(done);
            if (!quiet && row.ok < n) {
                OUT.printf("product run: %d of %d completed (%d ended otherwise)%n", row.ok, n, driver.ended() - row.ok);
            }
            row.eventBytes = app.eventBytes(driver.events());
            return row;
        }
    }

    /** The floor, on its own database, topics and sandbox, for the whole scenario. */
    private FloorRun startFloor(long latencyMs) throws Exception {
        Db db = Db.fresh(o, ++runCounter);
        String suffix = "floor-" + UUID.randomUUID().toString().substring(0, 8);
        createTopics(suffix);
        ProviderSandbox sandbox = new ProviderSandbox(0);
        AlibabaSandbox cams = AlibabaSandbox.builder().maxRequestsPerSecond(0).latency(Duration.ofMillis(latencyMs))
                .build().mountOn(sandbox);
        sandbox.start();
        Set<Long> older = Probe.liveThreadIds();
        try {
            Floor floor = new Floor(o.codeFlow, cams, db.url, db.user, db.password, o.intProperty("app.db.pool-size", 12),
                    o.intProperty("app.scheduler.workers", 32), brokers, "cmd." + suffix, "evt." + suffix);
            return new FloorRun(floor, sandbox, cams, db, "cmd." + suffix, "evt." + suffix, older);
        } catch (Exception e) {
            sandbox.close();
            db.drop();
            throw e;
        }
    }

    /**
     * The floor's batch while the service is suspended (its consumers and timers stopped, no polling of the shared
     * database, broker or CPU), so neither is measured with the other's background work running.
     */
    private Row floorWhileServiceSuspended(AppRun app, FloorRun floor, int n, long latencyMs) throws Exception {
        CamelContext context = app.main.getCamelContext();
        context.suspend();
        try {
            return floor(floor, n, latencyMs);
        } finally {
            context.resume();
        }
    }

    /** One batch of {@code n} new migrations through the running floor, measured on its own. */
    private Row floor(FloorRun floor, int n, long latencyMs) throws Exception {
        int batch = ++runCounter;
        AlibabaSandboxControl cams = AlibabaSandboxControl.of(floor.sandbox);
        try (Driver driver = new Driver(brokers, floor.commandsTopic, floor.eventsTopic,
                p -> floor.cams.code(p).orElse(null))) {
            long tx0 = floor.floor.transactions();
            long calls0 = floor.calls();
            int throttled0 = cams.throttledCount();
            int failures0 = floor.floor.failures();
            Probe.liveHeapAfterGc(); // nor the service's garbage on the floor's
            Probe.Mark mark = Probe.mark();
            driver.start(Floor.phones(n, o.codeFlow, batch), "f" + batch, o.window == 0 ? n : o.window, false);
            boolean done = driver.awaitEnded(Duration.ofSeconds(Math.max(180, n / 10)));
            Row row = Row.measure(driver, mark, floor.olderThanFloor, latencyMs, o.codeFlow, n);
            row.transactions = floor.floor.transactions() - tx0;
            row.calls = floor.calls() - calls0;
            row.commands = n * (o.codeFlow ? 2L : 1L);
            row.throttled = cams.throttledCount() - throttled0;
            row.finished(done);
            if (floor.floor.failures() > failures0) {
                OUT.println("floor: " + (floor.floor.failures() - failures0) + " failures");
            }
            return row;
        }
    }

    /** The floor of a scenario and what it runs on. */
    private record FloorRun(Floor floor, ProviderSandbox sandbox, AlibabaSandbox cams, Db db, String commandsTopic,
                            String eventsTopic, Set<Long> olderThanFloor) implements AutoCloseable {
        long calls() {
            long sum = 0;
            for (CamsOperation op : CamsOperation.values()) {
                sum += AlibabaSandboxControl.of(sandbox).calls(op.action());
            }
            return sum;
        }

        @Override
        public void close() throws Exception {
            try {
                floor.close();
            } finally {
                sandbox.close();
                db.drop();
            }
        }
    }

    /** The service in this JVM, on its own topics and a fresh database, with the sandbox. */
    private AppRun startApp(long latencyMs, int sandboxLimit, double pacer) throws Exception {
        int run = ++runCounter;
        Db db = Db.fresh(o, run);
        String suffix = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        Path dataDir = Files.createTempDirectory("waba-bench-");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("app.kafka.brokers", brokers);
        p.put("app.kafka.topic.commands", "waba.migration.commands.v1." + suffix);
        p.put("app.kafka.topic.events", "waba.migration.events.v1." + suffix);
        p.put("app.kafka.topic.commands-dlq", "waba.migration.commands.dlq.v1." + suffix);
        p.put("app.kafka.consumer-group", "waba-migrator-" + suffix);
        if (db.url != null) {
            p.put("app.db.url", db.url);
            p.put("app.db.user", db.user);
            p.put("app.db.password", db.password);
        }
        p.put("app.data-dir", dataDir.toString());
        p.put("app.secrets.key", "benchmark-secrets-key");
        p.put("app.jolokia.enabled", "false");
        p.put("app.management.port", String.valueOf(freePort()));
        p.put("app.webhook.port", String.valueOf(freePort()));
        p.put("app.sandbox.enabled", "true");
        p.put("app.sandbox.port", "0");
        p.put("app.sandbox.latency-ms", String.valueOf(latencyMs));
        p.put("app.sandbox.alibaba.max-requests-per-second", String.valueOf(sandboxLimit));
        if (pacer >= 0) {
            p.put("app.provider.alibaba.max-calls-per-second", String.valueOf(pacer));
        }
        p.putAll(o.set);
        Set<Long> older = Probe.liveThreadIds();
        int threadsBefore = Probe.threadCount();
        Main main = Application.create();
        p.forEach(main::addOverrideProperty);
        main.start();
        CamelContext context = main.getCamelContext();
        LongAdder transactions = new LongAdder();
        HikariDataSource ds = context.getRegistry().lookupByNameAndType("dataSource", HikariDataSource.class);
        counting = new Counting(transactions, o.txSites ? new ConcurrentHashMap<>() : null);
        ds.setMetricsTrackerFactory(counting);
        return new AppRun(run, main, db, dataDir, "waba.migration.commands.v1." + suffix,
                "waba.migration.events.v1." + suffix, context.getRegistry().lookupByNameAndType("alibabaSandbox",
                AlibabaSandbox.class), AlibabaSandboxControl.of(context.getRegistry().lookupByNameAndType(
                "providerSandbox", ProviderSandbox.class)), context.getRegistry().lookupByNameAndType("migrationScheduler",
                MigrationScheduler.class), transactions, older, Probe.threadCount() - threadsBefore, ds);
    }

    private static void awaitIdle(AppRun app) {
        try { // the last releases follow the last awaiting-input events by a few milliseconds
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> app.scheduler.inFlight() == 0);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            System.out.println("warning: " + app.scheduler.inFlight() + " migrations still held by workers after 30 s");
        }
    }

    private void createTopics(String suffix) throws Exception {
        int partitions = o.intProperty("app.kafka.topic.partitions", 6);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", brokers))) {
            admin.createTopics(List.of(new NewTopic("cmd." + suffix, partitions, (short) 1),
                    new NewTopic("evt." + suffix, partitions, (short) 1))).all().get();
        }
    }

    private String appConfig() {
        return String.format(Locale.ROOT, "workers %s, max-in-flight %s, db pool %s%s",
                o.property("app.scheduler.workers", "32"), o.property("app.scheduler.max-in-flight", "200"),
                o.property("app.db.pool-size", "12"), o.set.isEmpty() ? "" : ", overrides " + o.set);
    }

    static String phone(int i, boolean codeFlow, int run) {
        // code flow: last four digits 1000-9999 (the happy path); verified: 0001 (the code steps are skipped)
        String national = codeFlow
                ? String.format(Locale.ROOT, "1%03d%04d%04d", run % 1000, i / 9000, 1000 + i % 9000)
                : String.format(Locale.ROOT, "1%03d%05d0001", run % 1000, i);
        return "86" + national;
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    // ---- pieces ------------------------------------------------------------------------------------------------

    /**
     * Counts connection checkouts: each Sql.inTransaction (and each camel-sql query) takes one. With {@code sites},
     * also by the code that took it (the first frames of the service's own classes outside the SQL helper).
     */
    private record Counting(LongAdder transactions, Map<String, LongAdder> sites) implements MetricsTrackerFactory {
        private static final StackWalker WALKER = StackWalker.getInstance();

        @Override
        public IMetricsTracker create(String poolName, com.zaxxer.hikari.metrics.PoolStats poolStats) {
            return new IMetricsTracker() {
                @Override
                public void recordConnectionAcquiredNanos(long elapsedAcquiredNanos) {
                    transactions.increment();
                    if (sites != null) {
                        sites.computeIfAbsent(site(), k -> new LongAdder()).increment();
                    }
                }
            };
        }

        private static String site() {
            return WALKER.walk(frames -> frames
                    .filter(f -> f.getClassName().startsWith("dev.wabamigrator.")
                            && !f.getClassName().startsWith("dev.wabamigrator.bench.")
                            && !f.getClassName().startsWith("dev.wabamigrator.store.Sql"))
                    .limit(3)
                    .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
                    .reduce((a, b) -> a + " < " + b).orElse("(outside the service)"));
        }

        void clearSites() {
            if (sites != null) {
                sites.clear();
            }
        }

        /** The sites and their checkouts per migration, most first. */
        void printSites(int n) {
            if (sites == null) {
                return;
            }
            sites.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
                    .forEach(e -> OUT.printf(Locale.ROOT, "  tx %6.3f  %s%n", e.getValue().sum() / (double) n, e.getKey()));
            sites.clear();
        }
    }

    private record AppRun(int run, Main main, Db db, Path dataDir, String commandsTopic, String eventsTopic,
                          AlibabaSandbox alibaba, AlibabaSandboxControl cams, MigrationScheduler scheduler, LongAdder transactions, Set<Long> olderThanApp,
                          int idleThreads, HikariDataSource dataSource) implements AutoCloseable {
        String code(String phone) {
            return alibaba.code(phone).orElse(null);
        }

        long calls() {
            long sum = 0;
            for (CamsOperation op : MIGRATION_OPERATIONS) {
                sum += cams.calls(op.action());
            }
            return sum;
        }

        /** Average size of an outbox event's payload, read from the database. */
        int eventBytes(int events) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
                 var rs = s.executeQuery("SELECT AVG(LENGTH(payload)) FROM outbox_event")) {
                return rs.next() ? (int) rs.getDouble(1) : 1000;
            } catch (SQLException e) {
                return 1000;
            }
        }

        @Override
        public void close() throws Exception {
            main.stop();
            db.drop();
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** A fresh database for one run: H2 (file) by default, a new schema of DB_URL's PostgreSQL otherwise. */
    private record Db(String url, String user, String password, String base, String schema, Path dir) {
        static Db fresh(Options o, int run) throws Exception {
            String dbUrl = System.getenv().getOrDefault("DB_URL", "");
            if (dbUrl.isEmpty()) {
                if (o.h2Memory) {
                    return new Db("jdbc:h2:mem:bench" + run + "-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "", "", null, null, null);
                }
                Path dir = Files.createTempDirectory("waba-bench-db-");
                // the URL the service ships: with WRITE_DELAY=0 a commit is on disk before it returns
                return new Db(DatabaseConfiguration.embeddedH2Url(dir), "", "", null, null, dir);
            }
            String user = System.getenv().getOrDefault("DB_USER", "postgres");
            String password = System.getenv().getOrDefault("DB_PASSWORD", "");
            if (!dbUrl.startsWith("jdbc:postgresql:")) {
                return new Db(dbUrl, user, password, null, null, null);
            }
            String schema = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection(dbUrl, user, password); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            }
            return new Db(dbUrl + (dbUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema, user, password, dbUrl, schema, null);
        }

        void drop() {
            if (dir != null) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException e) {
                    // a temp folder
                }
            }
            if (schema == null) {
                return;
            }
            try (Connection c = DriverManager.getConnection(base, user, password); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            } catch (SQLException e) {
                System.err.println("bench: could not drop schema " + schema + ": " + e.getMessage());
            }
        }
    }

    /** One measured run: what it did, how fast, at what cost. Times in ms, memory in bytes. */
    static final class Row {
        String label = "";
        int n;
        int ok;
        boolean complete;
        double seconds;
        double migPerSec;
        double callsPerSec;
        double e2eP50;
        double e2eP99;
        double stepP50;
        double stepP99;
        double cpuMs;
        double cpuAppMs;
        /** CPU of the JIT's compiler threads during the run, per migration (part of cpuMs and cpuAppMs). */
        double jitMs;
        long heapPeak;
        long rssPeak;
        int peakThreads;
        int appThreads;
        long transactions;
        long calls;
        long commands;
        long events;
        int eventBytes;
        int throttled;

        static Row measure(Driver driver, Probe.Mark mark, Set<Long> olderThanApp, long latencyMs, boolean code, int n) {
            Row r = new Row();
            r.n = n;
            List<Driver.Timing> ts = driver.timings();
            long first = ts.stream().mapToLong(t -> t.started).min().orElse(mark.wallNanos());
            long last = ts.stream().filter(t -> t.ended != 0).mapToLong(t -> t.ended).max().orElse(System.nanoTime());
            r.ok = (int) ts.stream().filter(t -> "COMPLETED".equals(t.outcome)).count();
            r.seconds = (last - first) / 1e9;
            r.migPerSec = r.ok / r.seconds;
            double[] e2e = ts.stream().filter(t -> t.ended != 0).mapToDouble(t -> (t.ended - t.started) / 1e6).sorted().toArray();
            r.e2eP50 = percentile(e2e, 50);
            r.e2eP99 = percentile(e2e, 99);
            int steps = code ? 6 : 3;
            int calls = code ? 5 : 3;
            double[] perStep = Arrays.stream(e2e).map(ms -> (ms - calls * latencyMs) / steps).toArray();
            r.stepP50 = percentile(perStep, 50);
            r.stepP99 = percentile(perStep, 99);
            Map<Probe.Group, Long> cpu = mark.cpuSince(olderThanApp);
            r.cpuMs = cpu.get(null) / 1e6 / n;
            r.cpuAppMs = cpu.get(Probe.Group.APP) / 1e6 / n;
            r.jitMs = mark.jitMillisSince() / (double) n;
            r.heapPeak = Probe.peakHeap();
            r.rssPeak = Probe.rss()[0];
            r.peakThreads = Probe.peakThreadCount();
            r.events = driver.events();
            return r;
        }

        /** The part of the run's CPU that went to the JIT's compilations. */
        double jitShare() {
            return cpuMs > 0 ? jitMs / cpuMs : 0;
        }

        void finished(boolean done) {
            complete = done;
            callsPerSec = calls / seconds;
        }

        static void header(long latencyMs) {
            OUT.printf("%-16s %7s %8s %8s %8s %9s %9s %7s %7s %7s %8s %8s %7s %6s %6s %6s%n", "run", "mig/s",
                    "calls/s", "e2e p50", "e2e p99", "step p50", "step p99", "CPU ms", "app ms", "JIT ms", "heap MB",
                    "RSS MB", "threads", "kafka", "tx", "http");
        }

        void print() {
            OUT.printf(Locale.ROOT, "%-16s %7.1f %8.1f %8.0f %8.0f %9.1f %9.1f %7.2f %7.2f %7.2f %8d %8d %7d %6.1f %6.1f %6.1f%s%n",
                    label, migPerSec, callsPerSec, e2eP50, e2eP99, stepP50, stepP99, cpuMs, cpuAppMs, jitMs, heapPeak >> 20,
                    rssPeak >> 20, peakThreads, (commands + events) / (double) n, transactions / (double) n,
                    calls / (double) n, complete ? "" : "  (incomplete: " + ok + "/" + n + ")");
        }

        static Row median(List<Row> rows, String label) {
            Row m = new Row();
            m.label = label;
            m.n = rows.get(0).n;
            m.complete = rows.stream().allMatch(r -> r.complete);
            m.ok = (int) med(rows, r -> r.ok);
            m.seconds = med(rows, r -> r.seconds);
            m.migPerSec = med(rows, r -> r.migPerSec);
            m.callsPerSec = med(rows, r -> r.callsPerSec);
            m.e2eP50 = med(rows, r -> r.e2eP50);
            m.e2eP99 = med(rows, r -> r.e2eP99);
            m.stepP50 = med(rows, r -> r.stepP50);
            m.stepP99 = med(rows, r -> r.stepP99);
            m.cpuMs = med(rows, r -> r.cpuMs);
            m.cpuAppMs = med(rows, r -> r.cpuAppMs);
            m.jitMs = med(rows, r -> r.jitMs);
            m.heapPeak = (long) med(rows, r -> r.heapPeak);
            m.rssPeak = (long) med(rows, r -> r.rssPeak);
            m.peakThreads = (int) med(rows, r -> r.peakThreads);
            m.appThreads = (int) med(rows, r -> r.appThreads);
            m.transactions = (long) med(rows, r -> r.transactions);
            m.calls = (long) med(rows, r -> r.calls);
            m.commands = (long) med(rows, r -> r.commands);
            m.events = (long) med(rows, r -> r.events);
            return m;
        }

        private static double med(List<Row> rows, ToDoubleFunction<Row> f) {
            return percentile(rows.stream().mapToDouble(f).sorted().toArray(), 50);
        }
    }

    /** Command line: --scenario a,b --n N --runs R --flow code|verified --latency-ms L --window W --warmup N
     *  --no-floor --h2-mem --tx-sites --instances K (ride) --set key=value (any application property, repeatable). */
    static final class Options {
        List<String> scenarios = List.of("throughput");
        int n;
        int runs = 3;
        boolean codeFlow = true;
        long latencyMs = -1;
        int window;
        int warmup = -1;
        boolean noFloor;
        boolean h2Memory;
        /** Prints, after each product run, its transactions per migration by the code that took them. */
        boolean txSites;
        int instances = 1;
        Map<String, String> set = new LinkedHashMap<>();

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--scenario" -> o.scenarios = List.of(args[++i].split(","));
                    case "--n" -> o.n = Integer.parseInt(args[++i]);
                    case "--runs" -> o.runs = Integer.parseInt(args[++i]);
                    case "--flow" -> o.codeFlow = !"verified".equals(args[++i]);
                    case "--latency-ms" -> o.latencyMs = Long.parseLong(args[++i]);
                    case "--window" -> o.window = Integer.parseInt(args[++i]);
                    case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                    case "--no-floor" -> o.noFloor = true;
                    case "--h2-mem" -> o.h2Memory = true;
                    case "--tx-sites" -> o.txSites = true;
                    case "--instances" -> o.instances = Integer.parseInt(args[++i]);
                    case "--set" -> {
                        String kv = args[++i];
                        int eq = kv.indexOf('=');
                        o.set.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a + "; see README.md, Benchmark");
                }
            }
            if (o.scenarios.contains("all")) {
                o.scenarios = List.of("throughput", "parked", "latency", "ride");
            }
            return o;
        }

        int n(int defaultN) {
            return n > 0 ? n : defaultN;
        }

        long latencyMs(long defaultMs) {
            return latencyMs >= 0 ? latencyMs : defaultMs;
        }

        String property(String key, String defaultValue) {
            return set.getOrDefault(key, defaultValue);
        }

        int intProperty(String key, int defaultValue) {
            return Integer.parseInt(property(key, String.valueOf(defaultValue)));
        }

        String dbKind() {
            String url = System.getenv().getOrDefault("DB_URL", "");
            return url.isEmpty() ? (h2Memory ? "H2 in memory" : "H2 file (the default)") : url.replaceAll("\\?.*", "");
        }
    }
}
