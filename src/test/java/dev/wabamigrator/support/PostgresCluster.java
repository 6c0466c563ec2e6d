package dev.wabamigrator.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL cluster of its own for a test that restarts the database: created with Debian's
 * {@code pg_createcluster} on a free port (trust on loopback), driven with {@code pg_ctlcluster} and dropped at the
 * end, so the shared cluster the other tests use is never touched. Needs the postgresql-common tools and root;
 * without them the test is skipped loudly, except in CI ({@code CI=true}), where it fails.
 */
public final class PostgresCluster implements AutoCloseable {
    private static final Path INSTALLED = Path.of("/usr/lib/postgresql");

    private final String version;
    private final String name;
    private final int port;

    private PostgresCluster(String version, String name, int port) {
        this.version = version;
        this.name = name;
        this.port = port;
    }

    /** Creates and starts a new cluster, or skips (fails in CI) when this machine cannot. */
    public static PostgresCluster create() throws Exception {
        String version = installedVersion();
        String missing = version == null ? "no PostgreSQL server under " + INSTALLED
                : !onPath("pg_createcluster") || !onPath("pg_ctlcluster") ? "postgresql-common tools not on the PATH"
                : !"root".equals(System.getProperty("user.name")) ? "not root (pg_createcluster needs it)" : null;
        if (missing != null) {
            String message = "cannot create a dedicated PostgreSQL cluster: " + missing;
            if (TestDatabase.requirePostgres()) {
                throw new IllegalStateException(message + ": required in CI");
            }
            System.err.println("\n*** SKIPPING PostgreSQL OUTAGE TEST: " + message + " ***\n");
            Assumptions.abort(message);
        }
        PostgresCluster cluster = new PostgresCluster(version, "outage_" + TestApp.uniqueSuffix(), TestApp.freePort());
        cluster.run("pg_createcluster", version, cluster.name, "-p", String.valueOf(cluster.port),
                "--", "--auth=trust");
        try {
            cluster.ctl("start");
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public TestDatabase database() {
        return new TestDatabase("postgresql", "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
    }

    public String describe() {
        return "PostgreSQL " + version + " cluster " + name + " on port " + port;
    }

    /** {@code pg_ctlcluster <version> <name> restart}: returns once the server is back. */
    public void restart() {
        ctl("restart");
    }

    /** Starts {@code pg_ctlcluster <version> <name> restart} and returns at once. */
    public Process restartInBackground() throws IOException {
        return command("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart").start();
    }

    private void ctl(String action) {
        run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, action);
    }

    @Override
    public void close() {
        run("pg_dropcluster", "--stop", version, name);
    }

    private static ProcessBuilder command(String... command) {
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    private static void run(String... command) {
        try {
            Process process = command(command).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 120 s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
                        + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }

    private static String installedVersion() throws IOException {
        if (!Files.isDirectory(INSTALLED)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(INSTALLED)) {
            return versions.filter(p -> Files.isExecutable(p.resolve("bin").resolve("postgres")))
                    .map(p -> p.getFileName().toString()).filter(v -> v.matches("\\d+(\\.\\d+)?"))
                    .max(Comparator.comparingDouble(Double::parseDouble)).orElse(null);
        }
    }

    private static boolean onPath(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/bin");
        return dirs.stream().anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)));
    }
}
