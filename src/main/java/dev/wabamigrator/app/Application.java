package dev.wabamigrator.app;

import org.apache.camel.main.Main;

/** Starts waba-migrator: {@code java -jar target/waba-migrator.jar [--demo]}. */
public final class Application {

    private Application() {
    }

    public static Main create() {
        Main main = new Main();
        main.configure().addConfiguration(AppConfiguration.class);
        return main;
    }

    /** With {@code --demo}: sample migrations through the sandbox, a timeline of their events, then exit. */
    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--demo")) {
            System.exit(Demo.run(args));
        }
        System.exit(create().run(args));
    }
}
