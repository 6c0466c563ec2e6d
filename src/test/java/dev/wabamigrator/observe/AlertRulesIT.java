package dev.wabamigrator.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules and the dashboard in docs/ops watch metrics the service really serves: every metric an expression
 * names is on {@code /observe/metrics} of a running service that has met what the rules are about (a throttled
 * provider, a migration waiting for a person).
 */
class AlertRulesIT {
    private static final Path OPS = Path.of("docs/ops");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** PromQL words that are not metric names. */
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset", "inf", "nan");

    @Test
    void should_name_only_metrics_the_service_serves() throws Exception {
        List<String> expressions = new ArrayList<>();
        List<String> alerts = new ArrayList<>();
        for (Path rules : ruleFiles()) {
            for (JsonNode group : YAML.readTree(rules.toFile()).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    alerts.add(rule.path("alert").asText());
                    expressions.add(rule.path("expr").asText());
                }
            }
        }
        JsonNode dashboard = JSON.readTree(OPS.resolve("grafana-dashboard.json").toFile());
        List<String> panelQueries = dashboard.findValuesAsText("expr");
        Set<String> named = new TreeSet<>();
        expressions.forEach(expr -> named.addAll(metricNames(expr)));
        Set<String> namedByDashboard = new TreeSet<>();
        panelQueries.forEach(expr -> namedByDashboard.addAll(metricNames(expr)));
        assertThat(alerts).as("alerts").contains("WabaMigrationWaitingForPerson", "WabaProviderThrottled",
                "WabaOutboxLag", "WabaIntakeLag", "WabaSchedulerBacklog", "WabaHealthDown");
        assertThat(named).as("metrics the rules name").isNotEmpty();
        assertThat(namedByDashboard).as("metrics the dashboard names").isNotEmpty();

        TestDatabase database = TestDatabase.h2();
        int managementPort = TestApp.freePort();
        try (SandboxedService service = SandboxedService.start(database, Map.of(
                "camel.management.enabled", "true",
                "app.management.port", Integer.toString(managementPort),
                "app.metrics.refresh-interval-ms", "100"))) {
            // throttled once per operation (RATE_LIMITED), denied (waits for a person), and one that completes
            start(service, "m-rules-throttled", "13900000002");
            start(service, "m-rules-denied", "13900000003");
            start(service, "m-rules-verified", "13900000001");
            service.events().awaitType("m-rules-verified", "waba.migration.completed");
            service.events().await(e -> "m-rules-denied".equals(e.at("/data/migrationId").asText())
                    && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));
            service.events().await(e -> "m-rules-throttled".equals(e.at("/data/migrationId").asText())
                    && "RATE_LIMITED".equals(e.at("/data/error/category").asText()));

            Set<String> all = new TreeSet<>(named);
            all.addAll(namedByDashboard);
            Set<String>[] served = new Set[1];
            await("every metric the rules and the dashboard name is served").atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> {
                        served[0] = served(managementPort);
                        assertThat(served[0]).containsAll(all);
                    });
            System.out.printf("ALERT RULES %d alerts name %d metrics, the dashboard %d: all served%n",
                    alerts.size(), named.size(), namedByDashboard.size());
            // read until a scrape falls between two refreshes: a refresh re-registers the rows of its gauges
            await("the person's wait and the database's health on /observe/metrics").atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> {
                        String metrics = get(managementPort);
                        assertThat(metrics).contains(
                                "waba_migrations_awaiting{awaiting=\"HUMAN_ACTION\",flow=\"ALIBABA_CHATAPP\"} 1.0");
                        assertThat(metrics).containsPattern("waba_health_check_up\\{check=\"[^\"]*database[^\"]*\"} 1.0");
                    });
        }
    }

    @Test
    void should_read_metric_names_but_not_functions_labels_or_durations_from_an_expression() {
        assertThat(metricNames("max by (flow) (waba_a{awaiting=\"HUMAN_ACTION\"}) > 4 * 3600"
                + " and sum without (step) (rate(waba_b_total[5m] offset 1h)) > bool 0 or absent(waba_c)"))
                .containsExactly("waba_a", "waba_b_total", "waba_c");
    }

    private static void start(SandboxedService service, String migrationId, String number) {
        service.commands().send("86" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},
                 "alibaba":{"custSpaceId":"cams-test","verifyMethod":"sms","locale":"en_US"}}"""
                .formatted(migrationId, migrationId, number));
    }

    private static List<Path> ruleFiles() throws Exception {
        try (Stream<Path> files = Files.list(OPS)) {
            List<Path> rules = files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
            assertThat(rules).as("rule files in docs/ops").isNotEmpty();
            return rules;
        }
    }

    /**
     * The metric names in a PromQL expression: identifiers once label matchers, ranges, groupings and strings are
     * taken out, except functions (followed by a parenthesis), keywords, and units of durations or numbers.
     */
    static Set<String> metricNames(String expr) {
        String bare = expr.replaceAll("\"[^\"]*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(bare);
        while (m.find()) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1).toLowerCase())) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static Set<String> served(int port) throws Exception {
        Set<String> names = new TreeSet<>();
        for (String line : get(port).split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    private static String get(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
