package dev.wabamigrator.provider.alibaba;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What goes on the wire to cams, operation by operation: exact parameter names, empty body, a valid V3 signature. */
class CamsRequestShapeIT {
    private static final String KEY_ID = "shape-key-id";
    private static final String KEY_SECRET = "shape-key-secret";
    private static WireMockServer cams;
    private static List<LoggedRequest> requests;

    @BeforeAll
    static void migrateOneNumber() throws Exception {
        cams = new WireMockServer(wireMockConfig().dynamicPort());
        cams.start();
        stub("CreateChatappMigrationInitiate",
                "{\"RequestId\":\"r1\",\"Code\":\"OK\",\"Data\":{\"PhoneNumber\":\"8613900001234\",\"Id\":\"777\",\"Status\":\"MIGRATING\"}}");
        stub("GetPhoneNumberVerificationStatus",
                "{\"RequestId\":\"r2\",\"Code\":\"OK\",\"Data\":{\"PhoneNumber\":\"8613900001234\",\"CodeVerificationStatus\":\"REJECTED\"}}");
        stub("GetMigrationVerifyCode", "{\"RequestId\":\"r3\",\"Code\":\"OK\",\"Data\":{\"PhoneNumber\":\"8613900001234\",\"Id\":\"777\"}}");
        stub("ChatappMigrationVerified", "{\"RequestId\":\"r4\",\"Code\":\"OK\",\"Data\":{\"PhoneNumber\":\"8613900001234\",\"Id\":\"777\"}}");
        stub("ChatappMigrationRegister", "{\"RequestId\":\"r5\",\"Code\":\"OK\",\"Message\":\"SUCCESS\"}");
        stub("ListChatappTemplate", "{\"RequestId\":\"r6\",\"Code\":\"OK\",\"Success\":true,\"Total\":1,"
                + "\"ListTemplate\":[{\"TemplateCode\":\"t1\",\"TemplateName\":\"hello\",\"Language\":\"en\","
                + "\"AuditStatus\":\"pass\"}]}");

        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        properties.put("app.sandbox.enabled", "false");
        properties.put("app.provider.alibaba.endpoint", "http://localhost:" + cams.port() + "/");
        properties.put("app.provider.alibaba.access-key-id", KEY_ID);
        properties.put("app.provider.alibaba.access-key-secret", KEY_SECRET);
        try (TestApp app = TestApp.start(properties);
             Commands commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
             Events events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"))) {
            commands.send("8613900001234", """
                    {"commandId":"shape-1","type":"StartMigration","migrationId":"m-shape","flow":"ALIBABA_CHATAPP",
                     "phoneNumber":{"countryCode":"86","number":"13900001234"},
                     "alibaba":{"custSpaceId":"cams-shape","verifyMethod":"voice","locale":"zh_CN"}}""");
            events.await(e -> "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
            commands.send("8613900001234", """
                    {"commandId":"shape-2","type":"SubmitVerificationCode","migrationId":"m-shape","code":"246810"}""");
            events.awaitType("m-shape", "waba.migration.completed");
            events.awaitType("m-shape", "waba.migration.templates.migrated"); // the space's listing, after it
        }
        requests = cams.findAll(postRequestedFor(urlPathEqualTo("/")));
    }

    @AfterAll
    static void stop() {
        cams.stop();
    }

    private static void stub(String action, String body) {
        cams.stubFor(post(urlPathEqualTo("/")).withHeader("x-acs-action", equalTo(action))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body)));
    }

    private static LoggedRequest only(String action) {
        List<LoggedRequest> matching = requests.stream()
                .filter(r -> action.equals(r.getHeader("x-acs-action"))).toList();
        assertThat(matching).as(action).hasSize(1);
        return matching.get(0);
    }

    private static Map<String, String> query(LoggedRequest request) {
        Map<String, String> query = new TreeMap<>();
        request.getQueryParams().forEach((name, value) -> query.put(name, value.firstValue()));
        return query;
    }

    @Test
    void should_send_each_operation_with_its_exact_parameters() {
        assertThat(query(only("CreateChatappMigrationInitiate"))).isEqualTo(Map.of(
                "CustSpaceId", "cams-shape", "CountryCode", "86", "MobileNumber", "13900001234"));
        assertThat(query(only("GetPhoneNumberVerificationStatus"))).isEqualTo(Map.of(
                "CustSpaceId", "cams-shape", "PhoneNumber", "8613900001234"));
        assertThat(query(only("GetMigrationVerifyCode"))).isEqualTo(Map.of(
                "CustSpaceId", "cams-shape", "PhoneNumber", "8613900001234", "Locale", "zh_CN", "Method", "voice"));
        assertThat(query(only("ChatappMigrationVerified"))).isEqualTo(Map.of(
                "CustSpaceId", "cams-shape", "PhoneNumber", "8613900001234", "VerifyCode", "246810"));
        assertThat(query(only("ChatappMigrationRegister"))).isEqualTo(Map.of(
                "CustSpaceId", "cams-shape", "PhoneNumber", "8613900001234"));
        // the templates report: Page as one JSON parameter, as cams's SDKs send it; one page covers Total 1
        assertThat(query(only("ListChatappTemplate"))).isEqualTo(Map.of(
                "CustSpaceId", "cams-shape", "Page", "{\"Index\":1,\"Size\":20}"));
    }

    @Test
    void should_send_an_empty_body_signed_with_acs3_and_a_fresh_nonce_each_time() {
        TreeSet<String> nonces = new TreeSet<>();
        for (LoggedRequest request : requests) {
            assertThat(request.getBody()).isEmpty();
            assertThat(request.containsHeader("Content-Type")).isFalse();
            assertThat(request.getHeader("x-acs-version")).isEqualTo("2020-06-06");
            assertThat(request.getHeader("x-acs-content-sha256")).isEqualTo(Acs3Signer.EMPTY_PAYLOAD_SHA256);
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            request.getHeaders().all().forEach(h -> headers.put(h.key().toLowerCase(), h.firstValue()));
            String expected = Acs3Signer.authorization("POST", "/", query(request), headers,
                    Acs3Signer.EMPTY_PAYLOAD_SHA256, KEY_ID, KEY_SECRET);
            assertThat(request.getHeader("Authorization")).isEqualTo(expected)
                    .startsWith("ACS3-HMAC-SHA256 Credential=" + KEY_ID + ",SignedHeaders=host;x-acs-action;");
            nonces.add(request.getHeader("x-acs-signature-nonce"));
            // the signed headers and the HTTP client's own, nothing of the exchange (such as the step's operation)
            assertThat(request.getHeaders().keys()).allMatch(name -> name.toLowerCase().startsWith("x-acs-")
                    || List.of("authorization", "host", "connection", "user-agent", "content-length")
                    .contains(name.toLowerCase()), "a signed or transport header");
        }
        assertThat(nonces).hasSize(requests.size());
    }
}
