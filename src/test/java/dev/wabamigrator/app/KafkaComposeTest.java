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
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * kafka-compose.yml speaks the configuration contract of design.md §4, and nothing the app does not read; it holds no
 * secret of its own and publishes nothing beyond the Docker host's loopback.
 */
class KafkaComposeTest {
    private static final List<String> CONTRACT = List.of("KAFKA_BROKERS", "DB_URL", "DB_USER", "DB_PASSWORD",
            "ALIBABA_ENDPOINT", "ALIBABA_ACCESS_KEY_ID", "ALIBABA_ACCESS_KEY_SECRET", "META_GRAPH_URL",
            "META_GRAPH_VERSION", "META_APP_ID", "META_SYSTEM_USER_TOKEN", "META_APP_SECRET", "SANDBOX", "SECRETS_KEY",
            "MANAGEMENT_HOST", "JOLOKIA_HOST", "JOLOKIA_USER", "JOLOKIA_PASSWORD", "WEBHOOK_HOST", "WEBHOOK_PORT",
            "META_WEBHOOK_VERIFY_TOKEN");
    /** A value compose must take from the environment, refusing to start without it: ${NAME:?message}. */
    private static final Pattern REQUIRED = Pattern.compile("\\$\\{([A-Z0-9_]+):\\?[^}]+}");
    private static final Pattern SECRET_NAME = Pattern.compile(".*(PASSWORD|SECRET|KEY|TOKEN).*");

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

    private static JsonNode compose() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(Path.of("kafka-compose.yml").toFile());
    }

    @Test
    void should_take_every_secret_from_the_environment_and_refuse_to_start_without_it() throws Exception {
        JsonNode compose = compose();
        List<String> secrets = new ArrayList<>();
        compose.path("services").fields().forEachRemaining(service -> service.getValue().path("environment").fields()
                .forEachRemaining(variable -> {
                    if (SECRET_NAME.matcher(variable.getKey()).matches()) {
                        secrets.add(service.getKey() + "." + variable.getKey());
                        assertThat(variable.getValue().asText()).as(variable.getKey()).matches(REQUIRED);
                    }
                }));
        JsonNode app = compose.at("/services/waba-migrator/environment");

        assertThat(secrets).contains("waba-migrator.SECRETS_KEY", "waba-migrator.DB_PASSWORD",
                "waba-migrator.JOLOKIA_PASSWORD", "postgres.POSTGRES_PASSWORD");
        Matcher database = REQUIRED.matcher(compose.at("/services/postgres/environment/POSTGRES_PASSWORD").asText());
        assertThat(database.matches()).isTrue();
        assertThat(database.group(1)).isEqualTo("DB_PASSWORD"); // one value for the database and the app
        assertThat(app.path("DB_PASSWORD").asText()).startsWith("${DB_PASSWORD:?");
    }

    @Test
    void should_publish_ports_on_the_docker_host_loopback_only() throws Exception {
        JsonNode compose = compose();
        Map<String, List<String>> published = new java.util.TreeMap<>();
        compose.path("services").fields().forEachRemaining(service -> service.getValue().path("ports")
                .forEach(port -> published.computeIfAbsent(service.getKey(), k -> new ArrayList<>()).add(port.asText())));

        assertThat(published).containsOnlyKeys("kafka", "postgres", "waba-migrator");
        assertThat(published.values().stream().flatMap(List::stream))
                .allSatisfy(port -> assertThat(port).startsWith("127.0.0.1:"));
        assertThat(published.get("waba-migrator")).containsExactlyInAnyOrder("127.0.0.1:9876:9876", "127.0.0.1:8778:8778",
                "127.0.0.1:8090:8090");
    }

    @Test
    void should_give_jolokia_a_password_where_it_listens_beyond_loopback() throws Exception {
        JsonNode app = compose().at("/services/waba-migrator/environment");

        // inside the container Jolokia must listen on 0.0.0.0 for Docker to forward to it: the app then demands
        // configured credentials, so compose has to pass them
        assertThat(app.path("JOLOKIA_HOST").asText()).isEqualTo("0.0.0.0");
        assertThat(app.path("JOLOKIA_PASSWORD").asText()).matches(REQUIRED);
        assertThat(app.path("JOLOKIA_USER").asText()).isNotBlank();
    }
}
