package dev.wabamigrator.sandbox;

import com.sun.net.httpserver.HttpExchange;
import dev.wabamigrator.provider.alibaba.Acs3Signer;
import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A stateful simulator of the five cams migration operations (provider-apis.md §1), served by a
 * {@link ProviderSandbox}: the cams endpoint is {@code <baseUrl>/alibaba} ({@code POST /alibaba} or
 * {@code POST /alibaba/}, parameters in the query string, empty body; a form body is accepted too), and the test
 * and operator controls are under {@code /alibaba-sandbox}. See {@code docs/sandbox.md}.
 *
 * <h2>What it checks, in order</h2>
 * <ol>
 *   <li>{@code POST} on exactly {@code /alibaba} or {@code /alibaba/} (else {@code UnsupportedHTTPMethod} /
 *       {@code InvalidApi.NotFound});</li>
 *   <li>the V3 signature: {@code Authorization} present and {@code ACS3-HMAC-SHA256} ({@code IncompleteSignature},
 *       {@code InvalidSignatureMethod}), {@code x-acs-date} present, well-formed and within the date window of the
 *       sandbox clock ({@code MissingTimestamp}, {@code InvalidTimeStamp.Format}, {@code InvalidTimeStamp.Expired}),
 *       {@code x-acs-signature-nonce}, {@code x-acs-action}, {@code x-acs-version}, {@code x-acs-content-sha256}
 *       present, the AccessKeyId known ({@code InvalidAccessKeyId.NotFound}, HTTP 404), the signature recomputed
 *       over the path, query, every {@code host}/{@code content-type}/{@code x-acs-*} header on the wire and the
 *       SHA-256 of the body actually received ({@code SignatureDoesNotMatch}), the nonce unused
 *       ({@code SignatureNonceUsed});</li>
 *   <li>{@code x-acs-version} {@code 2020-06-06} ({@code InvalidVersion}) and a known action
 *       ({@code InvalidApi.NotFound}, HTTP 404);</li>
 *   <li>the rate limit: at most N requests (default 10) per operation in any rolling second of the sandbox clock,
 *       else {@code System.LimitControl} with {@code x-acs-retry-after} = ms until a slot frees;</li>
 *   <li>the required parameters ({@code Missing<Param>}) and their shape ({@code InvalidParameter.PhoneNumberError}
 *       for a CC/number that is not digits, {@code InvalidParameter.Method}, {@code InvalidParameter.Locale});
 *       unknown extra parameters are ignored, as the real gateway does;</li>
 *   <li>the scripted failures below, then the step order and the verification code.</li>
 * </ol>
 * Every error is HTTP 400 (unless stated) with the real body shape {@code {"RequestId","Code","Message"}}.
 *
 * <h2>State per phone number ({@code PhoneNumber} = CountryCode + MobileNumber)</h2>
 * {@code CreateChatappMigrationInitiate} creates it (repeatable: same {@code Id}, progress kept; another
 * {@code CustSpaceId} gets {@code Unknown.ResourceOwnerId}); every other operation before it gets
 * {@code Migration.NotInitiated}. {@code GetPhoneNumberVerificationStatus} answers {@code CodeVerificationStatus}
 * {@code VERIFIED} once verified, else {@code NOT_VERIFIED} (the real value for an unverified number is
 * unconfirmed: treat anything but {@code VERIFIED} as "do the code steps"). {@code GetMigrationVerifyCode} "sends"
 * a new random 6-digit code (replacing the previous one), revealed by {@code GET /alibaba-sandbox/codes/{phone}}.
 * {@code ChatappMigrationVerified} before any code: {@code Migration.VerifyCodeNotRequested}; a wrong code:
 * {@code InvalidVerifyCode}; the right code (again) verifies. {@code ChatappMigrationRegister} before verification:
 * {@code Migration.NotVerified}; repeated after success: OK again (count it with {@link #calls}).
 * The {@code Migration.*} codes are sandbox inventions (the real ones are undocumented).
 *
 * <h2>Scripted outcomes, by the last four digits of the national number</h2>
 * <table>
 *   <caption>scripted patterns</caption>
 *   <tr><th>ends in</th><th>behaviour</th><th>client sees</th></tr>
 *   <tr><td>0001</td><td>already verified: status {@code VERIFIED}, register allowed without the code steps</td><td>OK</td></tr>
 *   <tr><td>0002</td><td>the first call of each operation is throttled once: {@code System.LimitControl},
 *       {@code x-acs-retry-after: 200}</td><td>RATE_LIMITED, then OK</td></tr>
 *   <tr><td>0003</td><td>initiate always fails {@code Ram.PermissionDeny} with {@code AccessDeniedDetail}</td><td>NEEDS_HUMAN</td></tr>
 *   <tr><td>0004</td><td>the first two register calls fail {@code InternalError}, HTTP 503; the third succeeds</td><td>TRANSIENT ×2, then OK</td></tr>
 *   <tr><td>0005</td><td>initiate always fails {@code Unknown.ResourceOwnerId}</td><td>PERMANENT</td></tr>
 *   <tr><td>0006</td><td>every operation fails {@code Product.Unsubscript}</td><td>NEEDS_HUMAN</td></tr>
 *   <tr><td>0007</td><td>the first initiate takes effect but answers HTTP 200 with a truncated, non-JSON body</td><td>TRANSIENT, then OK (same Id)</td></tr>
 *   <tr><td>0010</td><td>the first call of each operation that is not safe to repeat (initiate, code request,
 *       register) takes effect, then answers HTTP 503 {@code ServiceUnavailable}</td><td>TRANSIENT, effect unknown</td></tr>
 *   <tr><td>0011</td><td>the same, but the answer is HTTP 200 with an HTML page (a proxy's error page)</td><td>TRANSIENT, effect unknown</td></tr>
 *   <tr><td>0012</td><td>register takes effect, then answers HTTP 503; the number listing shows it {@code PENDING}
 *       for the first {@value #PENDING_LISTINGS} listings after that, then {@code CONNECTED}</td><td>TRANSIENT, then PENDING read-backs</td></tr>
 *   <tr><td>0009</td><td>"hold": every request (of the hold operations, default all) is processed on arrival but
 *       not answered until {@code POST /alibaba-sandbox/release} or {@link #release()} (or the client gives up)</td><td>no answer</td></tr>
 * </table>
 * Any other number follows the happy path. Counters behind "first"/"once" are per phone number and operation,
 * and are cleared by {@link #reset()}.
 *
 * <h2>Latency</h2>
 * Each cams response is sent {@link Builder#latency(Duration)} after the request was processed, from a
 * {@link ScheduledExecutorService}: no thread sleeps or waits; the HTTP handler thread returns at once.
 */
public final class AlibabaSandbox implements AutoCloseable {

    public static final String CAMS_PATH = "/alibaba";
    public static final String CONTROL_PATH = "/alibaba-sandbox";
    public static final String DEFAULT_ACCESS_KEY_ID = "sandbox-access-key-id";
    public static final String DEFAULT_ACCESS_KEY_SECRET = "sandbox-access-key-secret";
    public static final int DEFAULT_MAX_REQUESTS_PER_SECOND = 10;
    public static final Duration DEFAULT_DATE_WINDOW = Duration.ofMinutes(15);
    /** Value of {@code CodeVerificationStatus} before verification (sandbox choice, see class doc). */
    public static final String NOT_VERIFIED = "NOT_VERIFIED";
    public static final String VERIFIED = "VERIFIED";
    public static final String STATUS_MIGRATING = "MIGRATING";

    public static final String PATTERN_ALREADY_VERIFIED = "0001";
    public static final String PATTERN_THROTTLED_ONCE = "0002";
    public static final String PATTERN_PERMISSION_DENIED = "0003";
    public static final String PATTERN_REGISTER_UNAVAILABLE_TWICE = "0004";
    public static final String PATTERN_WRONG_OWNER = "0005";
    public static final String PATTERN_UNSUBSCRIBED = "0006";
    public static final String PATTERN_MALFORMED_ONCE = "0007";
    public static final String PATTERN_HOLD = "0009";
    public static final String PATTERN_DONE_THEN_503 = "0010";
    public static final String PATTERN_DONE_THEN_HTML = "0011";
    public static final String PATTERN_REGISTER_PENDING = "0012";
    /** Listings that show a register of pattern 0012 as {@code PENDING} before {@code CONNECTED}. */
    public static final int PENDING_LISTINGS = 2;
    /** {@code x-acs-retry-after} of the scripted throttle (pattern 0002). */
    public static final long SCRIPTED_RETRY_AFTER_MS = 200;

    private static final long WINDOW_MS = 1000;
    private static final Set<String> METHODS = Set.of("sms", "voice");
    private static final Pattern DIGITS_CC = Pattern.compile("\\d{1,3}");
    private static final Pattern DIGITS_NATIONAL = Pattern.compile("\\d{4,14}");
    private static final Pattern DIGITS_E164 = Pattern.compile("\\d{7,18}");
    private static final Pattern LOCALE = Pattern.compile("[a-z]{2,3}(_[A-Za-z]{2,4})?");
    private static final String JSON_TYPE = "application/json;charset=utf-8";

    private final String accessKeyId;
    private final String accessKeySecret;
    private final int maxRequestsPerSecond;
    private final Duration dateWindow;
    private final Clock clock;
    private final Random random;
    private final Set<CamsOperation> holdOperations;
    private volatile Duration latency;

    private final ScheduledExecutorService scheduler;
    private final Map<String, NumberState> numbers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AtomicInteger>> callsByOperationAndPhone = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> callsByOperation = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> throttledByOperation = new ConcurrentHashMap<>();
    private final AtomicInteger throttled = new AtomicInteger();
    private final Map<CamsOperation, ArrayDeque<Long>> windows = new EnumMap<>(CamsOperation.class);
    private final Map<String, Long> nonces = new ConcurrentHashMap<>();
    private final AtomicLong lastNoncePurge = new AtomicLong();
    private final Queue<Held> held = new ConcurrentLinkedQueue<>();
    private final AtomicLong nextId = new AtomicLong(100_000_000_001L);
    private volatile ProviderSandbox mountedOn;
    private volatile boolean closed;

    private AlibabaSandbox(Builder b) {
        this.accessKeyId = b.accessKeyId;
        this.accessKeySecret = b.accessKeySecret;
        this.maxRequestsPerSecond = b.maxRequestsPerSecond;
        this.dateWindow = b.dateWindow;
        this.clock = b.clock;
        this.random = b.random;
        this.holdOperations = b.holdOperations.isEmpty()
                ? EnumSet.noneOf(CamsOperation.class) : EnumSet.copyOf(b.holdOperations);
        this.latency = b.latency;
        ScheduledThreadPoolExecutor executor =
                new ScheduledThreadPoolExecutor(1, ProviderSandbox.daemonThreads("alibaba-sandbox-latency"));
        executor.setRemoveOnCancelPolicy(true);
        this.scheduler = executor;
        for (CamsOperation op : CamsOperation.values()) {
            windows.put(op, new ArrayDeque<>());
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mounts the cams endpoint at {@value #CAMS_PATH} and the controls at {@value #CONTROL_PATH}; closes with the sandbox. */
    public AlibabaSandbox mountOn(ProviderSandbox sandbox) {
        sandbox.mount(CAMS_PATH, this::handleCams);
        sandbox.mount(CONTROL_PATH, this::handleControl);
        sandbox.onClose(this);
        this.mountedOn = sandbox;
        return this;
    }

    /** {@code <baseUrl>/alibaba}: what the client uses as cams endpoint. Only after mounting and starting. */
    public String camsEndpoint() {
        if (mountedOn == null) {
            throw new IllegalStateException("not mounted");
        }
        return mountedOn.baseUrl() + CAMS_PATH;
    }

    public String accessKeyId() {
        return accessKeyId;
    }

    /** The per-response delay; changeable at run time (benchmarks). */
    public void setLatency(Duration latency) {
        this.latency = requireNonNegative(latency);
    }

    public Duration latency() {
        return latency;
    }

    // ---- accessors for tests in the same JVM ------------------------------------------------------------------

    /** Calls of {@code operation} (action name) for {@code phoneNumber} (CC + number), throttled ones included. */
    public int calls(String operation, String phoneNumber) {
        Map<String, AtomicInteger> byPhone = callsByOperationAndPhone.get(operation);
        AtomicInteger n = byPhone == null ? null : byPhone.get(phoneNumber);
        return n == null ? 0 : n.get();
    }

    public int calls(CamsOperation operation, String phoneNumber) {
        return calls(operation.action(), phoneNumber);
    }

    /** Authenticated calls of {@code operation} for any number. */
    public int calls(String operation) {
        AtomicInteger n = callsByOperation.get(operation);
        return n == null ? 0 : n.get();
    }

    /** {@code System.LimitControl} answers given so far, by the rate limit and by pattern 0002. */
    public int throttledCount() {
        return throttled.get();
    }

    /** The last code "sent" to {@code phoneNumber}, if any. */
    public Optional<String> code(String phoneNumber) {
        NumberState state = numbers.get(phoneNumber);
        if (state == null) {
            return Optional.empty();
        }
        synchronized (state) {
            return Optional.ofNullable(state.code);
        }
    }

    /** Requests currently held (pattern 0009). */
    public int heldCount() {
        return held.size();
    }

    /** Answers every held request now; returns how many. */
    public int release() {
        return release(null);
    }

    /** Answers the held requests of {@code phoneNumberOrNull} (all when null) now; returns how many. */
    public int release(String phoneNumberOrNull) {
        List<Held> keep = new ArrayList<>();
        int released = 0;
        for (Held h; (h = held.poll()) != null; ) {
            if (phoneNumberOrNull == null || phoneNumberOrNull.equals(h.phoneNumber)) {
                send(h.exchange, h.reply);
                released++;
            } else {
                keep.add(h);
            }
        }
        held.addAll(keep);
        return released;
    }

    /** Forgets every number, counter and rate window (not the used nonces, and not held requests). */
    public void reset() {
        numbers.clear();
        attempts.clear();
        callsByOperationAndPhone.clear();
        callsByOperation.clear();
        throttledByOperation.clear();
        throttled.set(0);
        windows.values().forEach(w -> {
            synchronized (w) {
                w.clear();
            }
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        for (Held h; (h = held.poll()) != null; ) {
            h.exchange.close();
        }
    }

    // ---- cams endpoint ----------------------------------------------------------------------------------------

    private void handleCams(HttpExchange exchange) throws IOException {
        Outcome outcome;
        try {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!values.isEmpty()) {
                    headers.put(name.toLowerCase(Locale.ROOT), values.get(0));
                }
            });
            outcome = process(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), headers, body);
        } catch (RuntimeException e) {
            outcome = new Outcome(error(newRequestId(), 500, "InternalError",
                    "sandbox failure: " + e.getClass().getSimpleName()), null, false);
        }
        if (outcome.hold()) {
            held.add(new Held(exchange, outcome.reply(), outcome.phoneNumber()));
            if (closed) {
                release();
            }
            return;
        }
        Duration delay = latency;
        if (delay.isZero() || closed) {
            send(exchange, outcome.reply());
        } else {
            Reply reply = outcome.reply();
            try {
                scheduler.schedule(() -> send(exchange, reply), delay.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                send(exchange, reply);
            }
        }
    }

    private Outcome process(String method, String rawPath, String rawQuery, Map<String, String> headers, byte[] body) {
        String requestId = newRequestId();
        if (!CAMS_PATH.equals(rawPath) && !(CAMS_PATH + "/").equals(rawPath)) {
            return plain(error(requestId, 404, "InvalidApi.NotFound",
                    "Specified api is not found, please check your url and method."));
        }
        if (!"POST".equals(method)) {
            return plain(error(requestId, 400, "UnsupportedHTTPMethod", "Specified HTTP method is not supported; use POST."));
        }
        Map<String, String> query;
        Map<String, String> params;
        try {
            query = parseForm(rawQuery);
            params = new TreeMap<>(query);
            String contentType = headers.get("content-type");
            if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                params.putAll(parseForm(new String(body, StandardCharsets.UTF_8)));
            }
        } catch (IllegalArgumentException e) {
            return plain(error(requestId, 400, "InvalidParameter", "The query string or form body is malformed."));
        }

        Reply authFailure = authenticate(requestId, method, rawPath, query, headers, body);
        if (authFailure != null) {
            return plain(authFailure);
        }
        if (!CamsOperation.VERSION.equals(headers.get(Acs3Signer.HEADER_VERSION))) {
            return plain(error(requestId, 400, "InvalidVersion", "Specified parameter Version is not valid."));
        }
        Optional<CamsOperation> found = CamsOperation.fromAction(headers.get(Acs3Signer.HEADER_ACTION));
        if (found.isEmpty()) {
            return plain(error(requestId, 404, "InvalidApi.NotFound",
                    "Specified api is not found, please check your url and method."));
        }
        CamsOperation op = found.get();
        String phone = phoneNumber(op, params);
        boolean hold = phone != null && PATTERN_HOLD.equals(last4(phone)) && holdOperations.contains(op);
        countCall(op, phone);

        long retryAfter = acquire(op, clock.millis());
        if (retryAfter > 0) {
            return new Outcome(throttle(requestId, op, retryAfter, "Request was denied due to flow control; the limit is "
                    + maxRequestsPerSecond + " per second for " + op.action() + "."), phone, hold);
        }
        Reply invalid = validate(requestId, op, params);
        if (invalid != null) {
            return new Outcome(invalid, phone, hold);
        }
        Reply reply = execute(requestId, op, params, phone);
        return new Outcome(doneThenFailed(requestId, op, phone, reply), phone, hold);
    }

    /**
     * Patterns 0010, 0011 and 0012: the call took effect (its reply was OK) but the client gets an answer that does
     * not say so, as when a gateway times out on the backend or a proxy answers with its own page.
     */
    private Reply doneThenFailed(String requestId, CamsOperation op, String phone, Reply reply) {
        String pattern = last4(phone);
        boolean firstTime = attempts.getOrDefault(op.action() + "|" + phone, new AtomicInteger()).get() == 1;
        if (reply.status() != 200 || op.safeToRepeat() || !firstTime) {
            return reply;
        }
        if (PATTERN_DONE_THEN_503.equals(pattern)
                || PATTERN_REGISTER_PENDING.equals(pattern) && op == CamsOperation.CHATAPP_MIGRATION_REGISTER) {
            return error(requestId, 503, "ServiceUnavailable", "The request has failed due to a temporary failure "
                    + "of the server.");
        }
        if (PATTERN_DONE_THEN_HTML.equals(pattern)) {
            return new Reply(200, "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
                    + "</body></html>", Map.of("Content-Type", "text/html"));
        }
        return reply;
    }

    /** Null when the request is properly signed, else the error reply. Records the nonce on success. */
    private Reply authenticate(String requestId, String method, String rawPath, Map<String, String> query,
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
        long nowMs = now.toEpochMilli();
        purgeNonces(nowMs);
        if (nonces.putIfAbsent(nonce.trim(), nowMs + 2 * dateWindow.toMillis()) != null) {
            return error(requestId, 400, "SignatureNonceUsed", "Specified signature nonce was used already.");
        }
        return null;
    }

    private Reply validate(String requestId, CamsOperation op, Map<String, String> params) {
        for (String name : op.parameters()) {
            if (isBlank(params.get(name))) {
                return error(requestId, 400, "Missing" + name, name + " is mandatory for this action.");
            }
        }
        for (String name : op.parameters()) {
            String value = params.get(name);
            Pattern digits = switch (name) {
                case CamsOperation.COUNTRY_CODE -> DIGITS_CC;
                case CamsOperation.MOBILE_NUMBER -> DIGITS_NATIONAL;
                case CamsOperation.PHONE_NUMBER -> DIGITS_E164;
                default -> null;
            };
            if (digits != null && !digits.matcher(value).matches()) {
                return error(requestId, 400, "InvalidParameter.PhoneNumberError",
                        "Number abnormal: " + name + " must be digits only ("
                                + (name.equals(CamsOperation.PHONE_NUMBER) ? "country code included" : "no country code")
                                + ", no '+').");
            }
            if (name.equals(CamsOperation.METHOD) && !METHODS.contains(value)) {
                return error(requestId, 400, "InvalidParameter.Method", "Method must be sms or voice.");
            }
            if (name.equals(CamsOperation.LOCALE) && !LOCALE.matcher(value).matches()) {
                return error(requestId, 400, "InvalidParameter.Locale", "Locale is not valid, e.g. zh_CN or en_US.");
            }
        }
        return null;
    }

    private Reply execute(String requestId, CamsOperation op, Map<String, String> params, String phone) {
        String pattern = last4(phone);
        int attempt = attempts.computeIfAbsent(op.action() + "|" + phone, k -> new AtomicInteger()).incrementAndGet();
        if (PATTERN_UNSUBSCRIBED.equals(pattern)) {
            return error(requestId, 400, "Product.Unsubscript", "You have not activated the Chat App Message Service.");
        }
        if (PATTERN_THROTTLED_ONCE.equals(pattern) && attempt == 1) {
            return throttle(requestId, op, SCRIPTED_RETRY_AFTER_MS,
                    "Request was denied due to flow control (sandbox pattern " + PATTERN_THROTTLED_ONCE + ").");
        }
        if (op == CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE) {
            if (PATTERN_PERMISSION_DENIED.equals(pattern)) {
                Map<String, Object> body = errorBody(requestId, "Ram.PermissionDeny",
                        "You are not authorized to do this operation. Action: " + op.ramAction() + ".");
                body.put("AccessDeniedDetail", Json.write(accessDeniedDetail(op)));
                return new Reply(400, Json.write(body), Map.of("x-acs-request-id", requestId));
            }
            if (PATTERN_WRONG_OWNER.equals(pattern)) {
                return error(requestId, 400, "Unknown.ResourceOwnerId", "The resource does not belong to the current user.");
            }
        }
        if (op == CamsOperation.CHATAPP_MIGRATION_REGISTER && PATTERN_REGISTER_UNAVAILABLE_TWICE.equals(pattern)
                && attempt <= 2) {
            return error(requestId, 503, "InternalError", "The request processing has failed due to some unknown error.");
        }
        String custSpaceId = params.get(CamsOperation.CUST_SPACE_ID);
        if (op == CamsOperation.QUERY_CHATAPP_PHONE_NUMBERS) {
            List<Map<String, Object>> listed = new ArrayList<>();
            numbers.values().stream().filter(n -> n.custSpaceId.equals(custSpaceId)).forEach(n -> {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("PhoneNumber", n.phoneNumber);
                entry.put("Status", n.listedStatus());
                entry.put("CodeVerificationStatus", n.verified ? VERIFIED : NOT_VERIFIED);
                listed.add(entry);
            });
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("RequestId", requestId);
            body.put("Code", "OK");
            body.put("Message", "SUCCESS");
            body.put("PhoneNumbers", listed);
            return new Reply(200, Json.write(body), Map.of("x-acs-request-id", requestId));
        }
        if (op == CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE) {
            NumberState state = numbers.computeIfAbsent(phone, p -> new NumberState(p,
                    String.valueOf(nextId.getAndIncrement()), custSpaceId, PATTERN_ALREADY_VERIFIED.equals(pattern)));
            if (!state.custSpaceId.equals(custSpaceId)) {
                return wrongOwner(requestId);
            }
            if (PATTERN_MALFORMED_ONCE.equals(pattern) && attempt == 1) {
                return new Reply(200, "{\"RequestId\":\"" + requestId + "\",\"Code\":\"OK\",\"Message\":\"SUCC",
                        Map.of("x-acs-request-id", requestId));
            }
            return ok(requestId, data(state, "Status", STATUS_MIGRATING));
        }
        NumberState state = numbers.get(phone);
        if (state == null) {
            return error(requestId, 400, "Migration.NotInitiated",
                    "No migration was initiated for " + phone + ": call CreateChatappMigrationInitiate first.");
        }
        if (!state.custSpaceId.equals(custSpaceId)) {
            return wrongOwner(requestId);
        }
        synchronized (state) {
            switch (op) {
                case GET_PHONE_NUMBER_VERIFICATION_STATUS:
                    return ok(requestId, data(state, "CodeVerificationStatus", state.verified ? VERIFIED : NOT_VERIFIED));
                case GET_MIGRATION_VERIFY_CODE:
                    state.code = String.format(Locale.ROOT, "%06d", nextCode());
                    state.codeMethod = params.get(CamsOperation.METHOD);
                    state.codeLocale = params.get(CamsOperation.LOCALE);
                    return ok(requestId, data(state, null, null));
                case CHATAPP_MIGRATION_VERIFIED:
                    if (state.code == null) {
                        return error(requestId, 400, "Migration.VerifyCodeNotRequested",
                                "No verification code was requested for " + phone + ": call GetMigrationVerifyCode first.");
                    }
                    if (!MessageDigest.isEqual(state.code.getBytes(StandardCharsets.UTF_8),
                            params.get(CamsOperation.VERIFY_CODE).trim().getBytes(StandardCharsets.UTF_8))) {
                        return error(requestId, 400, "InvalidVerifyCode", "The verification code is incorrect.");
                    }
                    state.verified = true;
                    return ok(requestId, data(state, null, null));
                case CHATAPP_MIGRATION_REGISTER:
                    if (!state.verified) {
                        return error(requestId, 400, "Migration.NotVerified",
                                "The number " + phone + " is not verified: call ChatappMigrationVerified first.");
                    }
                    state.registered = true;
                    if (PATTERN_REGISTER_PENDING.equals(pattern)) {
                        state.pendingListings = PENDING_LISTINGS;
                    }
                    return ok(requestId, null);
                default:
                    throw new IllegalStateException("unhandled operation " + op);
            }
        }
    }

    private int nextCode() {
        synchronized (random) {
            return random.nextInt(1_000_000);
        }
    }

    private Reply wrongOwner(String requestId) {
        return error(requestId, 400, "Unknown.ResourceOwnerId", "The resource does not belong to the current user.");
    }

    private Reply throttle(String requestId, CamsOperation op, long retryAfterMs, String message) {
        throttled.incrementAndGet();
        throttledByOperation.computeIfAbsent(op.action(), k -> new AtomicInteger()).incrementAndGet();
        Map<String, Object> body = errorBody(requestId, "System.LimitControl", message);
        return new Reply(400, Json.write(body),
                Map.of("x-acs-request-id", requestId, "x-acs-retry-after", String.valueOf(retryAfterMs)));
    }

    /** 0 when a slot was taken in the rolling window of {@code op}, else ms until one frees. */
    private long acquire(CamsOperation op, long nowMs) {
        if (maxRequestsPerSecond <= 0) {
            return 0;
        }
        ArrayDeque<Long> window = windows.get(op);
        synchronized (window) {
            while (!window.isEmpty() && window.peekFirst() <= nowMs - WINDOW_MS) {
                window.pollFirst();
            }
            if (window.size() < maxRequestsPerSecond) {
                window.addLast(nowMs);
                return 0;
            }
            return Math.max(1, window.peekFirst() + WINDOW_MS - nowMs);
        }
    }

    private void countCall(CamsOperation op, String phone) {
        callsByOperation.computeIfAbsent(op.action(), k -> new AtomicInteger()).incrementAndGet();
        if (phone != null) {
            callsByOperationAndPhone.computeIfAbsent(op.action(), k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(phone, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    private void purgeNonces(long nowMs) {
        long last = lastNoncePurge.get();
        if (nowMs - last >= 60_000 && lastNoncePurge.compareAndSet(last, nowMs)) {
            nonces.values().removeIf(expiry -> expiry < nowMs);
        }
    }

    /** CC + number for initiate, PhoneNumber otherwise; null when the parameters do not name one. */
    private static String phoneNumber(CamsOperation op, Map<String, String> params) {
        if (op == CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE) {
            String cc = params.get(CamsOperation.COUNTRY_CODE);
            String number = params.get(CamsOperation.MOBILE_NUMBER);
            return isBlank(cc) || isBlank(number) ? null : cc.trim() + number.trim();
        }
        String phone = params.get(CamsOperation.PHONE_NUMBER);
        return isBlank(phone) ? null : phone.trim();
    }

    private static String last4(String phone) {
        return phone == null || phone.length() < 4 ? "" : phone.substring(phone.length() - 4);
    }

    private static Map<String, Object> accessDeniedDetail(CamsOperation op) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("AuthAction", op.ramAction());
        detail.put("AuthPrincipalType", "SubUser");
        detail.put("AuthPrincipalDisplayName", "sandbox-ram-user");
        detail.put("NoPermissionType", "ImplicitDeny");
        detail.put("PolicyType", "AccountLevelIdentityBasedPolicy");
        return detail;
    }

    private static Map<String, Object> data(NumberState state, String extraName, String extraValue) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("PhoneNumber", state.phoneNumber);
        data.put("Id", state.id);
        if (extraName != null) {
            data.put(extraName, extraValue);
        }
        return data;
    }

    private static Reply ok(String requestId, Map<String, Object> data) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("RequestId", requestId);
        body.put("Code", "OK");
        body.put("Message", "SUCCESS");
        if (data != null) {
            body.put("Data", data);
        }
        return new Reply(200, Json.write(body), Map.of("x-acs-request-id", requestId));
    }

    private static Reply error(String requestId, int status, String code, String message) {
        return new Reply(status, Json.write(errorBody(requestId, code, message)), Map.of("x-acs-request-id", requestId));
    }

    private static Map<String, Object> errorBody(String requestId, String code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("RequestId", requestId);
        body.put("Code", code);
        body.put("Message", message);
        return body;
    }

    private static Outcome plain(Reply reply) {
        return new Outcome(reply, null, false);
    }

    private static String newRequestId() {
        return UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
    }

    // ---- controls ---------------------------------------------------------------------------------------------

    private void handleControl(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String path = exchange.getRequestURI().getPath();
        String rest = path.startsWith(CONTROL_PATH + "/") ? path.substring(CONTROL_PATH.length() + 1) : "";
        String method = exchange.getRequestMethod();
        Map<String, String> query;
        try {
            query = parseForm(exchange.getRequestURI().getRawQuery());
        } catch (IllegalArgumentException e) {
            send(exchange, control(400, Map.of("error", "malformed query string")));
            return;
        }
        Reply reply;
        if ("GET".equals(method) && rest.equals("stats")) {
            reply = control(200, stats());
        } else if ("GET".equals(method) && rest.startsWith("codes/") && rest.length() > "codes/".length()) {
            String phone = rest.substring("codes/".length());
            NumberState state = numbers.get(phone);
            Map<String, Object> body = null;
            if (state != null) {
                synchronized (state) {
                    if (state.code != null) {
                        body = new LinkedHashMap<>();
                        body.put("phoneNumber", phone);
                        body.put("code", state.code);
                        body.put("method", state.codeMethod);
                        body.put("locale", state.codeLocale);
                    }
                }
            }
            reply = body == null ? control(404, Map.of("error", "no code was requested for " + phone))
                    : control(200, body);
        } else if ("GET".equals(method) && rest.startsWith("numbers/") && rest.length() > "numbers/".length()) {
            String phone = rest.substring("numbers/".length());
            NumberState state = numbers.get(phone);
            reply = state == null ? control(404, Map.of("error", "unknown number " + phone)) : control(200, state.toJson());
        } else if ("POST".equals(method) && rest.equals("release")) {
            reply = control(200, Map.of("released", release(query.get("phoneNumber"))));
        } else if ("POST".equals(method) && rest.equals("reset")) {
            reset();
            reply = control(200, Map.of("reset", true));
        } else if ("POST".equals(method) && rest.equals("latency")) {
            try {
                setLatency(Duration.ofMillis(Long.parseLong(query.getOrDefault("ms", ""))));
                reply = control(200, Map.of("latencyMs", latency.toMillis()));
            } catch (IllegalArgumentException e) {
                reply = control(400, Map.of("error", "latency needs ?ms=<non-negative integer>"));
            }
        } else {
            reply = control(404, Map.of("error", "unknown sandbox control " + method + " " + path));
        }
        send(exchange, reply);
    }

    /** The JSON of {@code GET /alibaba-sandbox/stats}. */
    public Map<String, Object> stats() {
        Map<String, Object> calls = new TreeMap<>();
        callsByOperationAndPhone.forEach((op, byPhone) -> {
            Map<String, Object> counts = new TreeMap<>();
            byPhone.forEach((phone, n) -> counts.put(phone, n.get()));
            calls.put(op, counts);
        });
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("calls", calls);
        stats.put("callsByOperation", snapshot(callsByOperation));
        stats.put("throttled", throttled.get());
        stats.put("throttledByOperation", snapshot(throttledByOperation));
        stats.put("held", held.size());
        stats.put("numbers", numbers.size());
        stats.put("maxRequestsPerSecond", maxRequestsPerSecond);
        stats.put("latencyMs", latency.toMillis());
        return stats;
    }

    private static Map<String, Object> snapshot(Map<String, AtomicInteger> counters) {
        Map<String, Object> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    private static Reply control(int status, Map<String, ?> body) {
        return new Reply(status, Json.write(body), Map.of());
    }

    // ---- HTTP plumbing ----------------------------------------------------------------------------------------

    private static void send(HttpExchange exchange, Reply reply) {
        try {
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", JSON_TYPE);
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away (timeout, crash test): nothing to answer
        } finally {
            exchange.close();
        }
    }

    /** Decodes {@code a=1&b=2} (UTF-8, {@code %XX}, {@code +} as space); the last of repeated names wins. */
    static Map<String, String> parseForm(String raw) {
        Map<String, String> out = new TreeMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(name, value);
        }
        return out;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static Duration requireNonNegative(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("latency must be zero or positive");
        }
        return d;
    }

    private record Reply(int status, String body, Map<String, String> headers) {
    }

    private record Outcome(Reply reply, String phoneNumber, boolean hold) {
    }

    private record Held(HttpExchange exchange, Reply reply, String phoneNumber) {
    }

    private static final class NumberState {
        final String phoneNumber;
        final String id;
        final String custSpaceId;
        boolean verified;
        boolean registered;
        String code;
        String codeMethod;
        String codeLocale;
        /** Listings still to show a fresh register as PENDING (pattern 0012). */
        int pendingListings;

        NumberState(String phoneNumber, String id, String custSpaceId, boolean verified) {
            this.phoneNumber = phoneNumber;
            this.id = id;
            this.custSpaceId = custSpaceId;
            this.verified = verified;
        }

        /** The {@code Status} the number listing shows; a PENDING listing counts down (pattern 0012). */
        synchronized String listedStatus() {
            if (!registered) {
                return STATUS_MIGRATING;
            }
            if (pendingListings > 0) {
                pendingListings--;
                return "PENDING";
            }
            return "CONNECTED";
        }

        synchronized Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("phoneNumber", phoneNumber);
            json.put("id", id);
            json.put("custSpaceId", custSpaceId);
            json.put("status", STATUS_MIGRATING);
            json.put("codeVerificationStatus", verified ? VERIFIED : NOT_VERIFIED);
            json.put("codeRequested", code != null);
            json.put("registered", registered);
            return json;
        }
    }

    /** Configuration; every setting has a default. */
    public static final class Builder {
        private String accessKeyId = DEFAULT_ACCESS_KEY_ID;
        private String accessKeySecret = DEFAULT_ACCESS_KEY_SECRET;
        private int maxRequestsPerSecond = DEFAULT_MAX_REQUESTS_PER_SECOND;
        private Duration latency = Duration.ZERO;
        private Duration dateWindow = DEFAULT_DATE_WINDOW;
        private Clock clock = Clock.systemUTC();
        private Random random = new SecureRandom();
        private Collection<CamsOperation> holdOperations = EnumSet.allOf(CamsOperation.class);

        private Builder() {
        }

        /** The only AccessKey pair the sandbox accepts (default {@value AlibabaSandbox#DEFAULT_ACCESS_KEY_ID} / {@value AlibabaSandbox#DEFAULT_ACCESS_KEY_SECRET}). */
        public Builder accessKey(String id, String secret) {
            if (isBlank(id) || isBlank(secret)) {
                throw new IllegalArgumentException("AccessKeyId and secret are required");
            }
            this.accessKeyId = id;
            this.accessKeySecret = secret;
            return this;
        }

        /** Requests per operation per rolling second (default 10, as cams); 0 or less disables the limit. */
        public Builder maxRequestsPerSecond(int max) {
            this.maxRequestsPerSecond = max;
            return this;
        }

        /** Delay of every cams response (default 0); no thread sleeps for it. */
        public Builder latency(Duration latency) {
            this.latency = requireNonNegative(latency);
            return this;
        }

        /** Allowed distance between {@code x-acs-date} and the sandbox clock (default 15 min). */
        public Builder dateWindow(Duration window) {
            this.dateWindow = requireNonNegative(window);
            return this;
        }

        /** Clock for the date window and the rate-limit window (default system UTC); tests may freeze it. */
        public Builder clock(Clock clock) {
            this.clock = java.util.Objects.requireNonNull(clock);
            return this;
        }

        /** Source of the verification codes (default SecureRandom). */
        public Builder random(Random random) {
            this.random = java.util.Objects.requireNonNull(random);
            return this;
        }

        /** Which operations pattern 0009 holds (default all five). */
        public Builder holdOperations(Collection<CamsOperation> operations) {
            this.holdOperations = List.copyOf(operations);
            return this;
        }

        public AlibabaSandbox build() {
            return new AlibabaSandbox(this);
        }
    }

    /** Minimal JSON writer for the sandbox's own answers (maps, lists, strings, numbers, booleans, null). */
    static final class Json {
        private Json() {
        }

        static String write(Object value) {
            StringBuilder out = new StringBuilder();
            write(out, value);
            return out.toString();
        }

        private static void write(StringBuilder out, Object value) {
            if (value == null) {
                out.append("null");
            } else if (value instanceof Map<?, ?> map) {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    string(out, String.valueOf(e.getKey()));
                    out.append(':');
                    write(out, e.getValue());
                }
                out.append('}');
            } else if (value instanceof Collection<?> list) {
                out.append('[');
                boolean first = true;
                for (Object item : list) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    write(out, item);
                }
                out.append(']');
            } else if (value instanceof Number || value instanceof Boolean) {
                out.append(value);
            } else {
                string(out, String.valueOf(value));
            }
        }

        private static void string(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
