package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A code wait that nobody answers ends in FAILED / EXPIRED when the code's validity runs out. */
class CodeExpiryIT {

    @Test
    void should_fail_with_expired_when_no_code_arrives_in_time() throws Exception {
        try (StepServer provider = new StepServer()) {
            Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), provider.url());
            properties.put("app.code-wait.validity-ms", "500");
            try (TestApp app = TestApp.start(properties);
                 Commands commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
                 Events events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"))) {
                commands.send("15550001", """
                        {"commandId":"c-exp","type":"StartMigration","migrationId":"m-exp","flow":"TEST_CODE",
                         "phoneNumber":{"countryCode":"1","number":"5550001"}}""");

                JsonNode failed = events.awaitType("m-exp", "waba.migration.failed");

                assertThat(failed.at("/data/error/code").asText()).isEqualTo("EXPIRED");
                assertThat(failed.at("/data/step").asText()).isEqualTo("await-code");
                assertThat(events.typesFor("m-exp")).contains("waba.migration.awaiting-input");
            }
        }
    }
}
