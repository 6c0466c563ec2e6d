package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.CamsReplies.error;
import static dev.wabamigrator.sandbox.CamsReplies.newRequestId;

import com.sun.net.httpserver.HttpExchange;
import dev.wabamigrator.provider.alibaba.Acs3Signer;
import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A stateful simulator of the five cams migration operations (provider-apis.md §1), the number listing and the
 * template listing ({@link CamsTemplates}), served by a
 * {@link ProviderSandbox}: the cams endpoint is {@code <baseUrl>/alibaba} ({@code POST /alibaba} or
 * {@code POST /alibaba/}, parameters in the query string, empty body; a form body is accepted too), and the test
 * and operator controls are under {@code /alibaba-sandbox}.
 *
 * <p>A call goes through, in order: the path and method, the V3 signature ({@link AcsAuthenticator}), the version and
 * action, the rate limit ({@link CamsRateLimit}), the parameters ({@link CamsParameters}), then the number's state and
 * the scripted outcomes of its last four digits ({@link CamsNumbers}). {@link AlibabaControl} serves the controls.
 * Every error has the real body shape {@code {"RequestId","Code","Message"}}. The checks, the patterns and the
 * controls are in {@code docs/sandbox.md}.
 *
 * <p>Each cams response is sent {@link Builder#latency(Duration)} after the request was processed, from a scheduler:
 * no thread sleeps or waits; the HTTP handler thread returns at once.
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

    private final String accessKeyId;
    private final Set<CamsOperation> holdOperations;
    private final Clock clock;
    private final AcsAuthenticator authenticator;
    private final CamsRateLimit rateLimit;
    private final CamsStats stats = new CamsStats();
    private final CamsNumbers numbers;
    private final CamsTemplates templates = new CamsTemplates();
    private final SandboxResponder responder;
    private final AlibabaControl control;
    private volatile ProviderSandbox mountedOn;

    private AlibabaSandbox(Builder b) {
        this.accessKeyId = b.accessKeyId;
        this.clock = b.clock;
        this.holdOperations = b.holdOperations.isEmpty()
                ? EnumSet.noneOf(CamsOperation.class) : EnumSet.copyOf(b.holdOperations);
        this.authenticator = new AcsAuthenticator(b.accessKeyId, b.accessKeySecret, b.dateWindow, b.clock);
        this.rateLimit = new CamsRateLimit(b.maxRequestsPerSecond);
        this.numbers = new CamsNumbers(b.random, stats);
        this.responder = new SandboxResponder("alibaba-sandbox-latency", b.latency);
        this.control = new AlibabaControl(this, numbers, templates, stats, rateLimit, responder);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mounts the cams endpoint at {@value #CAMS_PATH} and the controls at {@value #CONTROL_PATH}; closes with the sandbox. */
    public AlibabaSandbox mountOn(ProviderSandbox sandbox) {
        sandbox.mount(CAMS_PATH, this::handleCams);
        sandbox.mount(CONTROL_PATH, control::handle);
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

    /** The last code "sent" to {@code phoneNumber}, if any: what the demo's customer reads off the phone. */
    public Optional<String> code(String phoneNumber) {
        CamsNumbers.NumberState state = numbers.get(phoneNumber);
        if (state == null) {
            return Optional.empty();
        }
        synchronized (state) {
            return Optional.ofNullable(state.code);
        }
    }

    /** Forgets every number, counter and rate window (not the used nonces, and not held requests). */
    void reset() {
        numbers.clear();
        templates.clear();
        stats.clear();
        rateLimit.clear();
    }

    @Override
    public void close() {
        responder.close();
    }

    // ---- cams endpoint ----------------------------------------------------------------------------------------

    /** An answer, the number it is about (for a release of one number) and whether pattern 0009 holds it. */
    private record Outcome(SandboxReply reply, String phoneNumber, boolean hold) {
    }

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
            responder.hold(exchange, outcome.reply(), outcome.phoneNumber());
        } else {
            responder.answerLater(exchange, outcome.reply());
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
            query = SandboxHttp.parseForm(rawQuery, new TreeMap<>());
            params = new TreeMap<>(query);
            String contentType = headers.get("content-type");
            if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                SandboxHttp.parseForm(new String(body, StandardCharsets.UTF_8), params);
            }
        } catch (IllegalArgumentException e) {
            return plain(error(requestId, 400, "InvalidParameter", "The query string or form body is malformed."));
        }

        SandboxReply authFailure = authenticator.authenticate(requestId, method, rawPath, query, headers, body);
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
        String phone = CamsParameters.phoneNumber(op, params);
        boolean hold = phone != null && PATTERN_HOLD.equals(CamsParameters.last4(phone)) && holdOperations.contains(op);
        // the template listing names no number: its calls are counted by space
        stats.call(op.action(), op == CamsOperation.LIST_CHATAPP_TEMPLATE ? params.get(CamsOperation.CUST_SPACE_ID) : phone);

        long retryAfter = rateLimit.acquire(op, clock.millis());
        if (retryAfter > 0) {
            stats.throttled(op.action());
            return new Outcome(CamsReplies.throttled(requestId, retryAfter, "Request was denied due to flow control; "
                    + "the limit is " + rateLimit.limit(op) + " per second for " + op.action() + "."),
                    phone, hold);
        }
        SandboxReply invalid = CamsParameters.validate(requestId, op, params);
        if (invalid != null) {
            return new Outcome(invalid, phone, hold);
        }
        if (op == CamsOperation.LIST_CHATAPP_TEMPLATE) {
            return plain(templates.list(requestId, params));
        }
        SandboxReply reply = numbers.execute(requestId, op, params, phone);
        return new Outcome(numbers.doneThenFailed(requestId, op, phone, reply), phone, hold);
    }

    private static Outcome plain(SandboxReply reply) {
        return new Outcome(reply, null, false);
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
            if (AcsAuthenticator.isBlank(id) || AcsAuthenticator.isBlank(secret)) {
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
            this.latency = SandboxResponder.requireNonNegative(latency);
            return this;
        }

        /** Allowed distance between {@code x-acs-date} and the sandbox clock (default 15 min). */
        public Builder dateWindow(Duration window) {
            this.dateWindow = SandboxResponder.requireNonNegative(window);
            return this;
        }

        /** Clock for the date window and the rate-limit window (default system UTC); tests may freeze it. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /** Source of the verification codes (default SecureRandom). */
        public Builder random(Random random) {
            this.random = Objects.requireNonNull(random);
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
}
