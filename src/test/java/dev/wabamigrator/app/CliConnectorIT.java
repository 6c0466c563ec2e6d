package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.camel.spi.CliConnector;
import org.apache.camel.util.HomeHelper;
import org.junit.jupiter.api.Test;

/**
 * Camel JBang's {@code camel get} / {@code camel top} read a running service from {@code ~/.camel/<pid>-status.json},
 * which camel-cli-connector writes: the file appears with the service's routes, in a directory only its user can
 * open, without the service's secrets, and goes when the service stops; in the prod profile there is no connector.
 */
class CliConnectorIT {
    private static final Path CAMEL_DIR = Path.of(HomeHelper.resolveHomeDir(), ".camel");
    private static final Path STATUS = CAMEL_DIR.resolve(ProcessHandle.current().pid() + "-status.json");

    @Test
    void should_publish_the_status_camel_get_reads_to_this_user_only() throws Exception {
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        properties.put("app.cli.enabled", "true");
        properties.put("app.jolokia.password", "jolokia-secret-42");
        try (TestApp app = TestApp.start(properties)) {
            JsonNode[] status = new JsonNode[1];
            await("the connector's status file").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(STATUS).exists();
                status[0] = new ObjectMapper().readTree(Files.readString(STATUS));
                assertThat(status[0].at("/properties/properties").isArray()).as("properties in the status").isTrue();
            });
            // what `camel get` shows: the service's context and its routes
            assertThat(status[0].path("routes").isArray()).isTrue();
            Map<String, String> settings = new HashMap<>();
            status[0].at("/properties/properties").forEach(p -> settings.put(p.path("key").asText(),
                    p.path("value").asText()));
            assertThat(settings).containsEntry("app.secrets.key", "xxxxxx")
                    .containsEntry("app.jolokia.password", "xxxxxx").containsEntry("app.kafka.consumer-group",
                            properties.get("app.kafka.consumer-group"));
            assertThat(status[0].at("/runtime/pid").asLong()).isEqualTo(ProcessHandle.current().pid());
            assertThat(status[0].at("/context/name").asText()).isEqualTo(app.context().getName());
            if (Files.getFileStore(CAMEL_DIR).supportsFileAttributeView("posix")) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(CAMEL_DIR)))
                        .as("~/.camel: the owner's alone").isEqualTo("rwx------");
            }
            assertThat(Files.readString(STATUS)).doesNotContain("test-secrets-key").doesNotContain("jolokia-secret-42");
            assertThat(app.context().hasService(CliConnector.class)).isNotNull();
        }
        assertThat(STATUS).as("removed when the service stops").doesNotExist();
    }

    @Test
    void should_have_no_connector_in_the_prod_profile() throws Exception {
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        properties.put("app.cli.enabled", "true");
        properties.put("camel.main.profile", "prod");
        // a connector of an earlier test in this JVM can write its status once more while it stops (Camel 4.18's
        // status task is not cancelled before the file is deleted): that file is not this service's
        Files.deleteIfExists(STATUS);
        try (TestApp app = TestApp.start(properties)) {
            assertThat(app.context().getCamelContextExtension().getProfile()).isEqualTo("prod");
            assertThat(app.context().hasService(CliConnector.class)).isNull();
            // a connector would write its status within a second of the start, and every second after
            await("no status file while the service runs").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> Files.notExists(STATUS));
        }
    }
}
