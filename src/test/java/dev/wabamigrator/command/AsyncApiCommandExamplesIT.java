package dev.wabamigrator.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every command example of docs/asyncapi.yaml, sent as an upstream system would, is taken in by the running
 * service: the StartMigration examples start migrations, and no example is refused for its form. (An example may
 * still find its migration in another state, e.g. a resume of a running migration: that is the state, not the form.)
 */
class AsyncApiCommandExamplesIT {
    private static final Set<String> FORM_REJECTIONS = Set.of("SCHEMA_VIOLATION", "UNKNOWN_COMMAND_TYPE", "UNKNOWN_FLOW",
            "PAYLOAD_TOO_LARGE");

    /** APPLIED or REJECTED once intake recorded the command, else null. */
    private static String outcomeOf(TestDatabase database, String commandId) throws java.sql.SQLException {
        try (java.sql.Connection connection = database.connect();
             java.sql.PreparedStatement query = connection.prepareStatement(
                     "SELECT outcome FROM processed_command WHERE command_id = ?")) {
            query.setString(1, commandId);
            try (java.sql.ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    @Test
    void should_take_in_every_command_example_of_the_contract() throws Exception {
        JsonNode asyncApi = new ObjectMapper(new YAMLFactory()).readTree(Path.of("docs/asyncapi.yaml").toFile());
        List<JsonNode> examples = new ArrayList<>();
        asyncApi.path("channels").path("commands").path("messages").forEach(ref -> {
            JsonNode message = asyncApi.at(ref.path("$ref").asText().substring(1));
            message.path("examples").forEach(example -> examples.add(example.path("payload")));
        });
        assertThat(examples).extracting(e -> e.path("type").asText()).contains("StartMigration",
                "SubmitVerificationCode", "ResendVerificationCode", "CancelMigration", "ResumeMigration");

        TestDatabase database = TestDatabase.h2();
        Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), null);
        properties.put("app.sandbox.enabled", "true");
        try (TestApp app = TestApp.start(properties);
             Commands commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
             Events events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"))) {
            for (JsonNode example : examples) {
                JsonNode phone = example.path("phoneNumber");
                commands.send(phone.isMissingNode() ? "8613900001234" : phone.path("countryCode").asText()
                        + phone.path("number").asText(), example.toString());
            }
            for (JsonNode example : examples) {
                String commandId = example.path("commandId").asText();
                String outcome = org.awaitility.Awaitility.await().until(() -> outcomeOf(database, commandId),
                        java.util.Objects::nonNull);
                if (outcome.equals("REJECTED")) {
                    JsonNode rejected = events.awaitRejection(commandId);
                    assertThat(rejected.at("/data/reason/code").asText()).as(example.toString()).isNotIn(FORM_REJECTIONS);
                }
            }
            for (JsonNode example : examples) {
                if (example.path("type").asText().equals("StartMigration")) {
                    JsonNode accepted = events.awaitType(example.path("migrationId").asText(), "waba.migration.accepted");
                    // a batch named in the command comes back in the event; none named, none carried
                    assertThat(accepted.path("data").path("batchId")).as(example.toString())
                            .isEqualTo(example.path("batchId"));
                }
            }
        }
    }
}
