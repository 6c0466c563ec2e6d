package dev.wabamigrator.app;

import org.apache.camel.main.Main;

/** Starts waba-migrator: {@code java -jar target/waba-migrator.jar}. */
public final class Application {

    private Application() {
    }

    public static Main create() {
        Main main = new Main();
        main.configure().addConfiguration(AppConfiguration.class);
        return main;
    }

    public static void main(String[] args) throws Exception {
        System.exit(create().run(args));
    }
}
