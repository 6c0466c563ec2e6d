package dev.wabamigrator.provider.alibaba;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Alibaba Cloud V3 request signer, {@code ACS3-HMAC-SHA256} (provider-apis.md §1.2), using only the JDK.
 *
 * <p>Stateless and thread-safe. The client side calls {@link #signedHeaders}; the sandbox, which must check what
 * it receives, calls {@link #authorization(String, String, Map, Map, String, String, String)} with the request
 * parts as they arrived and compares the result with the received {@code Authorization} header.
 *
 * <p>Rules the callers must keep:
 * <ul>
 *   <li>Sign every attempt anew, with a fresh date and a fresh nonce ({@link #newNonce()}).</li>
 *   <li>The wire query string is {@code "?" + canonicalQuery(query)}: the same encoding as the signature.</li>
 *   <li>{@code host} is the value the HTTP client will send: the URI authority, with the port when it is not the
 *       scheme's default ({@link #hostHeader(URI)}). HTTP clients that set {@code Host} themselves
 *       ({@code java.net.http}, Camel HTTP) must not be given the {@code host} entry, only sign it.</li>
 *   <li>If a {@code content-type} goes on the wire it must be signed: pass it as {@code contentTypeOrNull}.</li>
 * </ul>
 *
 * <p>No secret is ever logged or put in an exception message by this class.
 */
public final class Acs3Signer {

    public static final String ALGORITHM = "ACS3-HMAC-SHA256";
    /** Lowercase hex SHA-256 of the empty body. */
    public static final String EMPTY_PAYLOAD_SHA256 =
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    public static final String HEADER_AUTHORIZATION = "Authorization";
    public static final String HEADER_HOST = "host";
    public static final String HEADER_CONTENT_TYPE = "content-type";
    public static final String HEADER_ACTION = "x-acs-action";
    public static final String HEADER_VERSION = "x-acs-version";
    public static final String HEADER_DATE = "x-acs-date";
    public static final String HEADER_NONCE = "x-acs-signature-nonce";
    public static final String HEADER_CONTENT_SHA256 = "x-acs-content-sha256";
    public static final String HEADER_SECURITY_TOKEN = "x-acs-security-token";

    /** {@code x-acs-date} format: UTC, second precision. */
    public static final DateTimeFormatter DATE_FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private static final HexFormat HEX = HexFormat.of();

    /**
     * Every header to put on the wire for one request, with lower-case names except {@code Authorization}.
     *
     * @param method            HTTP method, e.g. {@code POST}
     * @param host              the {@code Host} header value the client will send (see class doc)
     * @param path              request path used as canonical URI ({@code /} for real cams; null or empty means {@code /})
     * @param action            operation name, sent as {@code x-acs-action}
     * @param version           API version, sent as {@code x-acs-version}
     * @param query             business parameters (go in the query string), may be empty
     * @param body              request body bytes, null or empty for none
     * @param contentTypeOrNull content-type sent with the body, or null when none is sent
     * @param now               signing time, becomes {@code x-acs-date}
     * @param nonce             unique per request, becomes {@code x-acs-signature-nonce}
     * @return an unmodifiable map in canonical order, {@code Authorization} last
     */
    public Map<String, String> signedHeaders(String method, String host, String path, String action, String version,
                                             SortedMap<String, String> query, byte[] body, String contentTypeOrNull,
                                             String accessKeyId, String accessKeySecret, Instant now, String nonce) {
        return signedHeaders(method, host, path, action, version, query, body, contentTypeOrNull,
                accessKeyId, accessKeySecret, null, now, nonce);
    }

    /** As {@link #signedHeaders(String, String, String, String, String, SortedMap, byte[], String, String, String, Instant, String)}, with an STS security token (null for none). */
    public Map<String, String> signedHeaders(String method, String host, String path, String action, String version,
                                             SortedMap<String, String> query, byte[] body, String contentTypeOrNull,
                                             String accessKeyId, String accessKeySecret, String securityTokenOrNull,
                                             Instant now, String nonce) {
        requireText(method, "method");
        requireText(host, "host");
        requireText(action, "action");
        requireText(version, "version");
        requireText(accessKeyId, "accessKeyId");
        requireText(accessKeySecret, "accessKeySecret");
        requireText(nonce, "nonce");
        if (now == null) {
            throw new IllegalArgumentException("now is required");
        }
        String payloadHash = sha256Hex(body == null ? new byte[0] : body);
        TreeMap<String, String> headers = new TreeMap<>();
        headers.put(HEADER_HOST, host);
        headers.put(HEADER_ACTION, action);
        headers.put(HEADER_VERSION, version);
        headers.put(HEADER_DATE, DATE_FORMAT.format(now));
        headers.put(HEADER_NONCE, nonce);
        headers.put(HEADER_CONTENT_SHA256, payloadHash);
        if (securityTokenOrNull != null && !securityTokenOrNull.isEmpty()) {
            headers.put(HEADER_SECURITY_TOKEN, securityTokenOrNull);
        }
        if (contentTypeOrNull != null && !contentTypeOrNull.isEmpty()) {
            headers.put(HEADER_CONTENT_TYPE, contentTypeOrNull);
        }
        String authorization = authorization(method, path, query == null ? Map.of() : query, headers, payloadHash,
                accessKeyId, accessKeySecret);
        Map<String, String> result = new LinkedHashMap<>(headers);
        result.put(HEADER_AUTHORIZATION, authorization);
        return Collections.unmodifiableMap(result);
    }

    /**
     * The {@code Authorization} value for a request, from its parts as they travel: the verifier entry point.
     *
     * @param headers       the request headers, any case; only {@code host}, {@code content-type} and
     *                      {@code x-acs-*} are signed, everything else is ignored
     * @param hashedPayload lowercase hex SHA-256 of the body ({@link #sha256Hex(byte[])})
     */
    public static String authorization(String method, String path, Map<String, String> query,
                                       Map<String, String> headers, String hashedPayload,
                                       String accessKeyId, String accessKeySecret) {
        SortedMap<String, String> signed = signableHeaders(headers);
        String signature = signature(canonicalRequest(method, path, query, signed, hashedPayload), accessKeySecret);
        return ALGORITHM + " Credential=" + accessKeyId + ",SignedHeaders=" + signedHeaderNames(signed)
                + ",Signature=" + signature;
    }

    /** Lowercase hex HMAC-SHA256 of the string to sign of {@code canonicalRequest}, keyed with the secret as-is. */
    public static String signature(String canonicalRequest, String accessKeySecret) {
        String stringToSign = ALGORITHM + "\n" + sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
        return hmacSha256Hex(accessKeySecret, stringToSign);
    }

    /**
     * CanonicalRequest (§1.2 step 6): {@code METHOD\nURI\nQUERY\nHEADERS\nSIGNED\nPAYLOADHASH}.
     *
     * @param headers headers to sign, any case (filtered like {@link #authorization})
     */
    public static String canonicalRequest(String method, String path, Map<String, String> query,
                                          Map<String, String> headers, String hashedPayload) {
        SortedMap<String, String> signed = signableHeaders(headers);
        StringBuilder canonicalHeaders = new StringBuilder();
        signed.forEach((name, value) -> canonicalHeaders.append(name).append(':').append(value).append('\n'));
        return method.toUpperCase(Locale.ROOT) + "\n"
                + canonicalUri(path) + "\n"
                + canonicalQuery(query) + "\n"
                + canonicalHeaders + "\n"
                + signedHeaderNames(signed) + "\n"
                + hashedPayload;
    }

    /** Sorted by name, {@code name=value} pairs percent-encoded and joined with {@code &}; empty value gives {@code name=}. */
    public static String canonicalQuery(Map<String, String> query) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(query).entrySet()) {
            if (out.length() > 0) {
                out.append('&');
            }
            out.append(percentEncode(e.getKey())).append('=').append(percentEncode(e.getValue()));
        }
        return out.toString();
    }

    /** RFC 3986 encoding as Alibaba wants it: space {@code %20}, {@code *} {@code %2A}, {@code ~} literal. Null gives "". */
    public static String percentEncode(String value) {
        if (value == null) {
            return "";
        }
        return URLEncoder.encode(value, StandardCharsets.UTF_8)
                .replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    /** The {@code host} value to sign for a URI: host, plus {@code :port} when the URI names one. */
    public static String hostHeader(URI uri) {
        String host = uri.getHost();
        if (host == null) {
            throw new IllegalArgumentException("URI without host: " + uri);
        }
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return uri.getPort() == -1 ? host : host + ":" + uri.getPort();
    }

    /** A fresh nonce: a random UUID without dashes. */
    public static String newNonce() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }

    static String hmacSha256Hex(String key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HEX.formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // the message names no key material
            throw new IllegalStateException("HmacSHA256 not available", e);
        }
    }

    /** The headers that are signed: lower-cased names {@code host}, {@code content-type}, {@code x-acs-*}; trimmed values. */
    public static SortedMap<String, String> signableHeaders(Map<String, String> headers) {
        TreeMap<String, String> signed = new TreeMap<>();
        if (headers == null) {
            return signed;
        }
        headers.forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT).trim();
            if (lower.equals(HEADER_HOST) || lower.equals(HEADER_CONTENT_TYPE) || lower.startsWith("x-acs-")) {
                signed.put(lower, value == null ? "" : value.trim());
            }
        });
        return signed;
    }

    private static String signedHeaderNames(SortedMap<String, String> signed) {
        return String.join(";", signed.keySet());
    }

    private static String canonicalUri(String path) {
        return path == null || path.isEmpty() ? "/" : path;
    }

    /**
     * A received {@code Authorization} header taken apart; null when it is not an {@code ACS3-HMAC-SHA256} value with
     * {@code Credential}, {@code SignedHeaders} and {@code Signature}.
     */
    public static ParsedAuthorization parseAuthorization(String header) {
        if (header == null || !header.startsWith(ALGORITHM + " ")) {
            return null;
        }
        String credential = null;
        String signedHeaders = null;
        String signature = null;
        for (String part : header.substring(ALGORITHM.length() + 1).split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return null;
            }
            String name = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            switch (name) {
                case "Credential" -> credential = value;
                case "SignedHeaders" -> signedHeaders = value;
                case "Signature" -> signature = value;
                default -> { /* tolerate extensions */ }
            }
        }
        if (credential == null || credential.isEmpty() || signedHeaders == null || signature == null) {
            return null;
        }
        return new ParsedAuthorization(credential, List.of(signedHeaders.split(";")), signature);
    }

    /** The parts of an {@code Authorization} header. */
    public record ParsedAuthorization(String accessKeyId, List<String> signedHeaders, String signature) {
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }
}
