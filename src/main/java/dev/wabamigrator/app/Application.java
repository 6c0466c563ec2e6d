package dev.wabamigrator.app;

import org.apache.camel.main.Main;

/** Starts waba-migrator: {@code java -jar target/waba-migrator.jar [--demo | --console]}. */
public final class Application {

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
     * With {@code --demo}: sample migrations through the sandbox, a timeline of their events, then exit. With
     * {@code --console}: Hawtio for a service already running (its own process, see {@link Console}).
     */
    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--demo")) {
            System.exit(Demo.run(args));
        }
        if (java.util.Arrays.asList(args).contains("--console")) {
            try {
                System.exit(Console.run(System.getenv()));
            } catch (IllegalStateException notReady) { // no war, no password: say what to do, no stack trace
                System.err.println(notReady.getMessage());
                System.exit(2);
            }
        }
        System.exit(create().run(args));
    }
}
