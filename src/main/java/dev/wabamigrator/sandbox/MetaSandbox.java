package dev.wabamigrator.sandbox;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateful simulator of the Meta Graph API calls waba-migrator makes (provider-apis.md §2.2–2.5, design.md META_MPS
 * and META_CLASSIC), as a JDK {@link HttpHandler}: mount it at {@value #CONTEXT_PATH} (Graph base URL
 * {@code <baseUrl>/meta}) and at {@value #CONTROL_CONTEXT_PATH} (controls, no auth) on a {@link ProviderSandbox}.
 *
 * <p>Each Graph resource is its own class: {@link MetaIntents}, {@link MetaTokens}, {@link MetaSubscribedApps},
 * {@link MetaPhoneNumbers}, {@link MetaMigration}, {@link MetaCodes}, {@link MetaRegister}; {@link MetaGraph} routes a
 * call to them, {@link MetaFaults} holds the fault scripts and {@link MetaControl} serves the control endpoints. The
 * calls, the scripted outcomes (last four digits of the national number) and the controls are in
 * {@code docs/sandbox.md}.
 *
 * <p>Loading this class sets {@value #NODELAY_PROPERTY}{@code =true} when unset: the JDK reads it when the first
 * {@link com.sun.net.httpserver.HttpServer} of the JVM is created; without it every response costs ~40 ms.
 * {@link Config#latency()} delays each Graph response from a scheduler, never by sleeping a thread; state changes
 * happen on arrival.
 */
public final class MetaSandbox implements HttpHandler, AutoCloseable {

    public static final String SYSTEM_TOKEN = "sandbox-system-user-token";
    public static final String APP_ID = "sandbox-app-id";
    public static final String APP_SECRET = "sandbox-app-secret";
    public static final String CONTEXT_PATH = "/meta";
    public static final String CONTROL_CONTEXT_PATH = "/meta-sandbox";

    /**
     * JDK HttpServer flushes the response headers and the body separately; without TCP_NODELAY,
     * Nagle plus the client's delayed ACK costs ~40 ms per keep-alive response. The JDK reads this
     * property once, when its first HttpServer is created: set it (or {@code -D}) before that.
     */
    public static final String NODELAY_PROPERTY = "sun.net.httpserver.nodelay";

    static {
        if (System.getProperty(NODELAY_PROPERTY) == null) {
            System.setProperty(NODELAY_PROPERTY, "true");
        }
    }

    /** Operation names: the counters of {@code GET /meta-sandbox/stats} and the {@code operation} of a fault script. */
    public static final class Ops {
        public static final String SET_INTENT = "set_solution_migration_intent";
        public static final String GET_INTENT = "intent";
        public static final String TOKEN = "system_user_access_tokens";
        public static final String SUBSCRIBE = "subscribed_apps";
        public static final String GET_SUBSCRIBED = "get_subscribed_apps";
        public static final String LIST_NUMBERS = "phone_numbers";
        public static final String MIGRATE = "migrate_phone_number";
        public static final String REQUEST_CODE = "request_code";
        public static final String VERIFY_CODE = "verify_code";
        public static final String REGISTER = "register";
        public static final String DEREGISTER = "deregister";
        public static final String GET_NUMBER = "phone_number";
        public static final String GET_WABA = "waba";
        public static final String LIST_TEMPLATES = "message_templates";
        public static final String MIGRATE_TEMPLATES = "migrate_message_templates";
        public static final String UNKNOWN = "unknown";

        private Ops() {
        }
    }

    /** Key under which the stats count every call of an operation. */
    public static final String ALL = "*";

    /** A scripted failing answer ({@code POST /meta-sandbox/faults}). */
    public enum Fault {
        /** HTTP 500, Graph code 1 "An unknown error has occurred." */
        ERROR_1,
        /** HTTP 500, Graph code 2 "Service temporarily unavailable", {@code is_transient}. */
        ERROR_2,
        /** HTTP 500, Graph code 131000 "Something went wrong". */
        ERROR_131000,
        /** HTTP 503 with an HTML body. */
        HTML_503,
        /** HTTP 200 with a garbled body (JSON cut off). */
        GARBLED_200
    }

    /**
     * Sandbox configuration.
     *
     * @param systemToken            accepted system-user token
     * @param appId                  the project's app id ({@code app_id} of the intent)
     * @param appSecret              key of {@code appsecret_proof}
     * @param pollsUntilAccepted     intent polls that still see INITIATED before ACCEPTED
     * @param latency                delay of every Graph response (zero: respond inline)
     * @param appUsagePercent        value of {@code X-App-Usage} call_count
     * @param registerLimit          register/deregister calls per window per number
     * @param registerWindow         the budget window
     * @param rateLimitRegainMinutes {@code estimated_time_to_regain_access} of pattern 1005
     * @param holdOperations         operations whose response pattern 1009 holds
     * @param clock                  time source of the register budget
     */
    public record Config(String systemToken, String appId, String appSecret, int pollsUntilAccepted,
                         Duration latency, int appUsagePercent, int registerLimit, Duration registerWindow,
                         int rateLimitRegainMinutes, Set<String> holdOperations, Clock clock) {

        public Config {
            holdOperations = Set.copyOf(holdOperations);
            if (latency == null || latency.isNegative()) {
                throw new IllegalArgumentException("latency must be >= 0");
            }
        }

        public static Config defaults() {
            return new Config(SYSTEM_TOKEN, APP_ID, APP_SECRET, 2, Duration.ZERO, 1, 10, Duration.ofHours(72),
                    1, Set.of(Ops.REGISTER), Clock.systemUTC());
        }

        public Config withPollsUntilAccepted(int polls) {
            return new Config(systemToken, appId, appSecret, polls, latency, appUsagePercent, registerLimit,
                    registerWindow, rateLimitRegainMinutes, holdOperations, clock);
        }

        public Config withLatency(Duration d) {
            return new Config(systemToken, appId, appSecret, pollsUntilAccepted, d, appUsagePercent, registerLimit,
                    registerWindow, rateLimitRegainMinutes, holdOperations, clock);
        }

        public Config withAppUsagePercent(int percent) {
            return new Config(systemToken, appId, appSecret, pollsUntilAccepted, latency, percent, registerLimit,
                    registerWindow, rateLimitRegainMinutes, holdOperations, clock);
        }

        public Config withCredentials(String systemToken, String appId, String appSecret) {
            return new Config(systemToken, appId, appSecret, pollsUntilAccepted, latency, appUsagePercent,
                    registerLimit, registerWindow, rateLimitRegainMinutes, holdOperations, clock);
        }

        public Config withRegisterBudget(int limit, Duration window) {
            return new Config(systemToken, appId, appSecret, pollsUntilAccepted, latency, appUsagePercent, limit,
                    window, rateLimitRegainMinutes, holdOperations, clock);
        }

        public Config withRateLimitRegainMinutes(int minutes) {
            return new Config(systemToken, appId, appSecret, pollsUntilAccepted, latency, appUsagePercent,
                    registerLimit, registerWindow, minutes, holdOperations, clock);
        }

        public Config withHoldOperations(Set<String> ops) {
            return new Config(systemToken, appId, appSecret, pollsUntilAccepted, latency, appUsagePercent,
                    registerLimit, registerWindow, rateLimitRegainMinutes, ops, clock);
        }

        public Config withClock(Clock c) {
            return new Config(systemToken, appId, appSecret, pollsUntilAccepted, latency, appUsagePercent,
                    registerLimit, registerWindow, rateLimitRegainMinutes, holdOperations, c);
        }
    }

    private final MetaState state;
    private final MetaGraph graph;
    private final MetaControl control;
    private final SandboxResponder responder;

    public MetaSandbox() {
        this(Config.defaults());
    }

    public MetaSandbox(Config config) {
        this.state = new MetaState(config);
        this.graph = new MetaGraph(state);
        this.responder = new SandboxResponder("meta-sandbox-responder", config.latency());
        this.control = new MetaControl(state, graph, responder);
    }

    public Config config() {
        return state.config;
    }

    // ---- what the demo does in place of the customer (tests use the control endpoints) ---------------------

    /** Seeds a CONNECTED number in a source WABA; returns its phone number id. */
    public String addSourceNumber(String wabaId, String cc, String nationalNumber, String verifiedName) {
        synchronized (state.lock) {
            return graph.phoneNumbers.addSource(wabaId, cc, nationalNumber, verifiedName);
        }
    }

    public String addSourceNumber(String wabaId, String cc, String nationalNumber) {
        return addSourceNumber(wabaId, cc, nationalNumber, null);
    }

    /** The verification code last requested for a phone number id. */
    public Optional<String> verificationCode(String phoneNumberId) {
        synchronized (state.lock) {
            return Optional.ofNullable(graph.codes.pendingCode(phoneNumberId));
        }
    }

    /** Marks two-step verification as disabled for a number (cc + national digits). */
    public void disableTwoStep(String e164) {
        synchronized (state.lock) {
            graph.register.disableTwoStep(e164);
        }
    }

    /**
     * What preflight reads of a WABA (docs/sandbox.md, "Preflight facts"); a null argument keeps the current value.
     *
     * @param paymentMethod       false: the WABA has no {@code primary_funding_id}
     * @param webhookSubscription false: no app subscribed (until a {@code POST subscribed_apps})
     */
    public void setWabaFacts(String wabaId, String businessVerificationStatus, String accountReviewStatus,
                             Boolean paymentMethod, Boolean webhookSubscription) {
        synchronized (state.lock) {
            MetaAccountFacts.WabaFacts f = state.facts.waba(wabaId);
            f.businessVerification = businessVerificationStatus != null ? businessVerificationStatus
                    : f.businessVerification;
            f.accountReview = accountReviewStatus != null ? accountReviewStatus : f.accountReview;
            f.paymentMethod = paymentMethod != null ? paymentMethod : f.paymentMethod;
            f.webhookSubscription = webhookSubscription != null ? webhookSubscription : f.webhookSubscription;
        }
    }

    /**
     * What preflight reads of a number (cc + national digits); a null argument keeps the current value, an empty one
     * removes the field.
     */
    public void setNumberFacts(String e164, String nameStatus, String newNameStatus, String accountMode,
                               String platformType) {
        synchronized (state.lock) {
            MetaAccountFacts.NumberFacts f = state.facts.number(MetaState.digits(e164));
            f.nameStatus = fact(nameStatus, f.nameStatus);
            f.newNameStatus = fact(newNameStatus, f.newNameStatus);
            f.accountMode = fact(accountMode, f.accountMode);
            f.platformType = fact(platformType, f.platformType);
        }
    }

    /**
     * Adds {@code count} templates named {@code prefix_i} (en_US, UTILITY) to a WABA (docs/sandbox.md, "Templates");
     * each fails migration {@code failTimes} times before it goes through.
     */
    public void addTemplates(String wabaId, String prefix, int count, String status, String quality, int failTimes) {
        synchronized (state.lock) {
            state.templates.add(wabaId, prefix, count, status, quality, failTimes);
        }
    }

    private static String fact(String given, String current) {
        return given == null ? current : given.isBlank() ? null : given;
    }

    /**
     * Turns on the webhook mode: each intent a customer accepts from now on is announced to {@code url} as a signed
     * {@code account_update} {@code PARTNER_ADDED} (docs/sandbox.md). Null turns it off.
     */
    public MetaSandbox sendWebhooksTo(java.net.URI url) {
        state.webhooks = url == null ? null : new MetaWebhookSender(url, state.config.appSecret(), state.config.clock());
        return this;
    }

    /** hex HMAC-SHA256(key = app secret, data = token): the {@code appsecret_proof}. */
    public static String appSecretProof(String appSecret, String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(token.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    // ---- HTTP -----------------------------------------------------------------------------------------

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        boolean isGraph = !GraphRequest.isControl(exchange, CONTROL_CONTEXT_PATH);
        MetaGraph.Answer answer;
        try {
            GraphRequest req = GraphRequest.read(exchange, CONTROL_CONTEXT_PATH);
            answer = isGraph ? graph.answer(req) : new MetaGraph.Answer(control.answer(req), false);
        } catch (Exception e) {
            answer = new MetaGraph.Answer(isGraph ? GraphErrors.error(500, 1, null, "OAuthException",
                    "An unknown error has occurred.", null, null, "sandbox: " + e, true)
                    : GraphErrors.json(500, GraphErrors.obj().put("error", String.valueOf(e))), false);
        }
        if (!isGraph) {
            SandboxHttp.send(exchange, answer.reply());
            return;
        }
        SandboxReply reply = answer.reply().withDefaultHeaders(graphHeaders());
        if (answer.hold()) {
            responder.hold(exchange, reply, null);
        } else {
            responder.answerLater(exchange, reply);
        }
    }

    /** Headers of every Graph answer. */
    private Map<String, String> graphHeaders() {
        int p = state.appUsagePercent;
        Map<String, String> h = new LinkedHashMap<>();
        h.put("X-App-Usage", "{\"call_count\":" + p + ",\"total_cputime\":" + p / 4 + ",\"total_time\":" + p / 2 + "}");
        h.put("x-fb-trace-id", GraphErrors.traceId());
        h.put("x-fb-request-id", GraphErrors.traceId());
        h.put("facebook-api-version", "v25.0");
        return h;
    }

    /** Stops the responder; held responses are dropped (their connections closed). */
    @Override
    public void close() {
        responder.close();
    }
}
