package dev.wabamigrator.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.engine.EngineMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The HTTP side of Meta webhooks (routes/meta-webhook-receive.camel.yaml): the verification handshake (GET) and the
 * signature of a notification (POST), as Meta's "Getting started" with webhooks describes them (docs/meta-flows.md,
 * "Webhooks"). Neither the body nor a secret is ever logged.
 */
public final class MetaWebhookReceiver {
    /** Exchange property: true when the POST body carries a valid signature. */
    public static final String VERIFIED = "metaWebhookVerified";
    static final String SIGNATURE_HEADER = "X-Hub-Signature-256";
    private static final String SIGNATURE_PREFIX = "sha256=";

    private final byte[] appSecret;
    private final byte[] verifyToken;
    private final ObjectMapper json;
    private final EngineMetrics metrics;

    /**
     * @param appSecret   META_APP_SECRET; empty: every notification is refused
     * @param verifyToken META_WEBHOOK_VERIFY_TOKEN; empty: every handshake is refused
     */
    public MetaWebhookReceiver(String appSecret, String verifyToken, ObjectMapper json, EngineMetrics metrics) {
        this.appSecret = appSecret == null ? new byte[0] : appSecret.strip().getBytes(StandardCharsets.UTF_8);
        this.verifyToken = verifyToken == null ? new byte[0] : verifyToken.strip().getBytes(StandardCharsets.UTF_8);
        this.json = json;
        this.metrics = metrics;
    }

    /** GET: 200 with {@code hub.challenge} as the plain body when the mode and token match; 403 otherwise. */
    public void handshake(Exchange exchange) {
        Message in = exchange.getMessage();
        String mode = in.getHeader("hub.mode", String.class);
        String token = in.getHeader("hub.verify_token", String.class);
        String challenge = in.getHeader("hub.challenge", String.class);
        boolean ok = verifyToken.length > 0 && "subscribe".equals(mode) && token != null && challenge != null
                && MessageDigest.isEqual(verifyToken, token.getBytes(StandardCharsets.UTF_8));
        in.getHeaders().clear();
        in.setHeader(Exchange.CONTENT_TYPE, "text/plain");
        in.setHeader(Exchange.HTTP_RESPONSE_CODE, ok ? 200 : 403);
        in.setBody(ok ? challenge : "");
    }

    /**
     * POST: checks {@code X-Hub-Signature-256} over the raw bytes in constant time. Valid: the body stays the raw
     * bytes, the Kafka key is the WABA id of the first entry, and {@link #VERIFIED} is set. Bad or missing: 401,
     * counted in {@code waba.webhook.rejected}.
     */
    public void verify(Exchange exchange) {
        Message in = exchange.getMessage();
        byte[] body = in.getBody(byte[].class);
        String signature = in.getHeader(SIGNATURE_HEADER, String.class);
        in.getHeaders().clear();
        if (body == null) {
            body = new byte[0];
        }
        String reason = null;
        if (signature == null || signature.isBlank()) {
            reason = "missing-signature";
        } else if (!matches(body, signature.strip())) {
            reason = "bad-signature";
        }
        if (reason != null) {
            metrics.webhookRejected("meta", reason);
            exchange.setProperty(VERIFIED, false);
            in.setHeader(Exchange.CONTENT_TYPE, "text/plain");
            in.setHeader(Exchange.HTTP_RESPONSE_CODE, 401);
            in.setBody("");
            return;
        }
        exchange.setProperty(VERIFIED, true);
        in.setBody(body);
        String key = wabaId(body);
        if (key != null) {
            in.setHeader("kafka.KEY", key);
        }
    }

    /** hex HMAC-SHA256 of {@code body} under the app secret, prefixed {@code sha256=}, as Meta signs. */
    public static String sign(byte[] body, String appSecret) {
        return SIGNATURE_PREFIX + HexFormat.of().formatHex(hmac(body, appSecret.getBytes(StandardCharsets.UTF_8)));
    }

    private boolean matches(byte[] body, String signature) {
        if (appSecret.length == 0 || !signature.regionMatches(true, 0, SIGNATURE_PREFIX, 0, SIGNATURE_PREFIX.length())) {
            return false;
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(signature.substring(SIGNATURE_PREFIX.length()).toLowerCase());
        } catch (IllegalArgumentException notHex) {
            return false;
        }
        return MessageDigest.isEqual(hmac(body, appSecret), given);
    }

    private static byte[] hmac(byte[] body, byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** {@code entry[0].id}: the WABA id for WhatsApp Business Account fields; null when the body does not say. */
    private String wabaId(byte[] body) {
        try {
            JsonNode id = json.readTree(body).path("entry").path(0).path("id");
            return id.isValueNode() && !id.asText().isBlank() ? id.asText() : null;
        } catch (IOException notJson) {
            return null; // signed by Meta all the same: kept, and the apply route says it cannot read it
        }
    }
}
