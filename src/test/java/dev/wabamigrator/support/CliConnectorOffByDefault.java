package dev.wabamigrator.support;

import org.apache.camel.cli.connector.DefaultCliConnectorFactory;

/** The Camel CLI connector, off until the application's configuration turns it on (see the test service file). */
public final class CliConnectorOffByDefault extends DefaultCliConnectorFactory {
    public CliConnectorOffByDefault() {
        setEnabled(false);
    }
}
