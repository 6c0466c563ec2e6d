package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** kafka-compose.yml speaks the configuration contract of design.md §4, and nothing the app does not read. */
class KafkaComposeTest {
    private static final List<String> CONTRACT = List.of("KAFKA_BROKERS", "DB_URL", "DB_USER", "DB_PASSWORD",
            "ALIBABA_ENDPOINT", "ALIBABA_ACCESS_KEY_ID", "ALIBABA_ACCESS_KEY_SECRET", "META_GRAPH_URL",
            "META_GRAPH_VERSION", "META_APP_ID", "META_SYSTEM_USER_TOKEN", "META_APP_SECRET", "SANDBOX", "SECRETS_KEY");

    private static Set<String> variablesTheAppReads() throws Exception {
        Matcher matcher = Pattern.compile("\\{\\{env:([A-Z0-9_]+)")
                .matcher(Files.readString(Path.of("src/main/resources/application.properties")));
        Set<String> names = new TreeSet<>();
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    @Test
    void should_map_every_contract_variable_in_application_properties() throws Exception {
        assertThat(variablesTheAppReads()).containsAll(CONTRACT);
    }

    @Test
    void should_give_the_app_only_variables_it_reads_and_point_it_at_the_compose_services() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(Path.of("kafka-compose.yml").toFile());
        JsonNode app = compose.at("/services/waba-migrator");
        List<String> names = new ArrayList<>();
        app.path("environment").fieldNames().forEachRemaining(names::add);

        assertThat(variablesTheAppReads()).containsAll(names);
        assertThat(names).contains("KAFKA_BROKERS", "DB_URL", "DB_USER", "DB_PASSWORD", "SECRETS_KEY");
        assertThat(app.at("/environment/KAFKA_BROKERS").asText()).isEqualTo("kafka:9092");
        assertThat(app.at("/environment/DB_URL").asText()).startsWith("jdbc:postgresql://postgres:5432/");
        assertThat(compose.at("/services/kafka/image").asText()).isEqualTo("apache/kafka:3.9.1");
        assertThat(compose.at("/services/kafka/environment/KAFKA_PROCESS_ROLES").asText()).isEqualTo("broker,controller");
        assertThat(compose.at("/services/postgres/environment/POSTGRES_USER").asText())
                .isEqualTo(app.at("/environment/DB_USER").asText());
    }
}
