package dev.wabamigrator.provider.alibaba;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.ProviderError;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Classifies a cams response (provider-apis.md §1.5–§1.7): success is HTTP 2xx <b>and</b> {@code Code == "OK"};
 * everything else becomes a {@link ProviderError} with provider {@code alibaba}, {@code code} = the body's
 * {@code Code} (or a synthetic {@code HTTP_503}, {@code MALFORMED_RESPONSE}, {@code TIMEOUT}, ...),
 * {@code traceId} = {@code RequestId} and {@code message} = {@code Message} (plus {@code AccessDeniedDetail}).
 *
 * <p>A pure function: no I/O, no Camel, no state; thread-safe. The whole §1.6 table is {@link #TABLE}.
 *
 * <p>Precedence, first match wins:
 * <ol>
 *   <li>an error response with a positive {@code x-acs-retry-after} header: {@code RATE_LIMITED}, retryAfter = that many ms;</li>
 *   <li>no JSON body, or JSON without {@code Code}: {@code RATE_LIMITED} for HTTP 429, else {@code TRANSIENT}
 *       ({@code HTTP_<status>} for 5xx, else {@code MALFORMED_RESPONSE});</li>
 *   <li>a configured wrong-verification-code {@code Code}: {@code NEEDS_HUMAN} (a person must supply a new code),
 *       recognised by {@link #isWrongCode(ProviderError)};</li>
 *   <li>{@link #TABLE}: exact codes, then the prefix and substring families in table order;</li>
 *   <li>an undocumented {@code Code} with HTTP 5xx: {@code TRANSIENT}; any other undocumented {@code Code}:
 *       {@code NEEDS_HUMAN}.</li>
 * </ol>
 * Two rows escalate when the same code comes back on the retry ({@link #classifyRepeat(ProviderError)}):
 * {@code InvalidTimeStamp.Expired} → {@code NEEDS_HUMAN}, {@code SignatureNonceUsed} → {@code PERMANENT}.
 */
public final class AlibabaErrorClassifier {

    public static final String PROVIDER = "alibaba";
    public static final String OK = "OK";
    public static final String RETRY_AFTER_HEADER = "x-acs-retry-after";

    /** Synthetic codes, for failures that carry no provider {@code Code}. */
    public static final String MALFORMED_RESPONSE = "MALFORMED_RESPONSE";
    public static final String TIMEOUT = "TIMEOUT";
    public static final String CONNECTION_RESET = "CONNECTION_RESET";
    public static final String CONNECTION_REFUSED = "CONNECTION_REFUSED";
    public static final String IO_ERROR = "IO_ERROR";
    public static final String CLIENT_EXCEPTION = "CLIENT_EXCEPTION";

    /**
     * Codes taken to mean "wrong verification code". The real code is <b>unconfirmed</b> (provider-apis.md §1.6),
     * so this is a guess to be corrected from production logs; the sandbox answers {@code InvalidVerifyCode}.
     */
    public static final Set<String> DEFAULT_WRONG_CODE_CODES =
            Set.of("InvalidVerifyCode", "VerifyCode.Invalid", "InvalidParameter.VerifyCode");

    /** One row of the table: the class on first sight, and the class when the same code recurs on the retry. */
    public record Rule(ErrorClass errorClass, ErrorClass onRepeat) {
        static Rule of(ErrorClass errorClass) {
            return new Rule(errorClass, errorClass);
        }
    }

    /**
     * provider-apis.md §1.6, in one place. Keys are exact codes, {@code Prefix*} families or {@code *Substring*}
     * families; exact keys win over families, families are tried in this order.
     */
    public static final Map<String, Rule> TABLE = table(
            "System.LimitControl", Rule.of(ErrorClass.RATE_LIMITED),              // cams flow control, ≤ 10 QPS/op
            "Product.Unsubscript", Rule.of(ErrorClass.NEEDS_HUMAN),                // activate CAMS
            "Ram.PermissionDeny", Rule.of(ErrorClass.NEEDS_HUMAN),                 // RAM policy lacks cams:<Operation>
            "Unknown.ResourceOwnerId", Rule.of(ErrorClass.PERMANENT),              // wrong CustSpaceId or account
            "InternalError", Rule.of(ErrorClass.TRANSIENT),
            "ServiceUnavailable", Rule.of(ErrorClass.TRANSIENT),
            "InvalidTimeStamp.Expired", new Rule(ErrorClass.TRANSIENT, ErrorClass.NEEDS_HUMAN), // re-sign once; then host clock
            "SignatureNonceUsed", new Rule(ErrorClass.TRANSIENT, ErrorClass.PERMANENT),         // new nonce; again = signer bug
            "SignatureDoesNotMatch", Rule.of(ErrorClass.NEEDS_HUMAN),              // signer bug or wrong secret: no retry
            "IncompleteSignature", Rule.of(ErrorClass.NEEDS_HUMAN),                // malformed Authorization: signer bug
            "Authentication.NoAuth", Rule.of(ErrorClass.NEEDS_HUMAN),
            "InvalidParameter.PhoneNumberError", Rule.of(ErrorClass.NEEDS_HUMAN),  // "number abnormal": check CC split
            "InvalidApi.NotFound", Rule.of(ErrorClass.PERMANENT),
            "InvalidTimeStamp.Format", Rule.of(ErrorClass.PERMANENT),
            "InvalidSignatureMethod", Rule.of(ErrorClass.PERMANENT),
            "*Throttling*", Rule.of(ErrorClass.RATE_LIMITED),                      // Throttling, Throttling.User, .Api
            "InternalError.*", Rule.of(ErrorClass.TRANSIENT),
            "ServiceUnavailable.*", Rule.of(ErrorClass.TRANSIENT),
            "InvalidAccessKeyId*", Rule.of(ErrorClass.NEEDS_HUMAN),               // .NotFound / .Inactive: rotate keys
            "InvalidParameter*", Rule.of(ErrorClass.PERMANENT),                    // client bug
            "Missing*", Rule.of(ErrorClass.PERMANENT));                            // Missing{Param}: client bug

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_SNIPPET = 200;

    private final Set<String> wrongCodeCodes;

    public AlibabaErrorClassifier() {
        this(DEFAULT_WRONG_CODE_CODES);
    }

    /** @param wrongCodeCodes the {@code Code}s meaning "wrong verification code" (see {@link #DEFAULT_WRONG_CODE_CODES}) */
    public AlibabaErrorClassifier(Collection<String> wrongCodeCodes) {
        this.wrongCodeCodes = Set.copyOf(wrongCodeCodes);
    }

    public Set<String> wrongCodeCodes() {
        return wrongCodeCodes;
    }

    /**
     * The outcome of one cams call.
     *
     * @param error     null on success
     * @param requestId the response's {@code RequestId}, or null
     * @param data      the {@code Data} object of a successful response as plain maps/lists/values; empty when absent
     */
    public record CamsResult(ProviderError error, String requestId, Map<String, Object> data) {
        public boolean success() {
            return error == null;
        }

        /** A {@code Data} field as text, or null. */
        public String dataText(String field) {
            Object value = data == null ? null : data.get(field);
            return value == null ? null : String.valueOf(value);
        }
    }

    /**
     * Classifies a response, looking {@code x-acs-retry-after} up in {@code headers} without regard to case. Header
     * values may be a String, a Collection (first element is used) or anything with a useful toString.
     */
    public CamsResult classify(int httpStatus, Map<String, ?> headers, String body) {
        return classify(httpStatus, header(headers, RETRY_AFTER_HEADER), body);
    }

    /** Classifies a response given its status, its {@code x-acs-retry-after} header (or null) and its body (or null). */
    public CamsResult classify(int httpStatus, String retryAfterHeader, String body) {
        JsonNode json = parse(body);
        String requestId = json == null ? null : text(json, "RequestId");
        String code = json == null ? null : text(json, "Code");
        boolean is2xx = httpStatus >= 200 && httpStatus < 300;
        if (is2xx && OK.equals(code)) {
            return new CamsResult(null, requestId, data(json));
        }
        String message = json == null ? null : message(json);
        Duration retryAfter = retryAfter(retryAfterHeader);
        if (retryAfter != null) {
            String effectiveCode = code != null ? code : "HTTP_" + httpStatus;
            return failure(new ProviderError(PROVIDER, effectiveCode,
                    message != null ? message : "throttled, retry after " + retryAfter.toMillis() + " ms",
                    ErrorClass.RATE_LIMITED, retryAfter, requestId), requestId);
        }
        if (code == null || code.isEmpty()) {
            return failure(unusableBody(httpStatus, body, json, requestId), requestId);
        }
        ErrorClass errorClass = classOf(code, httpStatus);
        return failure(new ProviderError(PROVIDER, code, message, errorClass, null, requestId), requestId);
    }

    /** Classifies a failed call that produced no response: timeouts, resets, refused connections. Always TRANSIENT for I/O. */
    public ProviderError classifyException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException io) {
                return classifyIoFailure(ioKind(io), io.getClass().getSimpleName()
                        + (io.getMessage() == null ? "" : ": " + snippet(io.getMessage())));
            }
        }
        String what = failure == null ? "unknown failure" : failure.getClass().getSimpleName();
        return ProviderError.of(PROVIDER, CLIENT_EXCEPTION, "call failed before a response: " + what,
                ErrorClass.NEEDS_HUMAN);
    }

    /** Classifies an I/O failure of a known kind; {@code code} is the kind's synthetic code. */
    public ProviderError classifyIoFailure(IoFailure kind, String detail) {
        return ProviderError.of(PROVIDER, kind.code(), detail, ErrorClass.TRANSIENT);
    }

    /** The kinds of call failure without a response. All are TRANSIENT: the call may or may not have taken effect. */
    public enum IoFailure {
        TIMEOUT(AlibabaErrorClassifier.TIMEOUT),
        CONNECTION_RESET(AlibabaErrorClassifier.CONNECTION_RESET),
        CONNECTION_REFUSED(AlibabaErrorClassifier.CONNECTION_REFUSED),
        OTHER(AlibabaErrorClassifier.IO_ERROR);

        private final String code;

        IoFailure(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** The error class of a provider {@code Code} seen on a response with {@code httpStatus} (table lookup only). */
    public ErrorClass classOf(String code, int httpStatus) {
        if (wrongCodeCodes.contains(code)) {
            return ErrorClass.NEEDS_HUMAN;
        }
        Rule rule = rule(code);
        if (rule != null) {
            return rule.errorClass();
        }
        return httpStatus >= 500 ? ErrorClass.TRANSIENT : ErrorClass.NEEDS_HUMAN;
    }

    /** The table row for a code, or null when the code is undocumented. */
    public static Rule rule(String code) {
        if (code == null) {
            return null;
        }
        Rule exact = TABLE.get(code);
        if (exact != null) {
            return exact;
        }
        for (Map.Entry<String, Rule> e : TABLE.entrySet()) {
            String key = e.getKey();
            boolean leading = key.startsWith("*");
            boolean trailing = key.endsWith("*");
            if (leading && trailing && key.length() > 1) {
                if (code.contains(key.substring(1, key.length() - 1))) {
                    return e.getValue();
                }
            } else if (trailing && code.startsWith(key.substring(0, key.length() - 1))) {
                return e.getValue();
            }
        }
        return null;
    }

    /**
     * The class to apply when the same code came back on the retry of a call that already failed with it:
     * the table's escalation ({@code InvalidTimeStamp.Expired} → NEEDS_HUMAN, {@code SignatureNonceUsed} →
     * PERMANENT), otherwise unchanged.
     */
    public ProviderError classifyRepeat(ProviderError error) {
        Rule rule = wrongCodeCodes.contains(error.code()) ? null : rule(error.code());
        if (rule == null || rule.onRepeat() == error.errorClass() || error.errorClass() != rule.errorClass()) {
            return error;
        }
        return error.withClass(rule.onRepeat());
    }

    /**
     * True for a failure of this service's credentials or request signer ({@code SignatureDoesNotMatch},
     * {@code IncompleteSignature}, {@code InvalidAccessKeyId.*}): every other call would fail the same way, so all
     * cams work pauses (provider-apis.md §1.6: "No retry; park all cams jobs, alert").
     */
    public boolean isCredentialFailure(ProviderError error) {
        if (error == null || !PROVIDER.equals(error.provider())) {
            return false;
        }
        String code = error.code();
        return "SignatureDoesNotMatch".equals(code) || "IncompleteSignature".equals(code)
                || code.startsWith("InvalidAccessKeyId");
    }

    /** True when the error says the submitted verification code was wrong: go back to waiting for a code. */
    public boolean isWrongCode(ProviderError error) {
        return error != null && PROVIDER.equals(error.provider()) && wrongCodeCodes.contains(error.code());
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static CamsResult failure(ProviderError error, String requestId) {
        return new CamsResult(error, requestId, Map.of());
    }

    private static ProviderError unusableBody(int status, String body, JsonNode json, String requestId) {
        if (status == 429) {
            return new ProviderError(PROVIDER, "HTTP_429", "HTTP 429 without a cams error body",
                    ErrorClass.RATE_LIMITED, null, requestId);
        }
        boolean blank = body == null || body.isBlank();
        String code = status >= 500 ? "HTTP_" + status : MALFORMED_RESPONSE;
        String what = blank ? "empty body" : json == null ? "non-JSON body: " + snippet(body) : "JSON body without Code";
        return new ProviderError(PROVIDER, code, "HTTP " + status + " with " + what, ErrorClass.TRANSIENT, null,
                requestId);
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? null : node.isValueNode() ? node.asText() : node.toString();
    }

    private static String message(JsonNode json) {
        String message = text(json, "Message");
        if (message == null) {
            message = text(json, "Description");
        }
        String detail = text(json, "AccessDeniedDetail");
        if (detail != null && !detail.isEmpty()) {
            message = (message == null ? "" : message + " ") + "AccessDeniedDetail: " + detail;
        }
        return message;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(JsonNode json) {
        JsonNode data = json.get("Data");
        if (data == null || !data.isObject()) {
            return Map.of();
        }
        return (Map<String, Object>) plain(data);
    }

    /** JsonNode to plain maps, lists and values (by hand: no databind conversion, which needs a matching jackson-core). */
    private static Object plain(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.fields().forEachRemaining(e -> map.put(e.getKey(), plain(e.getValue())));
            return Collections.unmodifiableMap(map);
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(item -> list.add(plain(item)));
            return Collections.unmodifiableList(list);
        }
        if (node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isNumber()) {
            return node.numberValue();
        }
        return node.asText();
    }

    static Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            long ms = Long.parseLong(header.trim());
            return ms > 0 ? Duration.ofMillis(ms) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String header(Map<String, ?> headers, String name) {
        if (headers == null) {
            return null;
        }
        for (Map.Entry<String, ?> e : headers.entrySet()) {
            if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && e.getValue() != null) {
                Object value = e.getValue();
                if (value instanceof Collection<?> c) {
                    value = c.isEmpty() ? null : c.iterator().next();
                }
                return value == null ? null : String.valueOf(value);
            }
        }
        return null;
    }

    private static IoFailure ioKind(IOException io) {
        String name = io.getClass().getName().toLowerCase(Locale.ROOT);
        String message = io.getMessage() == null ? "" : io.getMessage().toLowerCase(Locale.ROOT);
        if (io instanceof HttpTimeoutException || io instanceof SocketTimeoutException
                || io instanceof InterruptedIOException || name.contains("timeout") || message.contains("timed out")) {
            return IoFailure.TIMEOUT;
        }
        if (io instanceof ConnectException || message.contains("refused")) {
            return IoFailure.CONNECTION_REFUSED;
        }
        if (io instanceof SocketException || message.contains("reset") || message.contains("closed")
                || name.contains("nohttpresponse") || name.contains("connectionclosed")) {
            return IoFailure.CONNECTION_RESET;
        }
        return IoFailure.OTHER;
    }

    private static String snippet(String text) {
        String oneLine = text.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= MAX_SNIPPET ? oneLine : oneLine.substring(0, MAX_SNIPPET) + "…";
    }

    private static Map<String, Rule> table(Object... keysAndRules) {
        Map<String, Rule> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndRules.length; i += 2) {
            map.put((String) keysAndRules[i], (Rule) keysAndRules[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
