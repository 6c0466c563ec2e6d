package dev.wabamigrator.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.console.DevConsoleRegistry;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CliConnectorFactory;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.util.HomeHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel JBang's CLI ({@code camel get}, {@code camel get route}, {@code camel top}) sees this service through
 * camel-cli-connector, which opens no port: it writes the service's status to {@code ~/.camel/<pid>-status.json}
 * and reads requests from files beside it, so only the service's own user on the same machine can use it. Off unless
 * {@code app.cli.enabled} ({@code CAMEL_CLI_ENABLED}) is true, since its status refresh recomputes every route's
 * statistics each second; always off in the {@code prod} profile ({@code camel.main.profile}).
 */
public final class CliConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(CliConfiguration.class);
    private static final String PRODUCTION_PROFILE = "prod";
    /** The consoles camel-cli-connector 4.18 reads for its status file (LocalCliConnector.statusTask). */
    private static final List<String> STATUS_CONSOLES = List.of("context", "route", "route-group", "endpoint", "health",
            "event", "log", "inflight", "blocked", "micrometer", "trace", "consumer", "producer", "variables",
            "transformers", "service", "platform-http", "rest", "kafka", "main-configuration", "receive",
            "internal-tasks");

    @PropertyInject("app.cli.enabled")
    private boolean enabled;

    @Override
    public void configure(CamelContext context) throws Exception {
        CliConnectorFactory connector = context.getCamelContextExtension().getContextPlugin(CliConnectorFactory.class);
        if (connector == null) {
            return;
        }
        boolean production = PRODUCTION_PROFILE.equals(context.getCamelContextExtension().getProfile());
        connector.setEnabled(enabled && !production);
        if (connector.isEnabled()) {
            Path dir = ownerOnlyDirectory(Path.of(HomeHelper.resolveHomeDir(), ".camel"));
            // the status file carries the properties console: ours masks every secret setting (found before Camel's)
            DevConsoleRegistry consoles = context.getCamelContextExtension().getContextPlugin(DevConsoleRegistry.class);
            if (consoles == null || !consoles.register(new MaskedPropertiesDevConsole())) {
                throw new IllegalStateException("the Camel CLI connector would write secret settings to " + dir
                        + ": set app.cli.enabled=false");
            }
            // the connector's first status, on its own thread, would otherwise register these consoles while the
            // registry starts them, which Camel 4.18 does not guard (ConcurrentModificationException, a failed start)
            STATUS_CONSOLES.forEach(consoles::resolveById);
            // the connector deletes its status file before it stops its status task (Camel 4.18), which can write the
            // file once more: deleted again once the context has stopped, so no status outlives the service
            Path statusFile = dir.resolve(ProcessHandle.current().pid() + "-status.json");
            context.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
                @Override
                public void notify(CamelEvent event) throws IOException {
                    if (event instanceof CamelEvent.CamelContextStoppedEvent) {
                        Files.deleteIfExists(statusFile);
                    }
                }
            });
            LOG.info("Camel CLI connector on: `camel get`, `camel top` by this user on this machine read {}", dir);
        } else if (enabled) {
            LOG.info("Camel CLI connector off in the {} profile", PRODUCTION_PROFILE);
        }
    }

    /**
     * The connector writes the status (routes, health, properties with secrets masked) and reads requests there:
     * created for the owner alone, so that no other user on the machine reads the one or writes the other.
     */
    static Path ownerOnlyDirectory(Path dir) throws IOException {
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rwx------");
        if (Files.notExists(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(ownerOnly));
            } catch (UnsupportedOperationException notPosix) {
                Files.createDirectories(dir);
            }
        } else if (Files.getFileStore(dir).supportsFileAttributeView("posix")
                && !ownerOnly.containsAll(Files.getPosixFilePermissions(dir))) {
            LOG.warn("{} can be read or written by other users: the Camel CLI connector's status and requests live"
                    + " there (chmod 700 it)", dir);
        }
        return dir;
    }
}
