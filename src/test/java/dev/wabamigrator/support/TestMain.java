package dev.wabamigrator.support;

import dev.wabamigrator.app.Application;
import org.apache.camel.main.Main;

/** The application with the test flows, as a separate JVM for crash tests ({@code -D} properties configure it). */
public final class TestMain {
    private TestMain() {
    }

    public static void main(String[] args) throws Exception {
        Main main = Application.create();
        main.configure().addConfiguration(TestConfiguration.class);
        System.exit(main.run(args));
    }
}
