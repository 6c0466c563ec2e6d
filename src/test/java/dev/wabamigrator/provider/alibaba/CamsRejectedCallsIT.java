package dev.wabamigrator.provider.alibaba;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.notMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * cams answers that reject a call before it runs, against a fake at the HTTP level (WireMock) that answers as the
 * documented gateway does: a date or nonce rejection that recurs on the re-signed retry escalates at once instead
 * of being retried until the park limit; a signature failure pauses every cams call (one person asked, the others
 * parked without a call, readiness DOWN) until the migration that hit it is resumed.
 */
class CamsRejectedCallsIT {
    private static WireMockServer cams;
    private static TestApp app;
    private static Commands commands;
    private static Events events;

    @BeforeAll
    static void start() throws Exception {
        cams = new WireMockServer(wireMockConfig().dynamicPort());
        cams.start();
        // WireMock logs a request once it has answered it, and its first answer takes seconds: answer one now
        java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + cams.port() + "/")).POST(
                java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        properties.put("app.sandbox.enabled", "false");
        properties.put("app.provider.alibaba.endpoint", "http://localhost:" + cams.port() + "/");
        properties.put("app.provider.alibaba.access-key-id", "rejected-key-id");
        properties.put("app.provider.alibaba.access-key-secret", "rejected-key-secret");
        properties.put("app.provider.pause.refresh-ms", "100");
        properties.put("app.provider.pause.recheck-ms", "300");
        // one call per operation every 2 s: a migration waits for its rate slot long enough to be looked at
        properties.put("app.provider.alibaba.max-calls-per-second", "0.5");
        app = TestApp.start(properties);
        commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
        events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            assertThat(events.all()).isNotEmpty().allSatisfy(event -> assertThat(
                    dev.wabamigrator.event.MessageSchemas.shared().validateEvent(event)).as(event.toString()).isEmpty());
        } finally {
            closeAll();
        }
    }

    private static void closeAll() throws Exception {
        events.close();
        commands.close();
        app.close();
        cams.stop();
    }

    @AfterEach
    void forgetStubs() {
        cams.resetAll();
    }

    private static void answer(String action, int status, String body) {
        cams.stubFor(post(urlPathEqualTo("/")).withHeader("x-acs-action", equalTo(action))
                .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body)));
    }

    private static void answerEverything(int status, String code) {
        cams.stubFor(post(urlPathEqualTo("/")).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"RequestId\":\"rq-" + code + "\",\"Code\":\"" + code + "\",\"Message\":\"" + code + "\"}")));
    }

    /** A number verified recently: initiate, status check, register. */
    private static void answerTheHappyPath() {
        cams.resetAll();
        answer("CreateChatappMigrationInitiate", 200, "{\"RequestId\":\"r1\",\"Code\":\"OK\",\"Data\":{\"Id\":\"9\",\"Status\":\"MIGRATING\"}}");
        answer("GetPhoneNumberVerificationStatus", 200, "{\"RequestId\":\"r2\",\"Code\":\"OK\",\"Data\":{\"Id\":\"9\",\"CodeVerificationStatus\":\"VERIFIED\"}}");
        answer("ChatappMigrationRegister", 200, "{\"RequestId\":\"r3\",\"Code\":\"OK\",\"Message\":\"SUCCESS\"}");
    }

    private static void start(String migrationId, String number) {
        commands.send("86" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},"alibaba":{"custSpaceId":"cams-rejected"}}"""
                .formatted(migrationId, migrationId, number));
    }

    private static int callsFor(String number) {
        return cams.findAll(postRequestedFor(urlPathEqualTo("/")).withQueryParam("MobileNumber", equalTo(number))).size();
    }

    /**
     * The calls of the migrations: not the templates listings, which trail the migrations completed by the other
     * tests and are no migration's call.
     */
    private static int migrationCalls() {
        return cams.findAll(postRequestedFor(urlPathEqualTo("/"))
                .withHeader("x-acs-action", notMatching("ListChatappTemplate"))).size();
    }

    private static JsonNode personAsked(String migrationId) {
        return events.await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));
    }

    @Test
    void should_ask_a_person_to_check_the_clock_when_the_date_is_rejected_again_on_the_re_signed_retry() {
        answerEverything(400, "InvalidTimeStamp.Expired");
        start("m-clock", "13900000101");

        JsonNode asked = personAsked("m-clock");

        assertThat(asked.at("/data/error/code").asText()).isEqualTo("InvalidTimeStamp.Expired");
        assertThat(asked.at("/data/error/category").asText()).isEqualTo("NEEDS_HUMAN");
        assertThat(asked.at("/data/awaiting/reason").asText()).contains("clock");
        assertThat(callsFor("13900000101")).as("one call and one re-signed retry, not the park limit").isEqualTo(2);
    }

    @Test
    void should_fail_when_a_fresh_nonce_is_rejected_again() {
        answerEverything(400, "SignatureNonceUsed");
        start("m-nonce", "13900000102");

        JsonNode failed = events.awaitType("m-nonce", "waba.migration.failed");

        assertThat(failed.at("/data/error/code").asText()).isEqualTo("SignatureNonceUsed");
        assertThat(failed.at("/data/error/category").asText()).isEqualTo("PERMANENT");
        assertThat(callsFor("13900000102")).isEqualTo(2);
    }

    @Test
    void should_pause_every_cams_call_on_a_signature_failure_until_the_migration_that_hit_it_is_resumed() {
        answerEverything(400, "SignatureDoesNotMatch");
        List<String> ids = List.of("m-sig-1", "m-sig-2", "m-sig-3");
        for (int i = 0; i < ids.size(); i++) {
            start(ids.get(i), "1390000020" + i);
        }

        // one migration asks a person; the others are parked behind the pause, without a person
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(id ->
                events.forMigration(id).stream().anyMatch(e -> e.path("type").asText().endsWith("awaiting-input")
                        || e.path("type").asText().endsWith("retry-scheduled"))));
        List<JsonNode> asked = events.all().stream().filter(e -> ids.contains(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText())).toList();
        assertThat(asked).hasSize(1);
        assertThat(asked.get(0).at("/data/error/code").asText()).isEqualTo("SignatureDoesNotMatch");
        String hitIt = asked.get(0).at("/data/migrationId").asText();
        assertThat(readiness().getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(readiness().getMessage().orElse("")).contains("SignatureDoesNotMatch").contains(hitIt);

        // while paused, the parked migrations look again and again but send nothing
        int callsWhenPaused = migrationCalls();
        assertThat(callsWhenPaused).isLessThanOrEqualTo(ids.size());
        String parked = ids.stream().filter(id -> !id.equals(hitIt)).findFirst().orElseThrow();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.forMigration(parked).stream()
                .filter(e -> e.path("type").asText().endsWith("retry-scheduled")).count() >= 3);
        assertThat(migrationCalls()).isEqualTo(callsWhenPaused);
        assertThat(events.forMigration(parked)).filteredOn(e -> e.path("type").asText().endsWith("retry-scheduled"))
                .allSatisfy(e -> assertThat(e.at("/data/error/message").asText()).contains("paused"));

        // the credentials are fixed; resuming the migration that hit the failure ends the pause for all
        answerTheHappyPath();
        commands.send("86", """
                {"commandId":"resume-%s","type":"ResumeMigration","migrationId":"%s"}""".formatted(hitIt, hitIt));
        for (String id : ids) {
            events.awaitType(id, "waba.migration.completed");
        }
        assertThat(readiness().getState()).isEqualTo(HealthCheck.State.UP);
    }

    @Test
    void should_not_record_a_call_as_begun_while_it_waits_for_its_rate_slot() throws Exception {
        answerTheHappyPath();
        List<String> numbers = List.of("13900000301", "13900000302", "13900000303");
        for (String number : numbers) {
            start("m-slot-" + number, number);
        }

        // one initiate sent, the other two claimed at initiate and waiting for their slot (2 s and 4 s away)
        Map<String, String> waiting = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            if (initiatesSent(numbers) != 1) {
                return null;
            }
            Map<String, String> rows = claimedAtInitiate();
            rows.keySet().removeIf(id -> callsFor(id.substring("m-slot-".length())) > 0);
            return rows.size() == 2 && initiatesSent(numbers) == 1 ? rows : null;
        }, rows -> rows != null);

        // a kill now would find them not "maybe sent": no read-back, no "a code may have been sent" later
        assertThat(waiting).as("pending_call of the migrations waiting for their slot")
                .allSatisfy((id, pendingCall) -> assertThat(pendingCall).isEqualTo("-"));
        for (String number : numbers) {
            events.awaitType("m-slot-" + number, "waba.migration.completed");
            assertThat(callsFor(number)).isEqualTo(1);
        }
    }

    private static int initiatesSent(List<String> numbers) {
        return numbers.stream().mapToInt(CamsRejectedCallsIT::callsFor).sum();
    }

    /** migrationId → pending_call ("-" for none) of the m-slot migrations claimed by a worker at step initiate. */
    private static Map<String, String> claimedAtInitiate() throws java.sql.SQLException {
        Map<String, String> rows = new java.util.HashMap<>();
        try (java.sql.Connection connection = app.bean("dataSource", javax.sql.DataSource.class).getConnection();
             java.sql.Statement statement = connection.createStatement();
             java.sql.ResultSet rs = statement.executeQuery("SELECT migration_id, pending_call FROM migration "
                     + "WHERE migration_id LIKE 'm-slot-%' AND step = 'initiate' AND claim_owner IS NOT NULL")) {
            while (rs.next()) {
                rows.put(rs.getString(1), rs.getString(2) == null ? "-" : rs.getString(2));
            }
        }
        return rows;
    }

    private static HealthCheck.Result readiness() {
        return HealthCheckHelper.invokeReadiness(app.context()).stream()
                .filter(r -> r.getCheck().getId().equals("provider-alibaba")).findFirst()
                .orElseThrow(() -> new AssertionError("no readiness check provider-alibaba"));
    }
}
