package dev.wabamigrator.support;

import dev.wabamigrator.app.Application;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.camel.main.Main;

/**
 * The application with the test flows as a real, separate JVM, so a test can kill it with SIGKILL
 * ({@link Process#destroyForcibly()}) at any instant and start it again on the same database and topics.
 * Stdout and stderr go to a log file for diagnosis. The child halts by itself if the test JVM dies, so none is
 * left behind.
 */
public final class ChildJvm implements AutoCloseable {
    private static final String PARENT_PID = "waba.test.parent-pid";

    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts the application in a new JVM with the test classpath and these properties. They travel in a properties
     * file next to the log and become Camel override properties, exactly as {@link TestApp#start} sets them.
     */
    public static ChildJvm start(Map<String, String> properties, Path log) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        Path propertiesFile = log.resolveSibling(log.getFileName() + ".properties");
        Properties file = new Properties();
        file.putAll(properties);
        try (Writer out = Files.newBufferedWriter(propertiesFile)) {
            file.store(out, "properties of the child JVM logging to " + log.getFileName());
        }
        return startMain(ChildJvm.class, List.of(propertiesFile.toAbsolutePath().toString()), log);
    }

    /**
     * Runs {@code main} of the given class in a new JVM with the test classpath; the child's {@code main} should call
     * {@link #haltWithParent()} so it never outlives the test JVM.
     */
    public static ChildJvm startMain(Class<?> main, List<String> args, Path log) throws IOException {
        return startMain(main, args, Map.of(), log);
    }

    /** As {@link #startMain(Class, List, Path)}, with these environment variables added to the child's. */
    public static ChildJvm startMain(Class<?> main, List<String> args, Map<String, String> environment, Path log)
            throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx384m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-D" + PARENT_PID + "=" + ProcessHandle.current().pid());
        command.add("-cp");
        command.add(classPath());
        command.add(main.getName());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder
                // not the project folder: with target/classes on the classpath and ./routes in the working folder,
                // Camel finds classpath:routes/*.camel.yaml twice ("Route configuration already exists")
                .directory(log.toAbsolutePath().getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new ChildJvm(process, log);
    }

    /** In a child started by {@link #startMain}: halts this JVM as soon as the test JVM that started it is gone. */
    public static void haltWithParent() {
        String parent = System.getProperty(PARENT_PID);
        if (parent != null) {
            ProcessHandle.of(Long.parseLong(parent)).ifPresentOrElse(
                    handle -> handle.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
                    () -> Runtime.getRuntime().halt(3));
        }
    }

    /**
     * Entry point of the child: what {@link TestMain} does, with the properties of the file given as first argument
     * set as override properties (as {@link TestApp#start} does), plus a guard that halts this JVM when its parent is
     * gone. Not {@code -Dkey=value} into TestMain: the child gets exactly the properties a test app gets, the same
     * way.
     */
    public static void main(String[] args) throws Exception {
        haltWithParent();
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
            properties.load(in);
        }
        Main main = Application.create();
        main.configure().addConfiguration(TestConfiguration.class);
        properties.stringPropertyNames().forEach(key -> main.addOverrideProperty(key, properties.getProperty(key)));
        System.exit(main.run(new String[0]));
    }

    /** Surefire may start tests from a manifest-only jar; its real test classpath is in this property. */
    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** Waits for the child to end by itself and returns its exit code. */
    public int awaitExit(java.time.Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("child JVM " + process.pid() + " still runs after " + timeout);
        }
        return process.exitValue();
    }

    /** SIGKILL (on Linux), then waits until the process is really gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("child JVM " + process.pid() + " did not die within 30 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for child JVM " + process.pid() + " to die", e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
