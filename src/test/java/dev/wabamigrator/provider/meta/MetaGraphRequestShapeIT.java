package dev.wabamigrator.provider.meta;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Graph requests of both Meta flows, as they reach the wire: method, path (with the API version), query,
 * JSON body and the bearer token of each call (provider-apis.md §2.2–2.4). Graph is WireMock here; Kafka, the
 * database and Camel are real. Also the reconcile paths after a connection reset on a call that is not safe to
 * repeat.
 */
class MetaGraphRequestShapeIT {
    private static final String APP_ID = "1234567890";
    private static final String SYSTEM_TOKEN = "system-user-token-for-tests";
    private static final String APP_SECRET = "app-secret-for-tests";
    private static final String BUSINESS_TOKEN = "business-token-for-tests";
    private static final String SYSTEM = "Bearer " + SYSTEM_TOKEN;
    private static final String BUSINESS = "Bearer " + BUSINESS_TOKEN;

    private static WireMockServer graph;
    private static TestApp app;
    private static Commands commands;
    private static Events events;

    @BeforeAll
    static void start() throws Exception {
        graph = new WireMockServer(options().dynamicPort());
        graph.start();
        // preflight's reads, below every test's own stubs: each WABA verified, approved, paid for, an app subscribed
        stub(get(urlPathMatching("/v25\\.0/[0-9]+")).atPriority(9)
                .withQueryParam("fields", containing("business_verification_status"))
                .willReturn(ok("{\"business_verification_status\":\"verified\",\"account_review_status\":\"APPROVED\","
                        + "\"primary_funding_id\":\"4711\"}")));
        stub(get(urlPathMatching("/v25\\.0/[0-9]+/subscribed_apps")).atPriority(9)
                .willReturn(ok("{\"data\":[{\"whatsapp_business_api_data\":{\"id\":\"" + APP_ID + "\"}}]}")));
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        properties.put("app.sandbox.enabled", "false");
        properties.put("app.provider.meta.graph-url", graph.baseUrl());
        properties.put("app.provider.meta.app-id", APP_ID);
        properties.put("app.provider.meta.system-user-token", SYSTEM_TOKEN);
        properties.put("app.provider.meta.app-secret", APP_SECRET);
        properties.put("app.retry.park.initial-delay-ms", "50");
        properties.put("app.retry.park.max-delay-ms", "100");
        app = TestApp.start(properties);
        commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
        events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"));
    }

    @AfterAll
    static void stop() throws Exception {
        assertThat(events.all()).allSatisfy(event ->
                assertThat(MessageSchemas.shared().validateEvent(event)).as(event.toString()).isEmpty());
        events.close();
        commands.close();
        app.close();
        graph.stop();
    }

    private static ResponseDefinitionBuilder ok(String json) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withHeader("X-App-Usage", "{\"call_count\":3,\"total_cputime\":1,\"total_time\":2}").withBody(json);
    }

    private static void stub(MappingBuilder request) {
        graph.stubFor(request);
    }

    /** Stubs every META_MPS call of one migration; {@code n} keeps the ids of different tests apart. */
    private static void stubMps(int n) {
        stub(post(urlPathEqualTo("/v25.0/11100" + n + "/set_solution_migration_intent")).willReturn(ok("{\"id\":\"90000" + n + "\"}")));
        stub(get(urlPathEqualTo("/v25.0/90000" + n)).willReturn(ok("{\"id\":\"90000" + n + "\",\"status\":\"ACCEPTED\","
                + "\"destination_waba\":{\"id\":\"33300" + n + "\",\"name\":\"Destination\"}}")));
        stub(post(urlPathEqualTo("/v25.0/22200" + n + "/system_user_access_tokens"))
                .willReturn(ok("{\"access_token\":\"" + BUSINESS_TOKEN + "\"}")));
        stub(post(urlPathEqualTo("/v25.0/33300" + n + "/subscribed_apps")).willReturn(ok("{\"success\":true}")));
        stub(get(urlPathEqualTo("/v25.0/11100" + n + "/phone_numbers")).willReturn(ok("{\"data\":["
                + "{\"id\":\"555\",\"display_phone_number\":\"+1 650-555-9999\",\"status\":\"CONNECTED\"},"
                + "{\"id\":\"55500" + n + "\",\"display_phone_number\":\"+1 650-555-02" + n + "\",\"status\":\"CONNECTED\"}]}")));
        stub(post(urlPathEqualTo("/v25.0/33300" + n + "/phone_numbers")).willReturn(ok("{\"id\":\"77700" + n + "\"}")));
        stub(post(urlPathEqualTo("/v25.0/77700" + n + "/register")).willReturn(ok("{\"success\":true}")));
    }

    private static String startMps(String migrationId, int n) {
        String number = "65055502" + n;
        commands.send("1" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_MPS",
                 "phoneNumber":{"countryCode":"1","number":"%s"},
                 "meta":{"sourceWabaId":"11100%d","businessPortfolioId":"22200%d","displayPhoneNumber":"+1 650-555-02%d",
                         "verifiedName":"Acme","pin":"123456"}}""".formatted(migrationId, migrationId, number, n, n, n));
        return "1" + number;
    }

    private static void verifyOnce(RequestPatternBuilder request) {
        graph.verify(1, request);
    }

    @Test
    void should_send_every_meta_mps_call_with_its_path_body_and_token() {
        stubMps(10);
        startMps("m-shape-mps", 10);

        JsonNode completed = events.awaitType("m-shape-mps", "waba.migration.completed");

        assertThat(completed.at("/data/result/phoneNumberId").asText()).isEqualTo("7770010");
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/1110010/set_solution_migration_intent"))
                .withHeader("Authorization", equalTo(SYSTEM))
                .withHeader("Content-Type", containing("application/json"))
                .withRequestBody(equalToJson("{\"app_id\":\"" + APP_ID + "\"}")));
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/9000010"))
                .withQueryParam("fields", equalTo("id,status,destination_waba,solution,waba"))
                .withHeader("Authorization", equalTo(SYSTEM)));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/2220010/system_user_access_tokens"))
                .withQueryParam("appsecret_proof", equalTo(GraphRequests.appSecretProof(APP_SECRET, SYSTEM_TOKEN)))
                .withQueryParam("fetch_only", equalTo("true"))
                .withHeader("Authorization", equalTo(SYSTEM)));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/3330010/subscribed_apps"))
                .withHeader("Authorization", equalTo(BUSINESS)));
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/1110010/phone_numbers"))
                .withQueryParam("fields", equalTo("id,display_phone_number,status"))
                .withHeader("Authorization", equalTo(BUSINESS)));
        // preflight, before the intent: the source WABA and its numbers, read with the system-user token
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/1110010"))
                .withQueryParam("fields", equalTo("id,business_verification_status,account_review_status"))
                .withHeader("Authorization", equalTo(SYSTEM)));
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/1110010/phone_numbers"))
                .withQueryParam("fields", equalTo("id,display_phone_number,status,name_status,new_name_status,"
                        + "account_mode,platform_type"))
                .withHeader("Authorization", equalTo(SYSTEM)));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/3330010/phone_numbers"))
                .withHeader("Authorization", equalTo(BUSINESS))
                .withHeader("Content-Type", containing("application/json"))
                .withRequestBody(equalToJson("{\"migrate_phone_number\":true,\"cc\":\"1\",\"phone_number\":\"6505550210\","
                        + "\"display_phone_number\":\"+1 650-555-0210\",\"verified_name\":\"Acme\"}")));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/7770010/register"))
                .withHeader("Authorization", equalTo(BUSINESS))
                .withRequestBody(equalToJson("{\"messaging_product\":\"whatsapp\",\"pin\":\"123456\"}")));
        assertThat(graph.findAll(postRequestedFor(urlPathEqualTo("/v25.0/7770010/register"))))
                .allSatisfy(request -> assertThat(request.getHeader("Authorization")).doesNotContain(SYSTEM_TOKEN));
    }

    @Test
    void should_send_every_meta_classic_call_with_its_path_body_and_token() {
        stub(post(urlPathEqualTo("/v25.0/4440011/phone_numbers")).willReturn(ok("{\"id\":\"8880011\"}")));
        stub(post(urlPathEqualTo("/v25.0/8880011/request_code")).willReturn(ok("{\"success\":true}")));
        stub(post(urlPathEqualTo("/v25.0/8880011/verify_code")).willReturn(ok("{\"success\":true}")));
        stub(post(urlPathEqualTo("/v25.0/8880011/register")).willReturn(ok("{\"success\":true}")));
        commands.send("5511987650211", """
                {"commandId":"start-m-shape-classic","type":"StartMigration","migrationId":"m-shape-classic",
                 "flow":"META_CLASSIC","phoneNumber":{"countryCode":"55","number":"11987650211"},
                 "meta":{"destinationWabaId":"4440011","displayPhoneNumber":"+55 11 98765-0211","verifiedName":"Acme BR",
                         "codeMethod":"VOICE","language":"pt_BR","pin":"654321"}}""");
        events.await(e -> "m-shape-classic".equals(e.at("/data/migrationId").asText())
                && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
        commands.send("5511987650211", """
                {"commandId":"code-m-shape-classic","type":"SubmitVerificationCode","migrationId":"m-shape-classic",
                 "code":"246810"}""");

        events.awaitType("m-shape-classic", "waba.migration.completed");

        // preflight: the destination WABA and its subscribed apps; nothing to subscribe
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/4440011"))
                .withQueryParam("fields", equalTo("id,business_verification_status,account_review_status,"
                        + "primary_funding_id"))
                .withHeader("Authorization", equalTo(SYSTEM)));
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/4440011/subscribed_apps"))
                .withHeader("Authorization", equalTo(SYSTEM)));
        graph.verify(0, postRequestedFor(urlPathEqualTo("/v25.0/4440011/subscribed_apps")));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/4440011/phone_numbers"))
                .withHeader("Authorization", equalTo(SYSTEM))
                .withHeader("Content-Type", containing("application/json"))
                .withRequestBody(equalToJson("{\"migrate_phone_number\":true,\"cc\":\"55\",\"phone_number\":\"11987650211\","
                        + "\"display_phone_number\":\"+55 11 98765-0211\",\"verified_name\":\"Acme BR\"}")));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/8880011/request_code"))
                .withHeader("Authorization", equalTo(SYSTEM))
                .withRequestBody(equalToJson("{\"code_method\":\"VOICE\",\"language\":\"pt_BR\"}")));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/8880011/verify_code"))
                .withHeader("Authorization", equalTo(SYSTEM))
                .withRequestBody(equalToJson("{\"code\":\"246810\"}")));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/8880011/register"))
                .withHeader("Authorization", equalTo(SYSTEM))
                .withRequestBody(equalToJson("{\"messaging_product\":\"whatsapp\",\"pin\":\"654321\"}")));
        assertThat(events.forMigration("m-shape-classic").toString()).doesNotContain("246810").doesNotContain("654321");
    }

    @Test
    void should_read_the_number_status_back_instead_of_registering_twice_after_a_reset() {
        stubMps(12);
        stub(post(urlPathEqualTo("/v25.0/7770012/register"))
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        stub(get(urlPathEqualTo("/v25.0/7770012"))
                .willReturn(ok("{\"id\":\"7770012\",\"display_phone_number\":\"+1 650-555-0212\",\"status\":\"CONNECTED\"}")));
        startMps("m-shape-reset", 12);

        events.awaitType("m-shape-reset", "waba.migration.completed");

        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/7770012/register")));
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/7770012"))
                .withQueryParam("fields", equalTo("id,display_phone_number,status"))
                .withHeader("Authorization", equalTo(BUSINESS)));
        assertThat(events.forMigration("m-shape-reset")).anySatisfy(e -> {
            assertThat(e.path("type").asText()).endsWith("retry-scheduled");
            assertThat(e.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
        });
    }

    @Test
    void should_find_the_migrated_number_instead_of_migrating_twice_after_a_reset() {
        stubMps(13);
        stub(post(urlPathEqualTo("/v25.0/3330013/phone_numbers"))
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        // two pages: the number is on the second, asked for with the first page's paging.cursors.after
        stub(get(urlPathEqualTo("/v25.0/3330013/phone_numbers")).withQueryParam("after", absent())
                .willReturn(ok("{\"data\":[{\"id\":\"555\",\"display_phone_number\":\"+1 650-555-9999\","
                        + "\"status\":\"CONNECTED\"}],\"paging\":{\"cursors\":{\"before\":\"QVFa\",\"after\":\"QVFb\"},"
                        + "\"next\":\"https://graph.facebook.com/v25.0/3330013/phone_numbers?access_token=x&after=QVFb\"}}")));
        stub(get(urlPathEqualTo("/v25.0/3330013/phone_numbers")).withQueryParam("after", equalTo("QVFb"))
                .willReturn(ok("{\"data\":[{\"id\":\"7770013\",\"display_phone_number\":\"+1 650-555-0213\","
                        + "\"status\":\"PENDING\"}],\"paging\":{\"cursors\":{\"before\":\"QVFb\",\"after\":\"QVFc\"}}}")));
        startMps("m-shape-migrate-reset", 13);

        JsonNode completed = events.awaitType("m-shape-migrate-reset", "waba.migration.completed");

        assertThat(completed.at("/data/result/phoneNumberId").asText()).isEqualTo("7770013");
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/3330013/phone_numbers")));
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/3330013/phone_numbers"))
                .withQueryParam("fields", equalTo("id,display_phone_number,status"))
                .withQueryParam("after", absent())
                .withHeader("Authorization", equalTo(BUSINESS)));
        verifyOnce(getRequestedFor(urlPathEqualTo("/v25.0/3330013/phone_numbers"))
                .withQueryParam("fields", equalTo("id,display_phone_number,status"))
                .withQueryParam("after", equalTo("QVFb"))
                .withHeader("Authorization", equalTo(BUSINESS)));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/7770013/register")));
    }

    @Test
    void should_read_a_pending_number_again_rather_than_register_twice_after_a_500() {
        stubMps(16);
        stub(post(urlPathEqualTo("/v25.0/7770016/register")).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"(#2) Service temporarily unavailable\",\"type\":\"OAuthException\","
                        + "\"code\":2,\"is_transient\":true,\"fbtrace_id\":\"Aregister500\"}}")));
        // Meta registered the number but its status shows it only from the second read
        stub(get(urlPathEqualTo("/v25.0/7770016")).inScenario("status lags").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(ok("{\"id\":\"7770016\",\"display_phone_number\":\"+1 650-555-0216\",\"status\":\"PENDING\"}"))
                .willSetStateTo("registered"));
        stub(get(urlPathEqualTo("/v25.0/7770016")).inScenario("status lags").whenScenarioStateIs("registered")
                .willReturn(ok("{\"id\":\"7770016\",\"display_phone_number\":\"+1 650-555-0216\",\"status\":\"CONNECTED\"}")));
        startMps("m-shape-pending", 16);

        events.awaitType("m-shape-pending", "waba.migration.completed");

        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/7770016/register")));
        graph.verify(2, getRequestedFor(urlPathEqualTo("/v25.0/7770016")));
        assertThat(events.forMigration("m-shape-pending")).filteredOn(e -> e.path("type").asText().endsWith("retry-scheduled"))
                .extracting(e -> e.at("/data/error/code").asText())
                .containsExactly("CALL_OUTCOME_UNKNOWN", "CALL_OUTCOME_UNKNOWN");
        assertThat(events.forMigration("m-shape-pending")).filteredOn(e -> e.path("type").asText().endsWith("retry-scheduled"))
                .first().satisfies(e -> assertThat(e.at("/data/error/traceId").asText()).isEqualTo("Aregister500"));
    }

    @Test
    void should_park_register_until_the_lock_ends_after_133016() {
        stubMps(14);
        stub(post(urlPathEqualTo("/v25.0/7770014/register")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"(#133016) Account register deregister rate limit exceeded\","
                        + "\"type\":\"OAuthException\",\"code\":133016,\"fbtrace_id\":\"AlockTrace\"}}")));
        startMps("m-shape-locked", 14);

        JsonNode retry = events.await(e -> "m-shape-locked".equals(e.at("/data/migrationId").asText())
                && e.path("type").asText().endsWith("retry-scheduled"));

        assertThat(retry.at("/data/step").asText()).isEqualTo("register");
        assertThat(retry.at("/data/error/code").asText()).isEqualTo("133016");
        assertThat(retry.at("/data/error/category").asText()).isEqualTo("RATE_LIMITED");
        assertThat(java.time.Instant.parse(retry.at("/data/nextAttemptAt").asText()))
                .isAfter(java.time.Instant.now().plus(java.time.Duration.ofHours(71)));
        verifyOnce(postRequestedFor(urlPathEqualTo("/v25.0/7770014/register")));
    }

    @Test
    void should_fetch_the_business_token_once_more_then_ask_a_person_when_it_is_refused_again() {
        stubMps(15);
        stub(post(urlPathEqualTo("/v25.0/3330015/subscribed_apps")).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"Error validating access token: Session has expired\","
                        + "\"type\":\"OAuthException\",\"code\":190,\"error_subcode\":463,\"fbtrace_id\":\"Atoken\"}}")));
        startMps("m-shape-token", 15);

        JsonNode waiting = events.await(e -> "m-shape-token".equals(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));

        assertThat(waiting.at("/data/step").asText()).isEqualTo("subscribe-webhooks");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("190/463");
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("grant the app access");
        graph.verify(2, postRequestedFor(urlPathEqualTo("/v25.0/2220015/system_user_access_tokens")));
        graph.verify(2, postRequestedFor(urlPathEqualTo("/v25.0/3330015/subscribed_apps"))
                .withHeader("Authorization", equalTo(BUSINESS)));
    }
}
