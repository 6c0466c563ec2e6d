package dev.wabamigrator.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.support.KafkaClients.TopicLog;
import dev.wabamigrator.support.KafkaTestBroker;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * routes/meta-webhook-receive.camel.yaml over real HTTP on its own port: Meta's handshake, the signature over the raw
 * bytes, 401 counted in /observe/metrics, 413 over 1 MB, and a verified body on waba.webhooks.meta.v1 byte for byte.
 */
class MetaWebhookReceiveTest {
    private static final String VERIFY_TOKEN = "verify-me-7f3a";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestApp app;
    private static TopicLog webhooks;
    private static String url;
    private static String metricsUrl;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> p = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        p.put("app.sandbox.enabled", "true"); // the sandbox's app secret signs
        p.put("app.provider.meta.webhook-verify-token", VERIFY_TOKEN);
        p.put("camel.management.enabled", "true");
        p.put("app.management.port", String.valueOf(TestApp.freePort()));
        app = TestApp.start(p);
        url = "http://127.0.0.1:" + p.get("app.webhook.port") + "/webhooks/meta";
        metricsUrl = "http://127.0.0.1:" + p.get("app.management.port") + "/observe/metrics";
        webhooks = new TopicLog(KafkaTestBroker.bootstrapServers(), p.get("app.kafka.topic.webhooks-meta"));
    }

    @AfterAll
    static void stop() throws Exception {
        webhooks.close();
        app.close();
    }

    private static HttpResponse<String> get(String query) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url + "?" + query)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(byte[] body, String signature) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signature != null) {
            request.header("X-Hub-Signature-256", signature);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String q(String name, String value) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static double rejected(String reason) throws Exception {
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(metricsUrl)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("waba_webhook_rejected_total{") && l.contains("reason=\"" + reason + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static ConsumerRecord<String, byte[]> awaitRecord(byte[] body) {
        return Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                () -> webhooks.records().stream().filter(r -> Arrays.equals(r.value(), body)).findFirst(),
                java.util.Optional::isPresent).orElseThrow();
    }

    @Test
    void should_refuse_to_start_when_the_webhook_port_is_taken() throws Exception {
        Map<String, String> p = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            p.put("app.webhook.port", String.valueOf(taken.getLocalPort()));
            // Camel's HTTP server would only log a warning, and Meta's webhooks would go unanswered
            assertThatThrownBy(() -> TestApp.start(p).close())
                    .hasStackTraceContaining("the webhook port 127.0.0.1:" + taken.getLocalPort() + " cannot be bound")
                    .hasStackTraceContaining("set WEBHOOK_PORT");
        }
    }

    @Test
    void should_answer_the_challenge_when_the_verify_token_matches() throws Exception {
        HttpResponse<String> ok = get(q("hub.mode", "subscribe") + "&" + q("hub.challenge", "1158201444") + "&"
                + q("hub.verify_token", VERIFY_TOKEN));

        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("1158201444");
        assertThat(ok.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    }

    @Test
    void should_refuse_the_handshake_with_a_wrong_token_or_mode() throws Exception {
        HttpResponse<String> wrongToken = get(q("hub.mode", "subscribe") + "&" + q("hub.challenge", "42") + "&"
                + q("hub.verify_token", "guess"));
        HttpResponse<String> wrongMode = get(q("hub.mode", "unsubscribe") + "&" + q("hub.challenge", "42") + "&"
                + q("hub.verify_token", VERIFY_TOKEN));
        HttpResponse<String> noToken = get(q("hub.mode", "subscribe") + "&" + q("hub.challenge", "42"));

        assertThat(wrongToken.statusCode()).isEqualTo(403);
        assertThat(wrongToken.body()).doesNotContain("42");
        assertThat(wrongMode.statusCode()).isEqualTo(403);
        assertThat(noToken.statusCode()).isEqualTo(403);
    }

    @Test
    void should_put_a_signed_body_on_the_topic_exactly_as_it_came() throws Exception {
        // an emoji as UTF-8 and as Meta's \\u escapes, tabs, a blank line and a trailing newline: any re-serialised
        // form of this body has other bytes, and so another signature
        byte[] body = ("{\"object\":\"whatsapp_business_account\",\t\"entry\": [ {\"id\":\"102290129340398\",\n\n"
                + "  \"time\":1739321024,\"changes\":[{\"value\":{\"display_phone_number\":\"15550783881\","
                + "\"decision\":\"APPROVED\",\"requested_verified_name\":\"Lucky Shrub \uD83C\uDF3F \\ud83c\\udf3f\","
                + "\"rejection_reason\":null},\"field\":\"phone_number_name_update\"}]}]}\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] reserialised = new ObjectMapper().writeValueAsBytes(new ObjectMapper().readTree(body));
        assertThat(reserialised).isNotEqualTo(body);

        HttpResponse<String> refused = post(body, MetaWebhookReceiver.sign(reserialised, MetaSandbox.APP_SECRET));
        HttpResponse<String> taken = post(body, MetaWebhookReceiver.sign(body, MetaSandbox.APP_SECRET));

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(taken.statusCode()).isEqualTo(200);
        ConsumerRecord<String, byte[]> record = awaitRecord(body);
        assertThat(record.key()).isEqualTo("102290129340398");
        assertThat(record.headers().toArray()).as("no HTTP header travels to Kafka").isEmpty();
        assertThat(webhooks.records()).filteredOn(r -> Arrays.equals(r.value(), body)).hasSize(1);
    }

    @Test
    void should_refuse_and_count_a_bad_or_missing_signature() throws Exception {
        byte[] body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"555000111\",\"changes\":[]}]}"
                .getBytes(StandardCharsets.UTF_8);
        double badBefore = rejected("bad-signature");
        double missingBefore = rejected("missing-signature");

        HttpResponse<String> otherSecret = post(body, MetaWebhookReceiver.sign(body, "not-the-app-secret"));
        HttpResponse<String> notHex = post(body, "sha256=zz");
        HttpResponse<String> sha1 = post(body, "sha1=" + MetaWebhookReceiver.sign(body, MetaSandbox.APP_SECRET).substring(7));
        HttpResponse<String> missing = post(body, null);

        assertThat(otherSecret.statusCode()).isEqualTo(401);
        assertThat(notHex.statusCode()).isEqualTo(401);
        assertThat(sha1.statusCode()).isEqualTo(401);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(rejected("bad-signature") - badBefore).isEqualTo(3.0);
        assertThat(rejected("missing-signature") - missingBefore).isEqualTo(1.0);
        // a signed body afterwards is the first of them on the topic: none of the refused ones went there
        HttpResponse<String> signed = post(body, MetaWebhookReceiver.sign(body, MetaSandbox.APP_SECRET));
        assertThat(signed.statusCode()).isEqualTo(200);
        awaitRecord(body);
        assertThat(webhooks.records()).filteredOn(r -> Arrays.equals(r.value(), body)).hasSize(1);
    }

    @Test
    void should_serve_only_the_webhook_on_its_port() throws Exception {
        String base = url.substring(0, url.indexOf("/webhooks/meta"));
        for (String path : java.util.List.of("/", "/observe/health", "/observe/metrics", "/webhooks/meta/other")) {
            HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(path).isEqualTo(404);
        }
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(405);
        // the management server keeps its own port
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(metricsUrl)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void should_refuse_a_body_over_one_megabyte() throws Exception {
        byte[] body = new byte[1024 * 1024 + 1];
        Arrays.fill(body, (byte) ' ');
        body[0] = '{';
        body[body.length - 1] = '}';

        HttpResponse<String> tooLarge = post(body, MetaWebhookReceiver.sign(body, MetaSandbox.APP_SECRET));
        // chunked, no Content-Length: refused once the first megabyte is passed
        HttpResponse<String> tooLargeChunked = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", MetaWebhookReceiver.sign(body, MetaSandbox.APP_SECRET))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLargeChunked.statusCode()).isEqualTo(413);
    }
}
