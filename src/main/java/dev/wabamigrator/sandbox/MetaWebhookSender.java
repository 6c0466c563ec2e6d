package dev.wabamigrator.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox's webhooks, a mode that is off unless a URL is given ({@code app.sandbox.meta.webhook-url}): when a
 * customer accepts a migration intent, an {@code account_update} {@code PARTNER_ADDED} about the source WABA is POSTed
 * there, signed like Meta's ({@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body under the app secret>}).
 * Sent in the background, once, like a delivery that may be lost: the service's poll remains the fallback.
 */
final class MetaWebhookSender {
    private static final Logger LOG = LoggerFactory.getLogger(MetaWebhookSender.class);

    private final URI url;
    private final String appSecret;
    private final Clock clock;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    MetaWebhookSender(URI url, String appSecret, Clock clock) {
        this.url = url;
        this.appSecret = appSecret;
        this.clock = clock;
    }

    /** The customer shared {@code wabaId} with the partner: Meta's PARTNER_ADDED. */
    void partnerAdded(String wabaId) {
        ObjectNode root = GraphErrors.obj().put("object", "whatsapp_business_account");
        ArrayNode entries = root.putArray("entry");
        ObjectNode entry = entries.addObject().put("id", wabaId).put("time", clock.instant().getEpochSecond());
        ObjectNode change = entry.putArray("changes").addObject();
        ObjectNode value = change.putObject("value").put("event", "PARTNER_ADDED");
        value.putObject("waba_info").put("waba_id", wabaId);
        change.put("field", "account_update");
        send(SandboxHttp.write(root).getBytes(StandardCharsets.UTF_8));
    }

    private void send(byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", "sha256=" + hmacHex(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            if (failure != null) {
                LOG.warn("sandbox webhook to {} not delivered: {}", url, failure.toString());
            } else if (response.statusCode() != 200) {
                LOG.warn("sandbox webhook to {} answered {}", url, response.statusCode());
            }
        });
    }

    private String hmacHex(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
