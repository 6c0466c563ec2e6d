package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.engine.StepOutcomeException;
import dev.wabamigrator.engine.CallOutcomeUnknownException;
import dev.wabamigrator.engine.TransientProviderException;
import dev.wabamigrator.provider.RequestHeaders;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.AutoFix;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.Kind;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the route segment {@code meta-graph-call} (bean {@code graphRequests}) needs around the one Graph API call it
 * sends; this class sends nothing itself. Whether the call may go now ({@link #admit}: usage pauses that are too
 * long for the route, and the persisted register budget), how long to hold it in the route ({@link #pace}), the
 * request ({@link #prepare}: path with the API version, bearer token, JSON body, {@code appsecret_proof} for the
 * token fetch) and the classification of the answer ({@link #classify}).
 * A transient failure is thrown, so the step's error handler repeats the whole call.
 *
 * <p>Usage headers ({@code X-App-Usage}, {@code X-Business-Use-Case-Usage}) of every answer set a pause for the
 * app and for each business object they name; the next call to that app or object waits it out, so the calls
 * slow down before Meta refuses.
 */
public final class GraphRequests {
    private static final Logger LOG = LoggerFactory.getLogger(GraphRequests.class);

    /** The migration's secret that holds the customer's business token (META_MPS). */
    public static final String BUSINESS_TOKEN = "businessToken";
    /** Exchange property: the register attempt recorded for this call. */
    static final String ATTEMPT_PROPERTY = "graphRegisterAttempt";
    /** Exchange property: the {@code after} cursor of the next page of a {@code phone_numbers} list, when paging. */
    public static final String PAGE_AFTER = "graphPageAfter";
    /** Exchange property: whether this call carried the business token (never the token itself). */
    static final String BUSINESS_TOKEN_USED = "graphBusinessTokenUsed";
    /** Exchange property: the JSON body a step built itself for its call (migrate_message_templates). */
    public static final String REQUEST_BODY = "graphRequestBody";
    private static final String APP_KEY = "app";
    private static final String NUMBER_FIELDS = "id,display_phone_number,status";
    private static final String INTENT_FIELDS = "id,status,destination_waba,solution,waba";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The Graph API settings: version path segment and the project's app credentials. */
    public record Api(String version, String appId, String systemToken, String appSecret) {
        @Override
        public String toString() {
            return "Api[" + version + " app " + appId + "]";
        }
    }

    /** Usage pacing: how long a pause may last in the route, and the longest wait taken from Meta's estimates. */
    public record Pacing(UsageHeaders usageHeaders, Duration maxInRoutePause, Duration maxRegainWait) {
    }

    private record Pause(Instant until, int percent) {
    }

    private final Api api;
    private final MetaErrorClassifier classifier;
    private final Pacing pacing;
    private final RegisterAttempts registerAttempts;
    private final CodeWait codeWait;
    private final Clock clock;
    private final Map<String, Pause> pauses = new ConcurrentHashMap<>();

    public GraphRequests(Api api, MetaErrorClassifier classifier, Pacing pacing, RegisterAttempts registerAttempts,
                         CodeWait codeWait, Clock clock) {
        this.api = api;
        this.classifier = classifier;
        this.pacing = pacing;
        this.registerAttempts = registerAttempts;
        this.codeWait = codeWait;
        this.clock = clock;
    }

    /**
     * Whether the call may be sent now; when not, throws a {@link StepOutcomeException} with the outcome to record
     * instead of calling (the step's error handler records it). A usage pause longer than the route may hold parks
     * the migration until it ends; a register call must fit the budget (and is recorded here, right before it is
     * sent, on every attempt and redelivery).
     */
    public void admit(Exchange exchange, Migration m) {
        exchange.removeProperty(ATTEMPT_PROPERTY);
        StepOutcome heldBack = heldBack(exchange, m);
        if (heldBack != null) {
            throw new StepOutcomeException(heldBack);
        }
    }

    private StepOutcome heldBack(Exchange exchange, Migration m) {
        GraphCall call = call(exchange);
        Instant now = clock.instant();
        Pause pause = pauseFor(keys(call, m), now);
        if (pause != null && Duration.between(now, pause.until()).compareTo(pacing.maxInRoutePause()) > 0) {
            Duration wait = Duration.between(now, pause.until());
            return new StepOutcome.RetryLater(new ProviderError(MetaErrorClassifier.PROVIDER, "USAGE_PAUSE",
                    "Graph usage reached " + pause.percent() + "% (X-App-Usage / X-Business-Use-Case-Usage): no "
                    + "call before " + pause.until() + ", so Meta does not have to refuse it", ErrorClass.RATE_LIMITED,
                    wait, null), pause.until());
        }
        if (call == GraphCall.REGISTER) {
            RegisterAttempts.Admission admission = registerAttempts.admit(m.getPhoneE164(), m.getMigrationId(),
                    RegisterAttempts.REGISTER);
            if (!admission.allowed()) {
                return refused(m, admission);
            }
            exchange.setProperty(ATTEMPT_PROPERTY, admission.attemptId());
        }
        return null;
    }

    /** Milliseconds to hold this call in the route (non-blocking) while usage is high; 0 to send at once. */
    public long pace(Exchange exchange) {
        Migration m = exchange.getProperty("migration", Migration.class);
        Instant now = clock.instant();
        Pause pause = pauseFor(keys(call(exchange), m), now);
        return pause == null ? 0 : Math.max(0, Duration.between(now, pause.until()).toMillis());
    }

    /** True when this call changes something each time it is sent: it is recorded before it goes out. */
    public boolean notSafeToRepeat(Exchange exchange) {
        return !call(exchange).safeToRepeat();
    }

    /** Builds the request on the exchange: method, path, query, bearer token and JSON body. */
    public void prepare(Exchange exchange, Migration m) {
        GraphCall call = call(exchange);
        Message message = exchange.getMessage();
        RequestHeaders.keepOnlyRedeliveryCounters(message);
        Map<String, String> query = query(call);
        String after = exchange.getProperty(PAGE_AFTER, String.class);
        if (after != null && (call == GraphCall.LIST_SOURCE_NUMBERS || call == GraphCall.LIST_DESTINATION_NUMBERS
                || call == GraphCall.PREFLIGHT_SOURCE_NUMBERS || call == GraphCall.LIST_SOURCE_TEMPLATES
                || call == GraphCall.LIST_DESTINATION_TEMPLATES)) {
            query.put("after", after); // the cursor, not paging.next: that URL carries the token in its query
        }
        String body = call == GraphCall.MIGRATE_TEMPLATES ? exchange.getProperty(REQUEST_BODY, String.class)
                : body(call, m);
        message.setHeader(Exchange.HTTP_METHOD, call.method());
        message.setHeader(Exchange.HTTP_PATH, path(call, m));
        if (query.isEmpty()) {
            message.removeHeader(Exchange.HTTP_QUERY);
        } else {
            message.setHeader(Exchange.HTTP_QUERY, query.entrySet().stream()
                    .map(e -> encode(e.getKey()) + "=" + encode(e.getValue())).collect(Collectors.joining("&")));
        }
        message.setHeader("Authorization", "Bearer " + token(call, m));
        message.setHeader("Accept", "application/json");
        if (body != null) {
            message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        }
        exchange.setProperty(BUSINESS_TOKEN_USED, usesBusinessToken(call, m));
        message.setBody(body);
    }

    /**
     * Classifies the answer and notes its usage headers. A transient failure is thrown: a call that is safe to repeat
     * is then redelivered; one that is not ({@link Migration#isCallInFlight()}) is read back on the next run when the
     * answer leaves its effect unknown ({@link MetaErrorClassifier#leavesEffectUnknown}), and that send is counted
     * ({@link SendsInDoubt}). Graph's "at most N tries" (1, 131000) asks a person once N tries got that answer.
     */
    public GraphResult classify(Exchange exchange) {
        Message message = exchange.getMessage();
        message.removeHeader("Authorization");
        GraphCall call = call(exchange);
        Migration m = exchange.getProperty("migration", Migration.class);
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        String body = message.getBody(String.class);
        String appUsage = message.getHeader(UsageHeaders.APP_USAGE, String.class);
        String businessUsage = message.getHeader(UsageHeaders.BUSINESS_USE_CASE_USAGE, String.class);
        notePauses(appUsage, businessUsage, m);
        Duration eta = UsageHeaders.parse(null, businessUsage).timeToRegainAccess();
        MetaErrorClassifier.Result result = capWait(classifier.classify(call, status, body, eta));
        JsonNode json = parse(body);
        if (result.isSuccess() && (json == null || !json.isObject())) {
            result = malformed(status);
        }
        String attemptId = exchange.getProperty(ATTEMPT_PROPERTY, String.class);
        if (attemptId != null) {
            registerAttempts.recordOutcome(attemptId, result.isSuccess() ? RegisterAttempts.OK : result.error().code());
            exchange.removeProperty(ATTEMPT_PROPERTY);
        }
        boolean inFlight = m != null && m.isCallInFlight();
        if (inFlight && MetaErrorClassifier.leavesEffectUnknown(result)) {
            // Graph may have acted on the call before failing: counted, read back on the next run, never resent blindly
            SendsInDoubt.of(m).plusOne(result.error()).keep(m);
            throw new CallOutcomeUnknownException(result.error());
        }
        if (m != null && !inFlight && triesUsedUp(exchange, m, result)) {
            result = triesUsedUp(result, call);
        }
        GraphResult answer = new GraphResult(call, status, json, result,
                Boolean.TRUE.equals(exchange.getProperty(BUSINESS_TOKEN_USED, Boolean.class)));
        if (inFlight) {
            SendsInDoubt.forget(m); // a definite answer: nothing of this call is in doubt any more
        }
        if (m != null) {
            m.callAnswered();
        }
        if (result.isFailure() && result.error().errorClass() == ErrorClass.TRANSIENT) {
            throw new TransientProviderException(result.error()); // safe to send again: redelivered
        }
        return answer;
    }

    /**
     * A call that is safe to repeat got an answer whose row allows only so many tries (1 and 131000: 3): this run's
     * sends (redeliveries) plus the step's earlier parked runs reached it.
     */
    private static boolean triesUsedUp(Exchange exchange, Migration m, MetaErrorClassifier.Result result) {
        if (!result.isFailure() || result.maxAttempts() == null || result.error().errorClass() != ErrorClass.TRANSIENT) {
            return false;
        }
        int tries = exchange.getMessage().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class) + 1 + m.getAttempt();
        return tries >= result.maxAttempts();
    }

    private static MetaErrorClassifier.Result triesUsedUp(MetaErrorClassifier.Result result, GraphCall call) {
        ProviderError error = result.error();
        String request = call.method() + " " + (call.edge() == null ? "/{id}" : "/{id}/" + call.edge());
        String reason = "Graph answered " + error.code() + " to " + request + " " + result.maxAttempts()
                + " times; Meta allows at most " + result.maxAttempts() + " tries. Give Meta support the fbtrace_id "
                + error.traceId() + ", then send ResumeMigration";
        return new MetaErrorClassifier.Result(result.kind(), new ProviderError(error.provider(), error.code(), reason,
                ErrorClass.NEEDS_HUMAN, null, error.traceId()), result.autoFix(), result.blocksRegister(),
                result.maxAttempts(), result.rule(), result.action());
    }

    /** hex HMAC-SHA256(key = app secret, data = token): Graph's {@code appsecret_proof}. */
    public static String appSecretProof(String appSecret, String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(appSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(token.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** The destination WABA: from the accepted intent (META_MPS), else from the command (META_CLASSIC). */
    public static String destinationWaba(Migration m) {
        String fromIntent = m.result("destinationWabaId");
        return fromIntent != null ? fromIntent : m.param("meta.destinationWabaId");
    }

    private static boolean usesBusinessToken(GraphCall call, Migration m) {
        return call.token() == GraphCall.Token.BUSINESS && m.hasSecret(BUSINESS_TOKEN);
    }

    private String token(GraphCall call, Migration m) {
        return usesBusinessToken(call, m) ? m.secret(BUSINESS_TOKEN) : api.systemToken();
    }

    private String path(GraphCall call, Migration m) {
        String id = objectId(call, m);
        if (id == null || id.isBlank()) {
            throw new IllegalStateException("migration " + m.getMigrationId() + " has no object id for " + call);
        }
        return "/" + api.version() + "/" + encode(id) + (call.edge() == null ? "" : "/" + call.edge());
    }

    private static String objectId(GraphCall call, Migration m) {
        return switch (call) {
            case TAG_INTENT, LIST_SOURCE_NUMBERS, PREFLIGHT_SOURCE_WABA, PREFLIGHT_SOURCE_NUMBERS,
                    LIST_SOURCE_TEMPLATES ->
                    m.param("meta.sourceWabaId");
            case GET_INTENT -> m.result("intentId");
            case FETCH_BUSINESS_TOKEN -> m.param("meta.businessPortfolioId");
            case SUBSCRIBE_APPS, MIGRATE_NUMBER, LIST_DESTINATION_NUMBERS, PREFLIGHT_DESTINATION_WABA,
                    PREFLIGHT_SUBSCRIBED_APPS, LIST_DESTINATION_TEMPLATES, MIGRATE_TEMPLATES -> destinationWaba(m);
            case REQUEST_CODE, VERIFY_CODE, REGISTER, GET_PHONE_NUMBER, GET_VERIFICATION_STATUS ->
                    m.result("phoneNumberId");
        };
    }

    private Map<String, String> query(GraphCall call) {
        Map<String, String> query = new LinkedHashMap<>();
        switch (call) {
            case GET_INTENT -> query.put("fields", INTENT_FIELDS);
            case LIST_SOURCE_NUMBERS, LIST_DESTINATION_NUMBERS, GET_PHONE_NUMBER -> query.put("fields", NUMBER_FIELDS);
            case GET_VERIFICATION_STATUS -> query.put("fields", "id,code_verification_status");
            case PREFLIGHT_SOURCE_WABA -> query.put("fields", MetaPreflight.SOURCE_WABA_FIELDS);
            case PREFLIGHT_DESTINATION_WABA -> query.put("fields", MetaPreflight.DESTINATION_WABA_FIELDS);
            case PREFLIGHT_SOURCE_NUMBERS -> query.put("fields", MetaPreflight.NUMBER_FIELDS);
            case LIST_SOURCE_TEMPLATES, LIST_DESTINATION_TEMPLATES -> {
                query.put("fields", MetaTemplates.FIELDS);
                query.put("limit", String.valueOf(MetaTemplates.PAGE_LIMIT));
            }
            case FETCH_BUSINESS_TOKEN -> {
                query.put("appsecret_proof", appSecretProof(api.appSecret(), api.systemToken()));
                query.put("fetch_only", "true");
            }
            default -> { }
        }
        return query;
    }

    private String body(GraphCall call, Migration m) {
        ObjectNode body = JSON.createObjectNode();
        switch (call) {
            case TAG_INTENT -> body.put("app_id", api.appId());
            case MIGRATE_NUMBER -> body.put("migrate_phone_number", true)
                    .put("cc", m.getCountryCode())
                    .put("phone_number", m.getNationalNumber())
                    .put("display_phone_number", m.param("meta.displayPhoneNumber"))
                    .put("verified_name", m.param("meta.verifiedName"));
            case REQUEST_CODE -> body.put("code_method", m.param("meta.codeMethod", "SMS"))
                    .put("language", m.param("meta.language", "en_US"));
            case VERIFY_CODE -> body.put("code", codeWait.code(m));
            case REGISTER -> body.put("messaging_product", "whatsapp").put("pin", m.secret("pin"));
            default -> {
                return null;
            }
        }
        return body.toString();
    }

    // ---- usage pauses -------------------------------------------------------------------------------------

    /** The pause keys of a call: the app, the object it addresses and the migration's WABAs. */
    private static List<String> keys(GraphCall call, Migration m) {
        List<String> keys = new ArrayList<>(4);
        keys.add(APP_KEY);
        if (m != null) {
            keys.add(objectId(call, m));
            keys.add(m.param("meta.sourceWabaId"));
            keys.add(destinationWaba(m));
        }
        keys.removeIf(Objects::isNull);
        return keys;
    }

    private Pause pauseFor(List<String> keys, Instant now) {
        Pause longest = null;
        for (String key : keys) {
            Pause pause = pauses.get(key);
            if (pause != null && pause.until().isAfter(now) && (longest == null || pause.until().isAfter(longest.until()))) {
                longest = pause;
            }
        }
        return longest;
    }

    private void notePauses(String appUsage, String businessUsage, Migration m) {
        Instant now = clock.instant();
        UsageHeaders.Usage app = UsageHeaders.parse(appUsage, null);
        pause(APP_KEY, app, now);
        UsageHeaders.Usage business = UsageHeaders.parse(null, businessUsage);
        if (business.maxPercent() > 0 || business.timeToRegainAccess() != null) {
            for (String objectId : objectIds(businessUsage)) {
                pause(objectId, business, now);
            }
        }
        if (app.maxPercent() >= pacing.usageHeaders().slowDownAtPercent() && m != null) {
            LOG.debug("migration {}: Graph app usage at {}%, next calls are spaced out", m.getMigrationId(),
                    app.maxPercent());
        }
    }

    private void pause(String key, UsageHeaders.Usage usage, Instant now) {
        Duration wait = min(pacing.usageHeaders().pauseBeforeNextCall(usage), pacing.maxRegainWait());
        if (wait.isZero() || wait.isNegative()) {
            return;
        }
        Pause pause = new Pause(now.plus(wait), usage.maxPercent());
        pauses.merge(key, pause, (old, fresh) -> fresh.until().isAfter(old.until()) ? fresh : old);
    }

    private static List<String> objectIds(String businessUsage) {
        JsonNode node = parse(businessUsage);
        List<String> ids = new ArrayList<>();
        if (node != null && node.isObject()) {
            node.fieldNames().forEachRemaining(ids::add);
        }
        return ids;
    }

    // ---- classification helpers ---------------------------------------------------------------------------

    /** Meta's estimate may be long; no rate-limit wait exceeds the configured cap (documented windows excepted). */
    private MetaErrorClassifier.Result capWait(MetaErrorClassifier.Result result) {
        ProviderError error = result.error();
        if (result.isFailure() && "rate-limit".equals(result.rule()) && error.retryAfter() != null
                && error.retryAfter().compareTo(pacing.maxRegainWait()) > 0) {
            ProviderError capped = new ProviderError(error.provider(), error.code(), error.message(), error.errorClass(),
                    pacing.maxRegainWait(), error.traceId());
            return new MetaErrorClassifier.Result(result.kind(), capped, result.autoFix(), result.blocksRegister(),
                    result.maxAttempts(), result.rule(), result.action());
        }
        return result;
    }

    private static MetaErrorClassifier.Result malformed(int status) {
        ProviderError error = new ProviderError(MetaErrorClassifier.PROVIDER, "MALFORMED_RESPONSE", "HTTP " + status
                + " with a body that is not a JSON object (back off and retry)", ErrorClass.TRANSIENT, null, null);
        return new MetaErrorClassifier.Result(Kind.FAILED, error, AutoFix.NONE, false, null, "malformed-body",
                "back off and retry");
    }

    private StepOutcome refused(Migration m, RegisterAttempts.Admission admission) {
        RegisterBudget.Decision d = admission.decision();
        if (admission.lockedUntil() != null) {
            Duration wait = Duration.between(m.now(), admission.lockedUntil());
            return new StepOutcome.RetryLater(new ProviderError(MetaErrorClassifier.PROVIDER, "133016",
                    "register for +" + m.getPhoneE164() + " is locked by Meta (133016: too many register/deregister "
                    + "calls) until " + admission.lockedUntil() + "; no register call before then",
                    ErrorClass.RATE_LIMITED, wait, null), admission.lockedUntil());
        }
        String reason = d.usedInWindow() + " register/deregister calls were made for +" + m.getPhoneE164()
                + " in the last " + registerAttempts.budget().window().toHours() + " h (Meta allows " + d.allowedInWindow()
                + " without a person, and locks the number after its limit): no further register call is made "
                + "automatically. Find out why register keeps failing (PIN, two-step verification), then send "
                + "ResumeMigration after " + admission.nextAllowedAt() + ", when the oldest call leaves the window";
        return new StepOutcome.NeedsHuman(ProviderError.of("engine", "REGISTER_BUDGET", reason, ErrorClass.NEEDS_HUMAN),
                reason);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (Exception e) {
            return null;
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static GraphCall call(Exchange exchange) {
        Object value = exchange.getProperty(GraphCall.PROPERTY);
        if (value instanceof GraphCall call) {
            return call;
        }
        if (value == null) {
            throw new IllegalArgumentException("no Graph call named in exchange property " + GraphCall.PROPERTY);
        }
        return GraphCall.valueOf(value.toString());
    }
}
