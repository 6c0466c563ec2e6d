package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.CamsReplies.error;

import dev.wabamigrator.provider.alibaba.Acs3Signer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks a cams request's V3 signature ({@code ACS3-HMAC-SHA256}) as the gateway does: the headers, the date window,
 * the AccessKeyId, the signature recomputed over what is on the wire, and the nonce not used before.
 */
final class AcsAuthenticator {

    private final String accessKeyId;
    private final String accessKeySecret;
    private final Duration dateWindow;
    private final Clock clock;
    private final Map<String, Long> nonces = new ConcurrentHashMap<>();
    private final AtomicLong lastNoncePurge = new AtomicLong();

    AcsAuthenticator(String accessKeyId, String accessKeySecret, Duration dateWindow, Clock clock) {
        this.accessKeyId = accessKeyId;
        this.accessKeySecret = accessKeySecret;
        this.dateWindow = dateWindow;
        this.clock = clock;
    }

    /** Null when the request is properly signed, else the error reply. Records the nonce on success. */
    SandboxReply authenticate(String requestId, String method, String rawPath, Map<String, String> query,
                              Map<String, String> headers, byte[] body) {
        String authorization = headers.get("authorization");
        if (authorization == null || authorization.isBlank()) {
            return error(requestId, 400, "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards: Authorization header is missing.");
        }
        authorization = authorization.trim();
        Acs3Signer.ParsedAuthorization parsed = Acs3Signer.parseAuthorization(authorization);
        if (parsed == null) {
            if (authorization.startsWith("ACS3-") || authorization.startsWith("HMAC-")) {
                return error(requestId, 400, "InvalidSignatureMethod",
                        "Specified signature method is not supported; use " + Acs3Signer.ALGORITHM + ".");
            }
            return error(requestId, 400, "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards: expected "
                            + Acs3Signer.ALGORITHM + " Credential=...,SignedHeaders=...,Signature=...");
        }
        String date = headers.get(Acs3Signer.HEADER_DATE);
        if (date == null || date.isBlank()) {
            return error(requestId, 400, "MissingTimestamp", "x-acs-date is mandatory for this action.");
        }
        Instant signedAt;
        try {
            signedAt = Instant.from(Acs3Signer.DATE_FORMAT.parse(date.trim()));
        } catch (DateTimeParseException e) {
            return error(requestId, 400, "InvalidTimeStamp.Format",
                    "Specified time stamp or date value is not well formatted: expected yyyy-MM-dd'T'HH:mm:ss'Z'.");
        }
        Instant now = clock.instant();
        if (Duration.between(signedAt, now).abs().compareTo(dateWindow) > 0) {
            return error(requestId, 400, "InvalidTimeStamp.Expired",
                    "Specified time stamp or date value is expired: " + date.trim() + ", server time "
                            + Acs3Signer.DATE_FORMAT.format(now) + ".");
        }
        String nonce = headers.get(Acs3Signer.HEADER_NONCE);
        if (nonce == null || nonce.isBlank()) {
            return error(requestId, 400, "MissingSignatureNonce", "x-acs-signature-nonce is mandatory for this action.");
        }
        if (isBlank(headers.get(Acs3Signer.HEADER_ACTION))) {
            return error(requestId, 400, "MissingAction", "x-acs-action is mandatory for this action.");
        }
        if (isBlank(headers.get(Acs3Signer.HEADER_VERSION))) {
            return error(requestId, 400, "MissingVersion", "x-acs-version is mandatory for this action.");
        }
        if (isBlank(headers.get(Acs3Signer.HEADER_CONTENT_SHA256))) {
            return error(requestId, 400, "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards: x-acs-content-sha256 is missing.");
        }
        if (!accessKeyId.equals(parsed.accessKeyId())) {
            return error(requestId, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
        }
        String payloadHash = Acs3Signer.sha256Hex(body);
        String expected = Acs3Signer.authorization(method, rawPath, query, headers, payloadHash,
                accessKeyId, accessKeySecret);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                authorization.getBytes(StandardCharsets.UTF_8))) {
            return mismatch(requestId, method, rawPath, query, headers, payloadHash, parsed);
        }
        long nowMs = now.toEpochMilli();
        purgeNonces(nowMs);
        if (nonces.putIfAbsent(nonce.trim(), nowMs + 2 * dateWindow.toMillis()) != null) {
            return error(requestId, 400, "SignatureNonceUsed", "Specified signature nonce was used already.");
        }
        return null;
    }

    /** {@code SignatureDoesNotMatch}, giving the server's string to sign and what differs (never the secret). */
    private static SandboxReply mismatch(String requestId, String method, String rawPath, Map<String, String> query,
                                         Map<String, String> headers, String payloadHash,
                                         Acs3Signer.ParsedAuthorization parsed) {
        String canonical = Acs3Signer.canonicalRequest(method, rawPath, query, headers, payloadHash);
        String stringToSign = Acs3Signer.ALGORITHM + "\n"
                + Acs3Signer.sha256Hex(canonical.getBytes(StandardCharsets.UTF_8));
        List<String> wireSigned = new ArrayList<>(Acs3Signer.signableHeaders(headers).keySet());
        String hint = wireSigned.equals(parsed.signedHeaders()) ? ""
                : " SignedHeaders " + String.join(";", parsed.signedHeaders())
                + " differ from the signable headers on the wire " + String.join(";", wireSigned) + ".";
        if (!payloadHash.equals(headers.get(Acs3Signer.HEADER_CONTENT_SHA256).trim())) {
            hint += " x-acs-content-sha256 is not the SHA-256 of the body received.";
        }
        return error(requestId, 400, "SignatureDoesNotMatch",
                "Specified signature does not match our calculation. server string to sign is:"
                        + stringToSign.replace("\n", "\\n") + hint);
    }

    private void purgeNonces(long nowMs) {
        long last = lastNoncePurge.get();
        if (nowMs - last >= 60_000 && lastNoncePurge.compareAndSet(last, nowMs)) {
            nonces.values().removeIf(expiry -> expiry < nowMs);
        }
    }

    static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
