package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rotating SECRETS_KEY: a META_MPS migration parked with its PIN sealed under key A is resumed by an application
 * started with SECRETS_KEY=B and SECRETS_KEY_PREVIOUS=A. It must send Meta the very PIN of the command, finish, and
 * leave the row sealed under B, so that A can be dropped for it. The Graph sandbox lives in the test, so it outlives
 * the first application and remembers the number.
 */
class SecretsKeyRotationIT {
    private static final String KEY_A = "rotation-test-key-a";
    private static final String KEY_B = "rotation-test-key-b";
    private static final String PIN = "590317";
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void should_finish_a_migration_parked_under_the_previous_key_with_its_pin(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        MetaSandbox graph = new MetaSandbox();
        String migrationId = "m-rotate-" + kind;
        String number = "6505561003"; // ends in 1003: register refuses the PIN until the number's PIN is set
        String phone = "1" + number;
        graph.addSourceNumber("2000000301", "1", number, "Acme Rotation");
        try (ProviderSandbox sandbox = new ProviderSandbox(0)) {
            sandbox.mount(MetaSandbox.CONTEXT_PATH, graph).mount(MetaSandbox.CONTROL_CONTEXT_PATH, graph).onClose(graph);
            sandbox.start();
            MetaSandboxControl meta = MetaSandboxControl.of(sandbox);
            Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), null);
            properties.put("app.sandbox.enabled", "false");
            properties.put("app.provider.meta.graph-url", sandbox.baseUrl() + MetaSandbox.CONTEXT_PATH);
            properties.put("app.provider.meta.app-id", MetaSandbox.APP_ID);
            properties.put("app.provider.meta.app-secret", MetaSandbox.APP_SECRET);
            properties.put("app.provider.meta.system-user-token", MetaSandbox.SYSTEM_TOKEN);
            properties.put("app.provider.meta.acceptance.initial-interval-ms", "50");
            properties.put("app.provider.meta.acceptance.max-interval-ms", "100");
            properties.put("app.secrets.key", KEY_A);
            try (Commands commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
                 Events events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"))) {

                try (TestApp underKeyA = TestApp.start(properties)) {
                    commands.send(phone, """
                            {"commandId":"start-%1$s","type":"StartMigration","migrationId":"%1$s","flow":"META_MPS",
                             "phoneNumber":{"countryCode":"1","number":"%2$s"},
                             "meta":{"sourceWabaId":"2000000301","businessPortfolioId":"7720000003010000",
                                     "displayPhoneNumber":"+1 %2$s","verifiedName":"Acme Rotation","pin":"%3$s"}}"""
                            .formatted(migrationId, number, PIN));
                    JsonNode parked = events.await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                            && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));
                    assertThat(parked.at("/data/step").asText()).isEqualTo("register");
                    assertThat(parked.at("/data/error/code").asText()).isEqualTo("133005");
                }
                assertThat(sealedSecrets(database, migrationId)).as("parked with its secrets sealed under key A")
                        .startsWith("v2:" + new SecretBox(KEY_A).currentKeyId() + ":");

                meta.setPin(phone, PIN); // the number's owner confirms the PIN the command carried
                properties.put("app.secrets.key", KEY_B);
                properties.put("app.secrets.previous-keys", KEY_A);
                try (TestApp underKeyB = TestApp.start(properties)) {
                    commands.send(phone, """
                            {"commandId":"resume-%1$s","type":"ResumeMigration","migrationId":"%1$s"}"""
                            .formatted(migrationId));
                    events.awaitType(migrationId, "waba.migration.completed");
                }

                assertThat(meta.calls(Ops.REGISTER, phone)).as("the refused register, then the one with the right PIN")
                        .isEqualTo(2);
                String sealed = sealedSecrets(database, migrationId);
                SecretBox keyBAlone = new SecretBox(KEY_B);
                assertThat(sealed).as("re-sealed under key B on its next write")
                        .startsWith("v2:" + keyBAlone.currentKeyId() + ":");
                assertThat(JSON.readTree(keyBAlone.decrypt(sealed, migrationId)).path("pin").asText()).isEqualTo(PIN);
                assertThat(events.all()).allSatisfy(e ->
                        assertThat(MessageSchemas.shared().validateEvent(e)).as(e.toString()).isEmpty());
                assertThat(events.records()).allSatisfy(r -> assertThat(new String(r.value())).doesNotContain(PIN));
            }
        }
    }

    private static String sealedSecrets(TestDatabase database, String migrationId) throws Exception {
        try (Connection connection = database.connect();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT secrets FROM migration WHERE migration_id = ?")) {
            statement.setString(1, migrationId);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        }
    }
}
