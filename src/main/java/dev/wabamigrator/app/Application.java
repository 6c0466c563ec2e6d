package dev.wabamigrator.app;

import dev.wabamigrator.importer.ImportCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.camel.main.Main;
import org.slf4j.LoggerFactory;

/** Starts waba-migrator: {@code java -jar target/waba-migrator.jar [import … | --demo | --console]}. */
public final class Application {
    private static final String LOG_FILE = "org.slf4j.simpleLogger.logFile";

    private Application() {
    }

    /**
     * The service, wired one concern at a time in this order: each configuration's {@code @PropertyInject} settings
     * and {@code @BindToRegistry} beans first, then their {@code configure} methods in the order added. What they
     * open is closed in reverse order when Camel stops (see {@link Resources}).
     */
    public static Main create() {
        Main main = new Main();
        main.configure().withConfigurations(
                SecretsConfiguration.class,
                KafkaConfiguration.class,      // the broker, then the topics
                DatabaseConfiguration.class,   // the pool, then Flyway
                SandboxConfiguration.class,    // points the provider properties at itself...
                TracingConfiguration.class,    // stepTraces, before the events read it
                EngineConfiguration.class,
                ProvidersConfiguration.class,  // ...before the provider clients read them
                WebhooksConfiguration.class,   // after the sandbox, which sets the app secret it checks with
                CliConfiguration.class,
                OperationsConfiguration.class); // Jolokia last, so closed first
        return main;
    }

    /**
     * With {@code import}: a Kafka client that starts a batch of migrations from a CSV file on a running service and
     * follows it (see {@link ImportCommand}). With {@code --demo}: sample migrations through the sandbox, a timeline
     * of their events, then exit. With {@code --console}: Hawtio for a service already running (its own process, see
     * {@link Console}). Without arguments: the service.
     */
    public static void main(String[] args) throws Exception {
        List<String> arguments = List.of(args);
        if (!arguments.isEmpty() && arguments.get(0).equals("import")) {
            List<String> importArgs = arguments.subList(1, arguments.size());
            if (!importArgs.contains("--help") && !importArgs.contains("-h")) {
                System.out.println("log: " + logToFile("import.log"));
            }
            System.exit(new ImportCommand(ImportCommand.Connection.fromEnvironment(System.getenv()), System.out,
                    System.err, System.console() != null).run(importArgs));
        }
        if (arguments.contains("--demo")) {
            Path log = logToFile("demo.log");
            System.exit(exitCode("the demo", () -> Demo.run(args, log)));
        }
        if (arguments.contains("--console")) {
            try {
                System.exit(Console.run(System.getenv()));
            } catch (IllegalStateException notReady) { // no war, no password: say what to do, no stack trace
                System.err.println(notReady.getMessage());
                System.exit(2);
            }
        }
        System.exit(exitCode("the service", () -> create().run(args)));
    }

    /**
     * Runs the service or the demo; a failure (one at startup, say a port already taken) ends the process with 1.
     * Without this the embedded broker's threads would keep a process alive whose service never started.
     */
    private static int exitCode(String what, Callable<Integer> run) {
        try {
            return run.call();
        } catch (Exception failed) {
            LoggerFactory.getLogger(Application.class).error("{} stopped", what, failed);
            if (System.getProperty(LOG_FILE) != null) { // the log is in a file: say why on the terminal too
                Throwable cause = failed;
                while (cause.getCause() != null && cause.getMessage() == null) {
                    cause = cause.getCause();
                }
                System.err.println(what + " stopped: " + cause.getMessage() + " (log: " + System.getProperty(LOG_FILE)
                        + ")");
            }
            return 1;
        }
    }

    /**
     * Sends the log to {@code <DATA_DIR>/logs/<name>}, a fresh file per run, so the terminal is left to people. Must
     * run before anything logs: the logger reads its settings once, when the first logger is made.
     */
    private static Path logToFile(String name) throws IOException {
        Path log = Path.of(System.getenv().getOrDefault("DATA_DIR", "./data"), "logs", name);
        Files.createDirectories(log.getParent());
        if (System.getProperty(LOG_FILE) == null) {
            System.setProperty(LOG_FILE, log.toString());
        }
        return Path.of(System.getProperty(LOG_FILE));
    }
}
