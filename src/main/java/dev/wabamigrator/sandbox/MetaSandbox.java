package dev.wabamigrator.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Stateful simulator of the Meta Graph API calls waba-migrator makes (provider-apis.md §2.2–2.5,
 * design.md META_MPS and META_CLASSIC), served by a JDK {@link HttpServer}.
 *
 * <h2>Mounting</h2>
 * Mount the handler at {@code /meta} (Graph base URL = {@code <baseUrl>/meta}) and, for the control
 * endpoints, at {@code /meta-sandbox}; {@link #mount(HttpServer)} does both. (On JDK 17 a context at
 * {@code /meta} also receives {@code /meta-sandbox/...}; the handler accepts either.)
 *
 * <h2>Credentials</h2>
 * System-user token {@value #SYSTEM_TOKEN}, app id {@value #APP_ID}, app secret {@value #APP_SECRET}
 * (all configurable via {@link Config}). Every Graph call needs {@code Authorization: Bearer <token>}:
 * a missing token gives code 104, an unknown or expired token 190. The system token or a business
 * token issued by {@code system_user_access_tokens} is accepted everywhere, except that
 * {@code system_user_access_tokens} needs the system token, and a destination WABA created by an
 * accepted migration intent (flow A), with its phone numbers, needs a business token (else code 200).
 *
 * <h2>Graph endpoints ({@code /meta/<version>/...}, version segment optional)</h2>
 * <table>
 * <tr><th>call</th><th>operation name (for {@link #calls})</th><th>behaviour</th></tr>
 * <tr><td>POST /{srcWaba}/set_solution_migration_intent</td><td>set_solution_migration_intent</td>
 *     <td>{@code app_id} (must be the app id) or {@code solution_id} → {@code {"id":intent}}; a second call for
 *     the same WABA returns the open intent</td></tr>
 * <tr><td>GET /{intent}?fields=id,status,destination_waba,solution,waba</td><td>intent</td>
 *     <td>the first {@code pollsUntilAccepted} polls (default 2) see INITIATED, the next sees ACCEPTED (and
 *     {@code destination_waba}, a new WABA); or use the control endpoints accept / reject</td></tr>
 * <tr><td>POST /{business}/system_user_access_tokens</td><td>system_user_access_tokens</td>
 *     <td>system token, {@code appsecret_proof} = hex HMAC-SHA256(app secret, system token),
 *     {@code fetch_only=true} (query or body) → {@code {"access_token":...}} (the same token until it expires)</td></tr>
 * <tr><td>POST|GET /{waba}/subscribed_apps</td><td>subscribed_apps / get_subscribed_apps</td>
 *     <td>{@code {"success":true}} / {@code {"data":[{"whatsapp_business_api_data":{"id":app}}]}}</td></tr>
 * <tr><td>GET /{waba}/phone_numbers?fields=status,...</td><td>phone_numbers</td>
 *     <td>numbers of that WABA: seeded source numbers are CONNECTED (MIGRATED once registered elsewhere);
 *     migrated numbers are PENDING until registered, then CONNECTED. Paged: {@link #setPageSize(int)} numbers a
 *     page (default 25), {@code paging.next} only when another page follows, {@code after} = its cursor</td></tr>
 * <tr><td>POST /{destWaba}/phone_numbers</td><td>migrate_phone_number</td>
 *     <td>{@code migrate_phone_number=true, cc, phone_number} (national, no {@code +}, no CC), optional
 *     {@code display_phone_number, verified_name}; JSON, form or query → {@code {"id":phoneNumberId}}.
 *     The destination must have a subscribed app, else 2388103 "Cannot migrate phone number."
 *     (intent-created destinations start unsubscribed; other WABAs are treated as the BSP's own,
 *     already subscribed). The same number twice → 2388012</td></tr>
 * <tr><td>POST /{phone}/request_code</td><td>request_code</td>
 *     <td>{@code code_method} SMS|VOICE, {@code language} → a 6-digit code, readable at
 *     {@code GET /meta-sandbox/codes/{phoneNumberId}}</td></tr>
 * <tr><td>POST /{phone}/verify_code</td><td>verify_code</td><td>{@code code}; wrong/none → 136025</td></tr>
 * <tr><td>POST /{phone}/register</td><td>register</td>
 *     <td>{@code messaging_product=whatsapp}, 6-digit {@code pin}. Flow B numbers must be verified first
 *     (133006). Every call counts in a budget of 10 per number per 72 h (configurable); the next one
 *     gets 133016 and the number is locked for the window. The PIN must match the number's PIN when
 *     one is set (control endpoint, or the PIN of an earlier successful register), else 133005</td></tr>
 * <tr><td>POST /{phone}/deregister</td><td>deregister</td><td>counts in the same budget</td></tr>
 * <tr><td>GET /{phone}, GET /{waba}</td><td>phone_number / waba</td><td>object fields</td></tr>
 * </table>
 * Every Graph response carries {@code X-App-Usage} with the configured percentage
 * ({@link #setAppUsagePercent(int)}), {@code x-fb-trace-id}, and errors carry a Graph error body
 * with {@code fbtrace_id}.
 *
 * <h2>Scripted failures (last four digits of the national number)</h2>
 * For calls made before a number is known (intent, token, subscribed_apps), the pattern is read
 * from the source WABA id's last four digits, else from any number seeded in that WABA; an
 * intent-created destination WABA inherits its source WABA's pattern.
 * <table>
 * <tr><td>1001</td><td>the intent ends REJECTED (after the same polls)</td></tr>
 * <tr><td>1002</td><td>the intent is never accepted by polling (deadline tests); control accept still works</td></tr>
 * <tr><td>1003</td><td>register → 133005 PIN mismatch, unless a PIN was set for the number and is sent</td></tr>
 * <tr><td>1004</td><td>migrate → 2388012: the number is already in the destination WABA (listed there)</td></tr>
 * <tr><td>1005</td><td>the first Graph call of the scenario → 80007 with {@code X-Business-Use-Case-Usage}
 *     {@code estimated_time_to_regain_access} ({@link Config#rateLimitRegainMinutes()}), once</td></tr>
 * <tr><td>1006</td><td>migrate → "Two-step authentication must be disabled for this phone number." until
 *     {@code POST /meta-sandbox/numbers/{cc+number}/disable-two-step}</td></tr>
 * <tr><td>1007</td><td>subscribed_apps → 190 (session expired) once; the presented business token stays
 *     expired, and {@code system_user_access_tokens} then issues a new one</td></tr>
 * <tr><td>1008</td><td>register → HTTP 503 (HTML body), then HTTP 500 (code 2, is_transient), then normal</td></tr>
 * <tr><td>1009</td><td>a successful register is applied but its response is held until
 *     {@code POST /meta-sandbox/release} (crash tests); the held operations are configurable with
 *     {@link Config#withHoldOperations(Set)}, e.g. {@code Set.of(Ops.REGISTER, Ops.MIGRATE)}</td></tr>
 * <tr><td>1010</td><td>migrate → 2388103 "Cannot migrate phone number." until {@code subscribed_apps} is
 *     called on the destination (flow B auto-fix)</td></tr>
 * <tr><td>1011</td><td>request_code → 2388091 "wait 1 hour" once</td></tr>
 * </table>
 *
 * <h2>Scripted faults on one call</h2>
 * {@link #failAfterEffect}: the next calls of an operation for a number (or an object id) take effect, then are
 * answered with a {@link Fault} (500 code 1, 2 or 131000, an HTML 503, a garbled 200); {@link #failBeforeEffect}:
 * answered with it, nothing done.
 *
 * <h2>Control endpoints ({@code /meta-sandbox/...}, no auth)</h2>
 * {@code GET codes/{phoneNumberId}}, {@code POST intents/{id}/accept}, {@code POST intents/{id}/reject},
 * {@code POST release}, {@code GET stats}, {@code POST numbers} ({@code waba_id, cc, phone_number,
 * verified_name?}: seeds a CONNECTED number in a source WABA), {@code GET numbers/{cc+number}},
 * {@code POST numbers/{cc+number}/disable-two-step}, {@code POST numbers/{cc+number}/pin} ({@code pin}),
 * {@code POST usage} ({@code percent}), {@code POST latency} ({@code ms}), {@code POST reset}.
 *
 * <h2>Speed</h2>
 * Loading this class sets {@value #NODELAY_PROPERTY}{@code =true} when unset. The JDK reads it when
 * the first {@link HttpServer} of the JVM is created, so create the server after touching this class
 * (or pass {@code -Dsun.net.httpserver.nodelay=true}); otherwise every response costs ~40 ms.
 *
 * <h2>Latency</h2>
 * {@link Config#latency()} delays each Graph response; responses are sent from a
 * {@link ScheduledExecutorService}, never by sleeping a thread. State changes happen on arrival.
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

    /** Operation names used by {@link #calls(String, String)} and {@code GET /meta-sandbox/stats}. */
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
        public static final String UNKNOWN = "unknown";

        private Ops() {
        }
    }

    /** Key under which {@link #calls(String, String)} counts every call of an operation. */
    public static final String ALL = "*";

    /** A scripted failing answer ({@link #failAfterEffect}, {@link #failBeforeEffect}). */
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

    /** A scripted answer: the fault, and whether the call takes effect before it is answered. */
    private record Script(Fault fault, boolean afterEffect) {
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

    // ---- state --------------------------------------------------------------------------------------

    private enum WabaKind { SOURCE, INTENT_DESTINATION, BSP }

    private static final class Waba {
        final String id;
        WabaKind kind;
        String linkedSource;          // destination created by an intent: its source WABA
        boolean subscribed;
        boolean explicitlySubscribed;
        final String namespace;

        Waba(String id, WabaKind kind, String namespace) {
            this.id = id;
            this.kind = kind;
            this.namespace = namespace;
        }
    }

    private static final class Intent {
        final String id;
        final String sourceWaba;
        final String solutionId;
        String status = "INITIATED";
        String destinationWaba;
        int polls;

        Intent(String id, String sourceWaba, String solutionId) {
            this.id = id;
            this.sourceWaba = sourceWaba;
            this.solutionId = solutionId;
        }
    }

    private static final class Phone {
        final String id;
        final String wabaId;
        final String cc;
        final String national;
        final String e164;
        String displayPhoneNumber;
        String verifiedName;
        String status;
        String codeVerificationStatus;
        boolean flowA;
        boolean source;
        String pendingCode;

        Phone(String id, String wabaId, String cc, String national) {
            this.id = id;
            this.wabaId = wabaId;
            this.cc = cc;
            this.national = national;
            this.e164 = cc + national;
        }
    }

    /** Per E.164 number: facts that follow the number across WABAs. */
    private static final class NumberState {
        final List<Instant> budgetCalls = new ArrayList<>();
        Instant lockedUntil;
        String pin;                    // current two-step PIN, null = none (any PIN accepted)
        boolean twoStepDisabled;
        int failures;                  // for "N failures then normal" patterns
    }

    private record Scenario(int pattern, String key) {
        static final Scenario NONE = new Scenario(0, "");
    }

    private record Reply(int status, String contentType, String body, Map<String, String> headers, boolean hold) {
    }

    private record Held(HttpExchange exchange, Reply reply) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<Integer> PATTERNS = Set.of(1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011);
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final Config config;
    private final Object lock = new Object();
    private final Map<String, Waba> wabas = new HashMap<>();
    private final Map<String, Intent> intents = new HashMap<>();
    private final Map<String, Phone> phones = new LinkedHashMap<>();
    private final Map<String, NumberState> numbers = new HashMap<>();
    private final Map<String, String> businessTokens = new HashMap<>();   // token -> business id
    private final Map<String, String> tokenOfBusiness = new HashMap<>();  // business id -> current token
    private final Set<String> expiredTokens = new HashSet<>();
    private final Set<String> firedOnce = new HashSet<>();
    private final Map<String, Map<String, AtomicInteger>> counters = new ConcurrentHashMap<>();
    private final List<Held> held = new ArrayList<>();
    private final Map<String, java.util.Deque<Script>> scripts = new HashMap<>(); // op|key -> next answers, in order
    private volatile int pageSize = 25;
    private final AtomicLong ids = new AtomicLong(100_000_000_000_000L);
    private final ScheduledExecutorService scheduler;
    private volatile int appUsagePercent;
    private volatile Duration latency;

    public MetaSandbox() {
        this(Config.defaults());
    }

    public MetaSandbox(Config config) {
        this.config = config;
        this.appUsagePercent = config.appUsagePercent();
        this.latency = config.latency();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meta-sandbox-responder");
            t.setDaemon(true);
            return t;
        });
    }

    /** Creates the {@code /meta} and {@code /meta-sandbox} contexts on {@code server}. */
    public void mount(HttpServer server) {
        server.createContext(CONTEXT_PATH, this);
        server.createContext(CONTROL_CONTEXT_PATH, this);
    }

    public Config config() {
        return config;
    }

    // ---- Java control API (the same as the control endpoints) -----------------------------------------

    /** Calls of {@code operation} (see {@link Ops}) for {@code key}: a path id, an E.164 number (digits), or {@link #ALL}. */
    public int calls(String operation, String key) {
        Map<String, AtomicInteger> byKey = counters.get(operation);
        AtomicInteger n = byKey == null ? null : byKey.get(key);
        return n == null ? 0 : n.get();
    }

    /** All counters: operation → key → calls. */
    public Map<String, Map<String, Integer>> stats() {
        Map<String, Map<String, Integer>> out = new TreeMap<>();
        counters.forEach((op, byKey) -> {
            Map<String, Integer> m = new TreeMap<>();
            byKey.forEach((k, v) -> m.put(k, v.get()));
            out.put(op, m);
        });
        return out;
    }

    /** The verification code last requested for a phone number id. */
    public Optional<String> verificationCode(String phoneNumberId) {
        synchronized (lock) {
            Phone p = phones.get(phoneNumberId);
            return Optional.ofNullable(p == null ? null : p.pendingCode);
        }
    }

    /** Seeds a CONNECTED number in a source WABA; returns its phone number id. */
    public String addSourceNumber(String wabaId, String cc, String nationalNumber, String verifiedName) {
        synchronized (lock) {
            Waba w = wabas.computeIfAbsent(wabaId, id -> new Waba(id, WabaKind.SOURCE, namespace()));
            Phone p = new Phone(nextId(), w.id, cc, nationalNumber);
            p.displayPhoneNumber = "+" + cc + " " + nationalNumber;
            p.verifiedName = verifiedName == null ? "Sandbox Business" : verifiedName;
            p.status = "CONNECTED";
            p.codeVerificationStatus = "VERIFIED";
            p.source = true;
            phones.put(p.id, p);
            return p.id;
        }
    }

    public String addSourceNumber(String wabaId, String cc, String nationalNumber) {
        return addSourceNumber(wabaId, cc, nationalNumber, null);
    }

    /** Accepts an intent (creating its destination WABA); false when unknown. */
    public boolean acceptIntent(String intentId) {
        synchronized (lock) {
            Intent i = intents.get(intentId);
            if (i == null) {
                return false;
            }
            accept(i);
            return true;
        }
    }

    /** Rejects an intent; false when unknown. */
    public boolean rejectIntent(String intentId) {
        synchronized (lock) {
            Intent i = intents.get(intentId);
            if (i == null) {
                return false;
            }
            i.status = "REJECTED";
            return true;
        }
    }

    /** Marks two-step verification as disabled for a number (cc + national digits). */
    public void disableTwoStep(String e164) {
        synchronized (lock) {
            NumberState n = number(digits(e164));
            n.twoStepDisabled = true;
            n.pin = null;
        }
    }

    /** Sets the number's two-step PIN: register must then send it (else 133005). */
    public void setPin(String e164, String pin) {
        synchronized (lock) {
            number(digits(e164)).pin = pin;
        }
    }

    public void setAppUsagePercent(int percent) {
        this.appUsagePercent = percent;
    }

    public void setLatency(Duration latency) {
        if (latency == null || latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0");
        }
        this.latency = latency;
    }

    /**
     * The next {@code times} calls of {@code op} (see {@link Ops}) for {@code key} take effect, then are answered with
     * {@code fault}: Graph acted, but the client cannot tell. {@code key} is an E.164 number (digits) for calls on a
     * number (migrate, request_code, verify_code, register), else the object id in the path (the source WABA of
     * set_solution_migration_intent).
     */
    public void failAfterEffect(String op, String key, Fault fault, int times) {
        script(op, key, new Script(fault, true), times);
    }

    /** The next {@code times} calls of {@code op} for {@code key} are answered with {@code fault} and do nothing. */
    public void failBeforeEffect(String op, String key, Fault fault, int times) {
        script(op, key, new Script(fault, false), times);
    }

    private void script(String op, String key, Script script, int times) {
        synchronized (lock) {
            java.util.Deque<Script> queue = scripts.computeIfAbsent(op + "|" + digitsOrId(key),
                    k -> new java.util.ArrayDeque<>());
            for (int i = 0; i < times; i++) {
                queue.add(script);
            }
        }
    }

    /** Numbers per page of {@code GET /{waba}/phone_numbers} (default 25; {@code limit} asks for fewer). */
    public void setPageSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("page size must be >= 1");
        }
        this.pageSize = size;
    }

    /** Sends every held response; returns how many. */
    public int release() {
        List<Held> toSend;
        synchronized (held) {
            toSend = new ArrayList<>(held);
            held.clear();
        }
        toSend.forEach(h -> send(h.exchange(), h.reply()));
        return toSend.size();
    }

    /** Responses currently held by pattern 1009. */
    public int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    /** Forgets all state and counters (held responses are released first). */
    public void reset() {
        release();
        synchronized (lock) {
            wabas.clear();
            intents.clear();
            phones.clear();
            numbers.clear();
            businessTokens.clear();
            tokenOfBusiness.clear();
            expiredTokens.clear();
            firedOnce.clear();
            scripts.clear();
        }
        counters.clear();
        pageSize = 25;
        appUsagePercent = config.appUsagePercent();
        latency = config.latency();
    }

    /** Stops the responder; held responses are dropped (their connections closed). */
    @Override
    public void close() {
        List<Held> toDrop;
        synchronized (held) {
            toDrop = new ArrayList<>(held);
            held.clear();
        }
        toDrop.forEach(h -> h.exchange().close());
        scheduler.shutdownNow();
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

    private static final class Request {
        String method;
        List<String> segments;
        Map<String, String> params = new LinkedHashMap<>();
        String authorization;
        boolean malformedBody;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        Reply reply;
        boolean graph = true;
        try {
            String contextPath = exchange.getHttpContext().getPath();
            String controlPrefix = contextPath.endsWith("-sandbox") ? contextPath
                    : ("/".equals(contextPath) ? CONTROL_CONTEXT_PATH : contextPath + "-sandbox");
            String path = exchange.getRequestURI().getRawPath();
            Request req = new Request();
            req.method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            req.authorization = exchange.getRequestHeaders().getFirst("Authorization");
            String rest;
            if (path.equals(controlPrefix) || path.startsWith(controlPrefix + "/")) {
                graph = false;
                rest = path.substring(controlPrefix.length());
            } else if (!"/".equals(contextPath) && path.startsWith(contextPath)) {
                rest = path.substring(contextPath.length());
            } else {
                rest = path;
            }
            req.segments = new ArrayList<>();
            for (String s : rest.split("/")) {
                if (!s.isEmpty()) {
                    req.segments.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
                }
            }
            parseForm(exchange.getRequestURI().getRawQuery(), req.params);
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            try {
                parseBody(exchange.getRequestHeaders().getFirst("Content-Type"), body, req.params);
            } catch (IOException malformed) {
                req.malformedBody = true;
            }
            reply = graph ? graph(req) : control(req);
        } catch (Exception e) {
            reply = graph ? error(500, 1, null, "OAuthException", "An unknown error has occurred.", null, null,
                    "sandbox: " + e, true) : json(500, obj().put("error", String.valueOf(e)));
        }
        if (graph) {
            reply = withGraphHeaders(reply);
        }
        if (reply.hold()) {
            synchronized (held) {
                held.add(new Held(exchange, reply));
            }
            return;
        }
        Duration delay = graph ? latency : Duration.ZERO;
        if (delay.isZero()) {
            send(exchange, reply);
        } else {
            final Reply r = reply;
            scheduler.schedule(() -> send(exchange, r), delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private static void send(HttpExchange exchange, Reply reply) {
        try (exchange) {
            byte[] bytes = reply.body() == null ? new byte[0] : reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (IOException | RuntimeException e) {
            // client went away (crash tests): nothing to do
        }
    }

    private Reply withGraphHeaders(Reply reply) {
        Map<String, String> h = new LinkedHashMap<>(reply.headers());
        int p = appUsagePercent;
        h.putIfAbsent("X-App-Usage", "{\"call_count\":" + p + ",\"total_cputime\":" + p / 4 + ",\"total_time\":" + p / 2 + "}");
        h.putIfAbsent("x-fb-trace-id", traceId());
        h.putIfAbsent("x-fb-request-id", traceId());
        h.putIfAbsent("facebook-api-version", "v25.0");
        return new Reply(reply.status(), reply.contentType(), reply.body(), h, reply.hold());
    }

    // ---- Graph routing ----------------------------------------------------------------------------------

    private enum Auth { SYSTEM, BUSINESS }

    private Reply graph(Request req) {
        List<String> seg = new ArrayList<>(req.segments);
        if (!seg.isEmpty() && seg.get(0).matches("v\\d+(\\.\\d+)?")) {
            seg.remove(0);
        }
        String op = operation(req.method, seg);
        String id = seg.isEmpty() ? "" : seg.get(0);
        count(op, ALL);
        count(op, id);
        if (seg.isEmpty() || seg.size() > 2 || op.equals(Ops.UNKNOWN)) {
            return error(400, 2500, null, "OAuthException", "Unknown path components: /" + String.join("/", seg),
                    null, null, null, null);
        }
        if (req.malformedBody) {
            return invalidParameter("(#100) Invalid parameter", "the request body is not valid JSON");
        }
        synchronized (lock) {
            String token = bearer(req.authorization);
            if (token == null) {
                return error(400, 104, null, "OAuthException", "An access token is required to request this resource.",
                        null, null, null, null);
            }
            Auth auth;
            if (token.equals(config.systemToken())) {
                auth = Auth.SYSTEM;
            } else if (businessTokens.containsKey(token) && !expiredTokens.contains(token)) {
                auth = Auth.BUSINESS;
            } else if (expiredTokens.contains(token)) {
                return sessionExpired();
            } else {
                return error(401, 190, null, "OAuthException", "Invalid OAuth access token - Cannot parse access token",
                        null, null, null, null);
            }
            String number = numberOf(op, id, req);
            Script script = nextScript(op, id, number);
            if (script != null && !script.afterEffect()) {
                if (number != null) {
                    count(op, number);
                }
                return faultReply(script.fault());
            }
            Reply reply = switch (op) {
                case Ops.SET_INTENT -> setIntent(req, id, auth);
                case Ops.GET_INTENT -> intents.containsKey(id) ? getIntent(req, intents.get(id)) : noSuchObject(id);
                case Ops.TOKEN -> fetchToken(req, id, auth);
                case Ops.SUBSCRIBE -> subscribe(id, auth, token);
                case Ops.GET_SUBSCRIBED -> getSubscribed(id, auth);
                case Ops.LIST_NUMBERS -> listNumbers(req, id, auth);
                case Ops.MIGRATE -> migrate(req, id, auth);
                case Ops.REQUEST_CODE -> requestCode(req, id, auth);
                case Ops.VERIFY_CODE -> verifyCode(req, id, auth);
                case Ops.REGISTER -> register(req, id, auth, false);
                case Ops.DEREGISTER -> register(req, id, auth, true);
                case Ops.GET_NUMBER -> phones.containsKey(id) ? getNumber(req, phones.get(id), auth) : noSuchObject(id);
                case Ops.GET_WABA -> getWaba(req, id, auth);
                default -> noSuchObject(id);
            };
            if (script != null && reply.status() / 100 == 2) {
                return faultReply(script.fault()); // applied above, answered with the fault
            }
            if (reply.status() / 100 == 2 && config.holdOperations().contains(op) && holdScenario(op, id, req) == 1009) {
                return new Reply(reply.status(), reply.contentType(), reply.body(), reply.headers(), true);
            }
            return reply;
        }
    }

    /** The E.164 number a call is about (a call on a phone number id, or migrate's cc + phone_number), else null. */
    private String numberOf(String op, String id, Request req) {
        Phone p = phones.get(id);
        if (p != null) {
            return p.e164;
        }
        if (op.equals(Ops.MIGRATE)) {
            return req.params.getOrDefault("cc", "") + req.params.getOrDefault("phone_number", "");
        }
        return null;
    }

    /** Takes the next scripted answer of this call, by its number, else by the id in its path. */
    private Script nextScript(String op, String id, String number) {
        for (String key : number == null ? List.of(id) : List.of(number, id)) {
            java.util.Deque<Script> queue = scripts.get(op + "|" + key);
            if (queue != null && !queue.isEmpty()) {
                return queue.poll();
            }
        }
        return null;
    }

    private Reply faultReply(Fault fault) {
        return switch (fault) {
            case ERROR_1 -> error(500, 1, null, "OAuthException", "An unknown error has occurred.", null, null, null,
                    null);
            case ERROR_2 -> error(500, 2, null, "OAuthException", "(#2) Service temporarily unavailable", null, null,
                    null, true);
            case ERROR_131000 -> error(500, 131000, null, "OAuthException", "(#131000) Something went wrong",
                    "Something went wrong", "Something went wrong. Please try again later.", "Something went wrong",
                    null);
            case HTML_503 -> new Reply(503, "text/html; charset=utf-8", "<html><body><h1>503 Service Unavailable</h1>"
                    + "No server is available to handle this request.</body></html>", Map.of(), false);
            case GARBLED_200 -> new Reply(200, "application/json; charset=UTF-8", "{\"success\":tr", Map.of(), false);
        };
    }

    /** The pattern deciding whether pattern 1009 holds this (successful) call's response. */
    private int holdScenario(String op, String id, Request req) {
        Phone p = phones.get(id);
        if (p != null) {
            return scenario(p).pattern();
        }
        if (op.equals(Ops.MIGRATE)) {
            String cc = req.params.getOrDefault("cc", "");
            String national = req.params.getOrDefault("phone_number", "");
            return scenarioOfNumber(national, cc + national, wabas.get(id)).pattern();
        }
        Intent i = intents.get(id);
        if (i != null) {
            return scenario(wabas.get(i.sourceWaba)).pattern();
        }
        Waba w = wabas.get(id);
        return w != null ? scenario(w).pattern() : scenarioOfId(id).pattern();
    }

    private String operation(String method, List<String> seg) {
        if (seg.size() == 1 && method.equals("GET")) {
            synchronized (lock) {
                String id = seg.get(0);
                if (intents.containsKey(id)) {
                    return Ops.GET_INTENT;
                }
                if (phones.containsKey(id)) {
                    return Ops.GET_NUMBER;
                }
                return Ops.GET_WABA;
            }
        }
        if (seg.size() != 2) {
            return Ops.UNKNOWN;
        }
        String edge = seg.get(1);
        boolean post = method.equals("POST");
        return switch (edge) {
            case "set_solution_migration_intent" -> post ? Ops.SET_INTENT : Ops.UNKNOWN;
            case "system_user_access_tokens" -> post ? Ops.TOKEN : Ops.UNKNOWN;
            case "subscribed_apps" -> post ? Ops.SUBSCRIBE : method.equals("GET") ? Ops.GET_SUBSCRIBED : Ops.UNKNOWN;
            case "phone_numbers" -> post ? Ops.MIGRATE : method.equals("GET") ? Ops.LIST_NUMBERS : Ops.UNKNOWN;
            case "request_code" -> post ? Ops.REQUEST_CODE : Ops.UNKNOWN;
            case "verify_code" -> post ? Ops.VERIFY_CODE : Ops.UNKNOWN;
            case "register" -> post ? Ops.REGISTER : Ops.UNKNOWN;
            case "deregister" -> post ? Ops.DEREGISTER : Ops.UNKNOWN;
            default -> Ops.UNKNOWN;
        };
    }

    // ---- flow A: intent ------------------------------------------------------------------------------

    private Reply setIntent(Request req, String wabaId, Auth auth) {
        Waba w = wabas.computeIfAbsent(wabaId, id -> new Waba(id, WabaKind.SOURCE, namespace()));
        Scenario sc = scenario(w);
        Reply limited = rateLimitedOnce(sc, wabaId);
        if (limited != null) {
            return limited;
        }
        String appId = req.params.get("app_id");
        String solutionId = req.params.get("solution_id");
        if ((appId == null || appId.isBlank()) && (solutionId == null || solutionId.isBlank())) {
            return invalidParameter("The parameter app_id is required", "app_id or solution_id is required");
        }
        if (appId != null && !appId.equals(config.appId())) {
            return invalidParameter("Param app_id must be a valid app ID", "unknown app_id " + appId);
        }
        for (Intent i : intents.values()) {
            if (i.sourceWaba.equals(wabaId) && !i.status.equals("REJECTED")) {
                return json(200, obj().put("id", i.id));
            }
        }
        Intent intent = new Intent(nextId(), wabaId, solutionId);
        intents.put(intent.id, intent);
        return json(200, obj().put("id", intent.id));
    }

    private Reply getIntent(Request req, Intent intent) {
        Scenario sc = scenario(wabas.get(intent.sourceWaba));
        Reply limited = rateLimitedOnce(sc, intent.id);
        if (limited != null) {
            return limited;
        }
        if (intent.status.equals("INITIATED")) {
            intent.polls++;
            if (intent.polls > config.pollsUntilAccepted() && sc.pattern() != 1002) {
                if (sc.pattern() == 1001) {
                    intent.status = "REJECTED";
                } else {
                    accept(intent);
                }
            }
        }
        Set<String> fields = fields(req.params.get("fields"), "id", "status");
        ObjectNode out = obj().put("id", intent.id);
        if (fields.contains("status")) {
            out.put("status", intent.status);
        }
        if (fields.contains("waba")) {
            out.putObject("waba").put("id", intent.sourceWaba);
        }
        if (fields.contains("solution") && intent.solutionId != null) {
            out.putObject("solution").put("id", intent.solutionId).put("name", "Sandbox Solution")
                    .put("status", "ACTIVE");
        }
        if (fields.contains("destination_waba") && intent.destinationWaba != null) {
            Waba d = wabas.get(intent.destinationWaba);
            out.putObject("destination_waba").put("id", d.id).put("name", "Sandbox destination " + d.id)
                    .put("currency", "USD").put("timezone_id", "1").put("business_type", "ent")
                    .put("message_template_namespace", d.namespace);
        }
        return json(200, out);
    }

    private void accept(Intent intent) {
        if (intent.destinationWaba == null) {
            Waba dest = new Waba(nextId(), WabaKind.INTENT_DESTINATION, namespace());
            dest.linkedSource = intent.sourceWaba;
            wabas.put(dest.id, dest);
            intent.destinationWaba = dest.id;
        }
        intent.status = "ACCEPTED";
    }

    // ---- tokens and webhooks -----------------------------------------------------------------------------

    private Reply fetchToken(Request req, String businessId, Auth auth) {
        Reply limited = rateLimitedOnce(scenarioOfId(businessId), businessId);
        if (limited != null) {
            return limited;
        }
        if (auth != Auth.SYSTEM) {
            return error(403, 200, null, "OAuthException", "(#200) Permissions error", "Permissions error",
                    "system_user_access_tokens needs the system-user token", null, null);
        }
        String proof = req.params.get("appsecret_proof");
        String expected = appSecretProof(config.appSecret(), config.systemToken());
        if (proof == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                proof.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            return error(400, 100, null, "GraphMethodException", "Invalid appsecret_proof provided in the API argument",
                    null, null, null, null);
        }
        if (!"true".equalsIgnoreCase(req.params.get("fetch_only"))) {
            return invalidParameter("(#100) Param fetch_only must be true", "the sandbox only fetches existing tokens");
        }
        String token = tokenOfBusiness.get(businessId);
        if (token == null || expiredTokens.contains(token)) {
            token = "sandbox-business-token-" + businessId + "-" + random(12);
            businessTokens.put(token, businessId);
            tokenOfBusiness.put(businessId, token);
        }
        return json(200, obj().put("access_token", token));
    }

    private Reply subscribe(String wabaId, Auth auth, String token) {
        Waba w = wabas.computeIfAbsent(wabaId, id -> new Waba(id, WabaKind.BSP, namespace()));
        Reply denied = needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        Scenario sc = scenario(w);
        Reply limited = rateLimitedOnce(sc, wabaId);
        if (limited != null) {
            return limited;
        }
        if (sc.pattern() == 1007 && auth == Auth.BUSINESS && firedOnce.add("1007|" + sc.key())) {
            expiredTokens.add(token);
            return sessionExpired();
        }
        w.subscribed = true;
        w.explicitlySubscribed = true;
        return json(200, obj().put("success", true));
    }

    private Reply getSubscribed(String wabaId, Auth auth) {
        Waba w = wabas.computeIfAbsent(wabaId, id -> new Waba(id, WabaKind.BSP, namespace()));
        Reply denied = needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        ObjectNode out = obj();
        ArrayNode data = out.putArray("data");
        if (w.subscribed) {
            data.addObject().putObject("whatsapp_business_api_data").put("id", config.appId())
                    .put("name", "Sandbox App").put("link", "https://www.facebook.com/games/?app_id=" + config.appId());
        }
        return json(200, out);
    }

    // ---- numbers --------------------------------------------------------------------------------------

    private Reply listNumbers(Request req, String wabaId, Auth auth) {
        Waba w = wabas.computeIfAbsent(wabaId, id -> new Waba(id, WabaKind.SOURCE, namespace()));
        Reply denied = needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        Reply limited = rateLimitedOnce(scenario(w), wabaId);
        if (limited != null) {
            return limited;
        }
        Set<String> fields = fields(req.params.get("fields"), "id", "display_phone_number", "verified_name",
                "code_verification_status", "quality_rating");
        List<Phone> listed = phones.values().stream().filter(p -> p.wabaId.equals(wabaId)).toList();
        int size = pageSize;
        String limit = req.params.get("limit");
        if (limit != null && limit.matches("\\d{1,4}") && Integer.parseInt(limit) > 0) {
            size = Math.min(size, Integer.parseInt(limit));
        }
        int from = cursorOffset(req.params.get("after"));
        int to = Math.min(listed.size(), from + size);
        ObjectNode out = obj();
        ArrayNode data = out.putArray("data");
        listed.subList(Math.min(from, listed.size()), to).forEach(p -> data.add(phoneJson(p, fields)));
        ObjectNode paging = out.putObject("paging");
        paging.putObject("cursors").put("before", cursor(from)).put("after", cursor(to));
        if (to < listed.size()) { // like Graph: "next" only when there is a next page
            paging.put("next", "/" + wabaId + "/phone_numbers?limit=" + size + "&after=" + cursor(to));
        }
        return json(200, out);
    }

    /** An opaque-looking cursor for a list offset. */
    private static String cursor(int offset) {
        return java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("offset:" + offset).getBytes(StandardCharsets.UTF_8));
    }

    private static int cursorOffset(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return 0;
        }
        try {
            String text = new String(java.util.Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            return text.startsWith("offset:") ? Math.max(0, Integer.parseInt(text.substring(7))) : 0;
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    private Reply getNumber(Request req, Phone p, Auth auth) {
        Reply denied = needsBusinessToken(wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        return json(200, phoneJson(p, fields(req.params.get("fields"), "id", "display_phone_number", "verified_name",
                "code_verification_status", "quality_rating", "status")));
    }

    private Reply getWaba(Request req, String wabaId, Auth auth) {
        Waba w = wabas.get(wabaId);
        if (w == null) {
            return noSuchObject(wabaId);
        }
        Reply denied = needsBusinessToken(w, auth);
        if (denied != null) {
            return denied;
        }
        return json(200, obj().put("id", w.id).put("name", "Sandbox WABA " + w.id).put("currency", "USD")
                .put("timezone_id", "1").put("message_template_namespace", w.namespace));
    }

    private Reply migrate(Request req, String wabaId, Auth auth) {
        Waba dest = wabas.computeIfAbsent(wabaId, id -> new Waba(id, WabaKind.BSP, namespace()));
        if (dest.kind == WabaKind.BSP && !dest.explicitlySubscribed) {
            dest.subscribed = true; // a BSP's own WABA is subscribed to its app (flow B eligibility)
        }
        Reply denied = needsBusinessToken(dest, auth);
        if (denied != null) {
            return denied;
        }
        String cc = req.params.getOrDefault("cc", "");
        String national = req.params.getOrDefault("phone_number", "");
        if (!"true".equalsIgnoreCase(req.params.get("migrate_phone_number"))) {
            return invalidParameter("(#100) Invalid parameter", "the sandbox only supports migrate_phone_number=true");
        }
        if (!cc.matches("\\d{1,3}")) {
            return invalidParameter("(#100) Invalid parameter", "cc must be 1 to 3 digits");
        }
        if (!national.matches("\\d{4,14}") || (cc + national).length() > 15) {
            return invalidParameter("(#100) Invalid parameter",
                    "phone_number must be the national number: digits only, no '+' and no country code");
        }
        String e164 = cc + national;
        count(Ops.MIGRATE, e164);
        Scenario sc = scenarioOfNumber(national, e164, dest);
        Reply limited = rateLimitedOnce(sc, wabaId);
        if (limited != null) {
            return limited;
        }
        NumberState n = number(e164);
        if (sc.pattern() == 1006 && !n.twoStepDisabled) {
            return error(400, 100, null, "OAuthException", "(#100) Invalid parameter", "Two-step authentication enabled",
                    "Two-step authentication must be disabled for this phone number.", null, null);
        }
        boolean notSubscribed = dest.kind == WabaKind.INTENT_DESTINATION ? !dest.subscribed
                : sc.pattern() == 1010 && !dest.explicitlySubscribed;
        if (notSubscribed) {
            return error(400, 100, 2388103, "OAuthException", "(#100) Invalid parameter", "Cannot migrate phone number.",
                    "Cannot migrate phone number.", null, null);
        }
        for (Phone p : phones.values()) {
            if (p.wabaId.equals(dest.id) && p.e164.equals(e164)) {
                return alreadyInDestination();
            }
        }
        Phone p = new Phone(nextId(), dest.id, cc, national);
        Phone src = sourcePhone(e164);
        p.displayPhoneNumber = req.params.getOrDefault("display_phone_number",
                src != null ? src.displayPhoneNumber : "+" + cc + " " + national);
        p.verifiedName = req.params.getOrDefault("verified_name", src != null ? src.verifiedName : "Sandbox Business");
        p.status = "PENDING";
        p.flowA = dest.kind == WabaKind.INTENT_DESTINATION;
        p.codeVerificationStatus = p.flowA ? "VERIFIED" : "NOT_VERIFIED";
        phones.put(p.id, p);
        if (sc.pattern() == 1004) {
            return alreadyInDestination(); // an earlier attempt went through: the number is already there
        }
        return json(200, obj().put("id", p.id));
    }

    private Reply requestCode(Request req, String phoneId, Auth auth) {
        Phone p = phones.get(phoneId);
        if (p == null || p.source) {
            return noSuchObject(phoneId);
        }
        count(Ops.REQUEST_CODE, p.e164);
        Reply denied = needsBusinessToken(wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        Scenario sc = scenario(p);
        Reply limited = rateLimitedOnce(sc, phoneId);
        if (limited != null) {
            return limited;
        }
        String method = req.params.getOrDefault("code_method", "").toUpperCase(Locale.ROOT);
        if (!method.equals("SMS") && !method.equals("VOICE")) {
            return invalidParameter("(#100) Param code_method must be one of {SMS, VOICE}", "code_method must be SMS or VOICE");
        }
        if (req.params.getOrDefault("language", "").isBlank()) {
            return invalidParameter("(#100) The parameter language is required", "language is required, e.g. en_US");
        }
        if (sc.pattern() == 1011 && firedOnce.add("1011|" + sc.key())) {
            return error(400, 100, 2388091, "OAuthException", "(#100) Invalid parameter", "Too many code requests",
                    "You have requested a code too many times. Please wait 1 hour before trying again.", null, null);
        }
        p.pendingCode = String.format("%06d", ThreadLocalRandom.current().nextInt(1_000_000));
        return json(200, obj().put("success", true));
    }

    private Reply verifyCode(Request req, String phoneId, Auth auth) {
        Phone p = phones.get(phoneId);
        if (p == null || p.source) {
            return noSuchObject(phoneId);
        }
        count(Ops.VERIFY_CODE, p.e164);
        Reply denied = needsBusinessToken(wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        Reply limited = rateLimitedOnce(scenario(p), phoneId);
        if (limited != null) {
            return limited;
        }
        String code = req.params.getOrDefault("code", "");
        if (!code.matches("\\d{6}")) {
            return invalidParameter("(#100) Invalid parameter", "code must be 6 digits");
        }
        if (p.pendingCode == null || !p.pendingCode.equals(code)) {
            return error(400, 136025, null, "OAuthException", "(#136025) Code couldn't be verified",
                    "Code couldn't be verified", "The verification code is incorrect or was not requested.", null, null);
        }
        p.pendingCode = null;
        p.codeVerificationStatus = "VERIFIED";
        return json(200, obj().put("success", true));
    }

    private Reply register(Request req, String phoneId, Auth auth, boolean deregister) {
        Phone p = phones.get(phoneId);
        if (p == null || p.source) {
            return noSuchObject(phoneId);
        }
        String op = deregister ? Ops.DEREGISTER : Ops.REGISTER;
        count(op, p.e164);
        Reply denied = needsBusinessToken(wabas.get(p.wabaId), auth);
        if (denied != null) {
            return denied;
        }
        Scenario sc = scenario(p);
        Reply limited = rateLimitedOnce(sc, phoneId);
        if (limited != null) {
            return limited;
        }
        if (!deregister && !"whatsapp".equals(req.params.get("messaging_product"))) {
            return invalidParameter("(#100) The parameter messaging_product is required.", "messaging_product must be whatsapp");
        }
        String pin = req.params.getOrDefault("pin", "");
        if (!deregister && !pin.matches("\\d{6}")) {
            return invalidParameter("(#100) Invalid parameter", "pin must be a 6-digit string");
        }
        NumberState n = number(p.e164);
        Instant now = config.clock().instant();
        if (n.lockedUntil != null && now.isBefore(n.lockedUntil)) {
            return budgetExhausted();
        }
        Instant windowStart = now.minus(config.registerWindow());
        n.budgetCalls.removeIf(t -> !t.isAfter(windowStart));
        if (n.budgetCalls.size() >= config.registerLimit()) {
            n.lockedUntil = now.plus(config.registerWindow());
            return budgetExhausted();
        }
        n.budgetCalls.add(now);
        if (deregister) {
            p.status = "DISCONNECTED";
            return json(200, obj().put("success", true));
        }
        if (sc.pattern() == 1008 && n.failures < 2) {
            n.failures++;
            if (n.failures == 1) {
                return new Reply(503, "text/html; charset=utf-8",
                        "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>",
                        Map.of(), false);
            }
            return error(500, 2, null, "OAuthException", "(#2) Service temporarily unavailable", null, null, null, true);
        }
        if (!p.flowA && !"VERIFIED".equals(p.codeVerificationStatus)) {
            return error(400, 133006, null, "OAuthException", "(#133006) Phone number needs to be verified before registering",
                    "Phone number re-verification needed", "Verify the phone number with request_code and verify_code first.",
                    "Phone number needs to be verified before registering", null);
        }
        boolean mismatch = n.pin != null ? !n.pin.equals(pin) : sc.pattern() == 1003;
        if (mismatch) {
            return error(400, 133005, null, "OAuthException", "(#133005) Two step verification PIN Mismatch",
                    "Two step verification PIN Mismatch", "The two-step verification PIN is incorrect.",
                    "Two step verification PIN Mismatch", null);
        }
        n.pin = pin;
        p.status = "CONNECTED";
        Phone src = sourcePhone(p.e164);
        if (src != null) {
            src.status = "MIGRATED";
        }
        return json(200, obj().put("success", true));
    }

    // ---- scripted patterns ------------------------------------------------------------------------------

    private static int patternOf(String digits) {
        if (digits == null || digits.length() < 4) {
            return 0;
        }
        String last = digits.substring(digits.length() - 4);
        if (!last.matches("\\d{4}")) {
            return 0;
        }
        int p = Integer.parseInt(last);
        return PATTERNS.contains(p) ? p : 0;
    }

    private Scenario scenarioOfId(String id) {
        int p = patternOf(id);
        return p == 0 ? Scenario.NONE : new Scenario(p, id);
    }

    /** A WABA's scenario: its source WABA's id, else a number seeded there, else its own id. */
    private Scenario scenario(Waba w) {
        if (w == null) {
            return Scenario.NONE;
        }
        Waba source = w.linkedSource != null ? wabas.getOrDefault(w.linkedSource, w) : w;
        Scenario s = scenarioOfId(source.id);
        if (s.pattern() != 0) {
            return s;
        }
        for (Phone p : phones.values()) {
            if (p.source && p.wabaId.equals(source.id) && patternOf(p.national) != 0) {
                return new Scenario(patternOf(p.national), p.e164);
            }
        }
        return source == w ? Scenario.NONE : scenarioOfId(w.id);
    }

    private Scenario scenarioOfNumber(String national, String e164, Waba waba) {
        int p = patternOf(national);
        return p != 0 ? new Scenario(p, e164) : scenario(waba);
    }

    private Scenario scenario(Phone p) {
        return scenarioOfNumber(p.national, p.e164, wabas.get(p.wabaId));
    }

    private Reply rateLimitedOnce(Scenario sc, String objectId) {
        if (sc.pattern() != 1005 || !firedOnce.add("1005|" + sc.key())) {
            return null;
        }
        int eta = config.rateLimitRegainMinutes();
        String buc = "{\"" + objectId + "\":[{\"type\":\"whatsapp_business_management\",\"call_count\":100,"
                + "\"total_cputime\":20,\"total_time\":35,\"estimated_time_to_regain_access\":" + eta + "}]}";
        Reply r = error(400, 80007, null, "OAuthException", "(#80007) Rate limit issues",
                "Rate limit hit", "There have been too many calls to this WhatsApp Business account. Wait a bit and try again.",
                "Rate limit hit for WhatsApp Business Account " + objectId, null);
        return new Reply(r.status(), r.contentType(), r.body(), Map.of("X-Business-Use-Case-Usage", buc), false);
    }

    private Reply needsBusinessToken(Waba w, Auth auth) {
        if (w != null && w.kind == WabaKind.INTENT_DESTINATION && auth != Auth.BUSINESS) {
            return error(403, 200, null, "OAuthException", "(#200) Permissions error", "Permissions error",
                    "The customer's WhatsApp Business Account needs the business token from system_user_access_tokens.",
                    null, null);
        }
        return null;
    }

    // ---- error bodies ------------------------------------------------------------------------------

    private Reply error(int http, int code, Integer subcode, String type, String message, String userTitle,
                        String userMsg, String details, Boolean isTransient) {
        ObjectNode root = obj();
        ObjectNode e = root.putObject("error");
        e.put("message", message);
        e.put("type", type);
        e.put("code", code);
        if (subcode != null) {
            e.put("error_subcode", subcode);
        }
        if (isTransient != null) {
            e.put("is_transient", isTransient);
        }
        if (userTitle != null) {
            e.put("error_user_title", userTitle);
        }
        if (userMsg != null) {
            e.put("error_user_msg", userMsg);
        }
        if (details != null) {
            e.putObject("error_data").put("messaging_product", "whatsapp").put("details", details);
        }
        e.put("fbtrace_id", traceId());
        Map<String, String> headers = code == 190 || code == 104
                ? Map.of("WWW-Authenticate", "OAuth \"Facebook Platform\" \"invalid_token\" \"" + message + "\"")
                : Map.of();
        return new Reply(http, "application/json; charset=UTF-8", root.toString(), headers, false);
    }

    private Reply invalidParameter(String message, String details) {
        return error(400, 100, null, "OAuthException", message.startsWith("(#") ? message : "(#100) " + message,
                null, null, "sandbox: " + details, null);
    }

    private Reply noSuchObject(String id) {
        return error(400, 100, 33, "GraphMethodException", "Unsupported post request. Object with ID '" + id
                + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation. "
                + "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
                null, null, null, null);
    }

    private Reply sessionExpired() {
        return error(401, 190, 463, "OAuthException",
                "Error validating access token: Session has expired on Tuesday, 01-Jan-30 00:00:00 PST. The current time is later.",
                null, null, null, null);
    }

    private Reply alreadyInDestination() {
        return error(400, 100, 2388012, "OAuthException", "(#100) Invalid parameter", "Phone number already exists",
                "This phone number is already registered to your WhatsApp Business Account.", null, null);
    }

    private Reply budgetExhausted() {
        return error(400, 133016, null, "OAuthException",
                "(#133016) Account register deregister rate limit exceeded", "Rate limit exceeded",
                "Registration or deregistration failed because there were too many attempts for this phone number in a short period of time.",
                "Too many register/deregister attempts. Try again in 72 hours.", null);
    }

    // ---- control endpoints -------------------------------------------------------------------------

    private Reply control(Request req) {
        List<String> s = req.segments;
        String m = req.method;
        if (m.equals("GET") && s.size() == 1 && s.get(0).equals("stats")) {
            ObjectNode out = obj();
            out.set("calls", JSON.valueToTree(stats()));
            out.put("held", heldCount());
            return json(200, out);
        }
        if (m.equals("GET") && s.size() == 2 && s.get(0).equals("codes")) {
            Optional<String> code = verificationCode(s.get(1));
            return code.map(c -> json(200, obj().put("phone_number_id", s.get(1)).put("code", c)))
                    .orElseGet(() -> json(404, obj().put("error", "no code requested for " + s.get(1))));
        }
        if (m.equals("POST") && s.size() == 3 && s.get(0).equals("intents")
                && (s.get(2).equals("accept") || s.get(2).equals("reject"))) {
            boolean ok = s.get(2).equals("accept") ? acceptIntent(s.get(1)) : rejectIntent(s.get(1));
            if (!ok) {
                return json(404, obj().put("error", "unknown intent " + s.get(1)));
            }
            synchronized (lock) {
                return json(200, obj().put("id", s.get(1)).put("status", intents.get(s.get(1)).status));
            }
        }
        if (m.equals("POST") && s.size() == 1 && s.get(0).equals("release")) {
            return json(200, obj().put("released", release()));
        }
        if (m.equals("POST") && s.size() == 1 && s.get(0).equals("reset")) {
            reset();
            return json(200, obj().put("success", true));
        }
        if (m.equals("POST") && s.size() == 1 && s.get(0).equals("usage")) {
            setAppUsagePercent(Integer.parseInt(req.params.getOrDefault("percent", "0")));
            return json(200, obj().put("percent", appUsagePercent));
        }
        if (m.equals("POST") && s.size() == 1 && s.get(0).equals("latency")) {
            setLatency(Duration.ofMillis(Long.parseLong(req.params.getOrDefault("ms", "0"))));
            return json(200, obj().put("ms", latency.toMillis()));
        }
        if (m.equals("POST") && s.size() == 1 && s.get(0).equals("numbers")) {
            String waba = req.params.get("waba_id");
            String cc = req.params.get("cc");
            String national = req.params.get("phone_number");
            if (waba == null || cc == null || national == null) {
                return json(400, obj().put("error", "waba_id, cc and phone_number are required"));
            }
            return json(200, obj().put("id", addSourceNumber(waba, cc, national, req.params.get("verified_name"))));
        }
        if (s.size() >= 2 && s.get(0).equals("numbers")) {
            String e164 = digits(s.get(1));
            if (m.equals("GET") && s.size() == 2) {
                synchronized (lock) {
                    ObjectNode out = obj();
                    ArrayNode data = out.putArray("data");
                    Set<String> all = Set.of("id", "display_phone_number", "verified_name", "status",
                            "code_verification_status", "waba_id");
                    phones.values().stream().filter(p -> p.e164.equals(e164)).forEach(p -> data.add(phoneJson(p, all)));
                    NumberState n = numbers.get(e164);
                    out.put("register_calls_in_window", n == null ? 0 : n.budgetCalls.size());
                    out.put("two_step_disabled", n != null && n.twoStepDisabled);
                    return json(200, out);
                }
            }
            if (m.equals("POST") && s.size() == 3 && s.get(2).equals("disable-two-step")) {
                disableTwoStep(e164);
                return json(200, obj().put("success", true));
            }
            if (m.equals("POST") && s.size() == 3 && s.get(2).equals("pin")) {
                setPin(e164, req.params.get("pin"));
                return json(200, obj().put("success", true));
            }
        }
        return json(404, obj().put("error", "unknown sandbox control endpoint " + m + " /" + String.join("/", s)));
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private ObjectNode phoneJson(Phone p, Set<String> fields) {
        ObjectNode o = obj().put("id", p.id);
        Map<String, Supplier<String>> values = Map.of(
                "display_phone_number", () -> p.displayPhoneNumber,
                "verified_name", () -> p.verifiedName,
                "status", () -> p.status,
                "code_verification_status", () -> p.codeVerificationStatus,
                "quality_rating", () -> "GREEN",
                "name_status", () -> "APPROVED",
                "platform_type", () -> "CLOUD_API",
                "waba_id", () -> p.wabaId);
        for (String f : fields) {
            Supplier<String> v = values.get(f);
            if (v != null) {
                o.put(f, v.get());
            }
        }
        return o;
    }

    private Phone sourcePhone(String e164) {
        for (Phone p : phones.values()) {
            if (p.source && p.e164.equals(e164)) {
                return p;
            }
        }
        return null;
    }

    private NumberState number(String e164) {
        return numbers.computeIfAbsent(e164, k -> new NumberState());
    }

    /** Top-level names of a Graph {@code fields} list ({@code a,b{c,d},e} → a, b, e); defaults when absent. */
    private static Set<String> fields(String spec, String... defaults) {
        Set<String> out = new LinkedHashSet<>();
        if (spec == null || spec.isBlank()) {
            out.addAll(List.of(defaults));
            return out;
        }
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char c : spec.toCharArray()) {
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(cur.toString().trim());
                cur.setLength(0);
            } else if (depth == 0) {
                cur.append(c);
            }
        }
        out.add(cur.toString().trim());
        out.add("id");
        out.remove("");
        return out;
    }

    private void count(String op, String key) {
        Map<String, AtomicInteger> byKey = counters.computeIfAbsent(op, k -> new ConcurrentHashMap<>());
        byKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String a = authorization.trim();
        if (a.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String t = a.substring(7).trim();
            return t.isEmpty() ? null : t;
        }
        return null;
    }

    private static void parseForm(String raw, Map<String, String> into) {
        if (raw == null || raw.isBlank()) {
            return;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            into.put(k, v);
        }
    }

    private static void parseBody(String contentType, byte[] body, Map<String, String> into) throws IOException {
        if (body.length == 0) {
            return;
        }
        String text = new String(body, StandardCharsets.UTF_8).trim();
        boolean json = (contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json"))
                || text.startsWith("{");
        if (json) {
            JsonNode node = JSON.readTree(text);
            if (node != null && node.isObject()) {
                node.fields().forEachRemaining(e -> into.put(e.getKey(),
                        e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
            }
        } else {
            parseForm(text, into);
        }
    }

    private static Reply json(int status, JsonNode body) {
        return new Reply(status, "application/json; charset=UTF-8", body.toString(), Map.of(), false);
    }

    private static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    /** A number's digits ("+1 650-555-0101" → "16505550101"); an id stays as it is. */
    private static String digitsOrId(String key) {
        return key.startsWith("+") ? digits(key) : key;
    }

    private static String digits(String s) {
        return s == null ? "" : s.replaceAll("\\D", "");
    }

    private String nextId() {
        return String.valueOf(ids.incrementAndGet());
    }

    private String namespace() {
        return random(8).toLowerCase(Locale.ROOT) + "_" + random(4).toLowerCase(Locale.ROOT);
    }

    private String traceId() {
        return "A" + random(22);
    }

    private static String random(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(ALNUM.charAt(ThreadLocalRandom.current().nextInt(ALNUM.length())));
        }
        return sb.toString();
    }
}
