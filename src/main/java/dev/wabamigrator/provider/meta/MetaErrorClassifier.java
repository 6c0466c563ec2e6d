package dev.wabamigrator.provider.meta;

import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.ProviderError;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Classifies one Graph API response (or I/O failure) into success, "already done", or a
 * {@link ProviderError} with its {@link ErrorClass}. A pure function: no Camel, no I/O, no state.
 *
 * <p>The whole table of provider-apis.md §2.10 lives in {@link #TABLE}, in match order (first match
 * wins). Rules are matched on code + subcode + message texts ({@code message},
 * {@code error_user_title}, {@code error_user_msg}, {@code error_data.details}) and, for the
 * endpoint-scoped 2388xxx subcodes, on the {@link GraphCall}. After the match:
 * <ul>
 *   <li>{@code is_transient: true} turns a non-retryable class into {@code TRANSIENT}, except for
 *       rules that protect the {@code register} budget ({@link Result#blocksRegister()}), which are
 *       never blind-retried;</li>
 *   <li>{@code retryAfter} comes, in order, from {@code estimated_time_to_regain_access} (passed in,
 *       read from the usage headers), the wait stated in {@code error_data.details} or the messages,
 *       then the documented fixed window (provider-apis.md §2.11).</li>
 * </ul>
 *
 * <p>ProviderError: provider {@code meta}; code {@code "<code>"} or {@code "<code>/<subcode>"}
 * ({@code HTTP_503}, {@code TIMEOUT}, {@code CONNECTION_RESET}, ... when there is no Graph body);
 * traceId = {@code fbtrace_id}; message = Graph text (token-like strings masked) followed by the action.
 */
public final class MetaErrorClassifier {

    public static final String PROVIDER = "meta";

    private static final Duration MAINTENANCE_WAIT = Duration.ofMinutes(5);
    private static final Duration DELETION_WAIT = Duration.ofMinutes(5);
    private static final Duration REGISTER_WINDOW = Duration.ofHours(72);
    private static final Duration CODE_REQUEST_WAIT = Duration.ofHours(1);

    /** A corrective call the orchestrator may make once before retrying (provider-apis.md "auto-fix"). */
    public enum AutoFix {
        NONE,
        /** Re-fetch the business token (§2.2) once; if 190 comes back, ask a human. */
        REFETCH_TOKEN,
        /** {@code POST /<dest>/subscribed_apps}, then retry once. */
        SUBSCRIBE_APPS,
        /** Deregister once, only within the register/deregister budget. */
        DEREGISTER,
        /** Flow B: {@code request_code}/{@code verify_code}. Flow A: park. */
        REQUEST_CODE,
        /** Call {@code register} within the budget. */
        REGISTER
    }

    /** What the call amounted to. */
    public enum Kind {
        /** 2xx. */
        SUCCESS,
        /** The goal is already reached (2388012 on migrate): re-read state and continue. */
        ALREADY_DONE,
        /** A classified failure: see {@link Result#error()}. */
        FAILED
    }

    /**
     * The classification.
     *
     * @param kind           success, already-done, or failed
     * @param error          the classified error; null on SUCCESS, informative on ALREADY_DONE
     * @param autoFix        the corrective call to make once, or NONE
     * @param blocksRegister true when {@code register} must not be called again without a new
     *                       human-supplied PIN or the end of the budget window
     * @param maxAttempts    retry bound the table sets for this row, or null for the configured default
     * @param rule           id of the matched table row (for logs, metrics and tests)
     * @param action         what the orchestrator or a person should do
     */
    public record Result(Kind kind, ProviderError error, AutoFix autoFix, boolean blocksRegister,
                         Integer maxAttempts, String rule, String action) {

        public boolean isSuccess() {
            return kind == Kind.SUCCESS;
        }

        public boolean isAlreadyDone() {
            return kind == Kind.ALREADY_DONE;
        }

        public boolean isFailure() {
            return kind == Kind.FAILED;
        }

        /** The error class, or null when not a failure. */
        public ErrorClass errorClass() {
            return kind == Kind.FAILED ? error.errorClass() : null;
        }
    }

    /** What a rule sees. {@code text} is all message fields lower-cased. */
    public record Ctx(GraphCall call, int httpStatus, GraphError error, String text) {
        boolean code(int... codes) {
            for (int c : codes) {
                if (error.hasCode(c)) {
                    return true;
                }
            }
            return false;
        }

        boolean subcode(int... subcodes) {
            for (int s : subcodes) {
                if (error.hasSubcode(s)) {
                    return true;
                }
            }
            return false;
        }

        boolean says(String... phrases) {
            for (String p : phrases) {
                if (text.contains(p)) {
                    return true;
                }
            }
            return false;
        }

        boolean on(GraphCall... calls) {
            for (GraphCall c : calls) {
                if (call == c) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Where a row's retryAfter comes from. */
    @FunctionalInterface
    public interface Wait {
        Duration of(Ctx ctx, Duration estimatedTimeToRegainAccess);

        Wait NONE = (c, eta) -> null;
        /** {@code estimated_time_to_regain_access}, else the wait stated in the texts, else none (backoff). */
        Wait ESTIMATE_THEN_DETAILS = (c, eta) -> positive(eta) ? eta : statedWait(c.text()).orElse(null);

        /** The wait stated in the texts, else {@code estimated_time_to_regain_access}, else {@code fallback}. */
        static Wait detailsOr(Duration fallback) {
            return (c, eta) -> statedWait(c.text()).orElse(positive(eta) ? eta : fallback);
        }

        /** A documented fixed window. */
        static Wait fixed(Duration d) {
            return (c, eta) -> d;
        }
    }

    /**
     * One row of the classification table.
     *
     * @param id             stable id (appears in {@link Result#rule()})
     * @param row            the provider-apis.md §2.10 row it implements
     * @param when           match predicate
     * @param kind           FAILED, or ALREADY_DONE for 2388012 on migrate
     * @param errorClass     class for FAILED rows
     * @param autoFix        corrective call, or NONE
     * @param waitPolicy     retryAfter policy
     * @param blocksRegister never blind-retry register after this
     * @param maxAttempts    retry bound from the table, or null
     * @param action         what to do
     */
    public record Rule(String id, String row, Predicate<Ctx> when, Kind kind, ErrorClass errorClass,
                       AutoFix autoFix, Wait waitPolicy, boolean blocksRegister, Integer maxAttempts, String action) {
    }

    private static Rule rule(String id, String row, Predicate<Ctx> when, ErrorClass cls, String action) {
        return new Rule(id, row, when, Kind.FAILED, cls, AutoFix.NONE, Wait.NONE, false, null, action);
    }

    private static Rule rule(String id, String row, Predicate<Ctx> when, ErrorClass cls, AutoFix fix, Wait wait,
                             boolean blocksRegister, Integer maxAttempts, String action) {
        return new Rule(id, row, when, Kind.FAILED, cls, fix, wait, blocksRegister, maxAttempts, action);
    }

    /** The calls on which the 2388xxx subcodes speak of the phone number's migration. */
    private static final GraphCall[] PHONE_MIGRATION_CALLS = {
        GraphCall.MIGRATE_NUMBER, GraphCall.REQUEST_CODE, GraphCall.VERIFY_CODE, GraphCall.REGISTER};

    private static boolean migration2388103(Ctx c) {
        return c.subcode(2388103) && c.on(PHONE_MIGRATION_CALLS);
    }

    /** provider-apis.md §2.10, in match order. The one place Graph error semantics are decided. */
    public static final List<Rule> TABLE = List.of(
        // ---- idempotent success -------------------------------------------------------------------
        new Rule("already-in-destination", "(2388012) Number already in destination WABA",
            c -> c.subcode(2388012) && c.on(GraphCall.MIGRATE_NUMBER), Kind.ALREADY_DONE, null, AutoFix.NONE,
            Wait.NONE, false, null, "number already in the destination WABA: re-read phone_numbers and reuse the id"),

        // ---- text-identified blockers (code unconfirmed) ------------------------------------------
        rule("two-step-enabled", "\"Two-step authentication must be disabled for this phone number.\"",
            c -> c.says("two-step authentication must be disabled", "two step authentication must be disabled",
                "two-step verification must be disabled", "two step verification must be disabled"),
            ErrorClass.NEEDS_HUMAN,
            "ask the number owner or the old BSP to disable two-step verification, then resume"),

        // ---- the eight 2388103 variants (migrate), specific texts before the generic one -----------
        rule("2388103-different-business", "(2388103) …belongs to a different Business Manager account.",
            c -> migration2388103(c) && c.says("belongs to a different business manager"), ErrorClass.PERMANENT,
            "cross-business move is not possible with this flow"),
        rule("2388103-no-payment-account", "(2388103) …does not have a payment account.",
            c -> migration2388103(c) && c.says("does not have a payment account", "payment account"),
            ErrorClass.NEEDS_HUMAN, "ask the customer to set up a payment method / credit line on the destination WABA"),
        rule("2388103-messaging-for", "(2388103) 'Messaging For' request must be approved",
            c -> migration2388103(c) && c.says("messaging for"), ErrorClass.NEEDS_HUMAN,
            "ask the customer to approve the 'Messaging For' request"),
        rule("2388103-must-be-approved", "(2388103) …must be approved",
            c -> migration2388103(c) && c.says("must be approved"), ErrorClass.NEEDS_HUMAN,
            "ask for approval of the destination WABA review or the source OBO request"),
        rule("2388103-not-set-up", "(2388103) …not set up correctly.",
            c -> migration2388103(c) && c.says("not set up correctly"), ErrorClass.NEEDS_HUMAN,
            "source OBO or destination WABA not set up correctly: ask for the setup to be completed"),
        rule("2388103-name-not-approved", "(2388103) Registered name should be present and approved.",
            c -> migration2388103(c) && c.says("registered name should be present and approved", "name should be present"),
            ErrorClass.NEEDS_HUMAN, "wait for display-name approval (phone_number_name_update), then resume"),
        rule("2388103-add-number", "(2388103) Please add this phone number in your WhatsApp account",
            c -> migration2388103(c) && c.says("please add this phone number"), ErrorClass.NEEDS_HUMAN,
            "not a migration case: confirm switching to adding the number directly"),
        rule("2388103-try-again", "(2388103) There was an error migrating this phone number.",
            c -> migration2388103(c) && c.says("there was an error migrating this phone number"),
            ErrorClass.TRANSIENT, AutoFix.NONE, Wait.NONE, false, null, "Meta says try again after some time: back off"),
        rule("2388103-no-subscribed-app", "(2388103) Cannot migrate phone number.",
            c -> migration2388103(c) && c.says("cannot migrate phone number"), ErrorClass.NEEDS_HUMAN,
            AutoFix.SUBSCRIBE_APPS, Wait.NONE, false, null,
            "no app subscribed on the destination WABA: POST /<dest>/subscribed_apps once, then retry"),
        rule("2388103-other", "(2388103) unrecognised text", MetaErrorClassifier::migration2388103,
            ErrorClass.NEEDS_HUMAN, "unrecognised migration precondition failure: read the Graph message"),

        // ---- 2388091 / 2388093: number not in migration; cannot request/verify code ----------------
        rule("2388091-wait", "(2388091), (2388093) …asks to wait (~1 h)",
            c -> c.subcode(2388091, 2388093) && c.on(PHONE_MIGRATION_CALLS) && asksToWait(c.text()),
            ErrorClass.RATE_LIMITED, AutoFix.NONE, Wait.detailsOr(CODE_REQUEST_WAIT), false, null,
            "code requests throttled: wait, then retry"),
        rule("2388091-not-in-migration", "(2388091), (2388093) Number not in migration; cannot request/verify code",
            c -> c.subcode(2388091, 2388093) && c.on(PHONE_MIGRATION_CALLS), ErrorClass.PERMANENT,
            "wrong flow: the number is not in migration; use normal registration"),

        // ---- auth ---------------------------------------------------------------------------------
        rule("token-invalid", "0, 190 (458–467) Auth failure; token expired or invalid",
            c -> c.code(0, 190), ErrorClass.NEEDS_HUMAN, AutoFix.REFETCH_TOKEN, Wait.NONE, false, null,
            "re-fetch the business token once; if it fails again, ask the customer to redo onboarding or grant access"),

        // ---- rate limits --------------------------------------------------------------------------
        rule("rate-limit", "4, 17, 32, 341, 613, 80007, 80008, 130429, 131056 rate limits",
            c -> c.code(4, 17, 32, 341, 613, 80007, 80008, 130429, 131056), ErrorClass.RATE_LIMITED, AutoFix.NONE,
            Wait.ESTIMATE_THEN_DETAILS, false, null,
            "wait estimated_time_to_regain_access, else back off; slow polling on that WABA"),
        rule("pin-guess-limit", "133008, 133009 Too many PIN guesses / too fast",
            c -> c.code(133008, 133009), ErrorClass.RATE_LIMITED, AutoFix.NONE, Wait.detailsOr(null), true, null,
            "wait the time in error_data.details; retry register only with a human-confirmed PIN"),
        rule("deletion-in-progress", "133015 Deletion still in progress",
            c -> c.code(133015), ErrorClass.RATE_LIMITED, AutoFix.NONE, Wait.detailsOr(DELETION_WAIT), false, null,
            "wait 5 minutes for the deletion to settle"),
        rule("register-budget-exhausted", "133016 Register/deregister budget exhausted",
            c -> c.code(133016), ErrorClass.RATE_LIMITED, AutoFix.NONE, Wait.fixed(REGISTER_WINDOW), true, null,
            "register budget (10 per 72 h) exhausted: block register for this number for 72 h"),

        // ---- transient ----------------------------------------------------------------------------
        rule("unknown-server-error", "1, 131000 Unknown / possible server error",
            c -> c.code(1, 131000), ErrorClass.TRANSIENT, AutoFix.NONE, Wait.NONE, false, 3,
            "retry up to 3 times, then park with the fbtrace_id"),
        rule("service-unavailable", "2, 131016, 133004 Service / registration server unavailable",
            c -> c.code(2, 131016, 133004), ErrorClass.TRANSIENT, "back off and retry"),
        rule("maintenance", "131057 (2494100) Maintenance mode",
            c -> c.code(131057) || c.subcode(2494100), ErrorClass.TRANSIENT, AutoFix.NONE,
            Wait.detailsOr(MAINTENANCE_WAIT), false, null, "number in maintenance mode: retry in minutes"),
        rule("not-registered", "133010 Number not registered",
            c -> c.code(133010), ErrorClass.TRANSIENT, AutoFix.REGISTER, Wait.NONE, false, null,
            "call register (within the budget)"),

        // ---- needs a person -----------------------------------------------------------------------
        rule("permission-missing", "3, 10, 200–299 Capability or permission missing",
            c -> c.code(3, 10) || (c.error().code() != null && c.error().code() >= 200 && c.error().code() <= 299),
            ErrorClass.NEEDS_HUMAN, "request the missing permission / advanced access (whatsapp_business_management)"),
        rule("app-not-subscribed", "100 \"…your app must be subscribed…\"",
            c -> c.code(100) && c.says("must be subscribed"), ErrorClass.NEEDS_HUMAN, AutoFix.SUBSCRIBE_APPS,
            Wait.NONE, false, null, "POST /<waba>/subscribed_apps once, then retry"),
        rule("invalid-parameter", "100 Invalid parameter",
            c -> c.code(100), ErrorClass.PERMANENT, "invalid request (client bug): fail"),
        rule("number-deleted", "33 Phone number deleted",
            c -> c.code(33), ErrorClass.PERMANENT, "the phone number was deleted: fail"),
        rule("account-locked", "368, 131031 Account restricted/locked; two-step PIN incorrect",
            c -> c.code(368, 131031), ErrorClass.NEEDS_HUMAN, AutoFix.NONE, Wait.NONE, true, null,
            "account restricted or locked: park; never retry register without a person"),
        rule("payment-problem", "131042 Payment problem",
            c -> c.code(131042), ErrorClass.NEEDS_HUMAN, "ask for a payment method / credit sharing"),
        rule("deregistration-incomplete", "133000 Previous deregistration incomplete",
            c -> c.code(133000), ErrorClass.NEEDS_HUMAN, AutoFix.DEREGISTER, Wait.NONE, false, null,
            "deregister once (within the 10/72 h budget), then retry"),
        rule("pin-mismatch", "133005 2FA PIN mismatch",
            c -> c.code(133005), ErrorClass.NEEDS_HUMAN, AutoFix.NONE, Wait.NONE, true, null,
            "two-step PIN mismatch: never retry register; ask the owner to disable 2FA or supply the PIN"),
        rule("number-not-verified", "133006 Number must be verified first",
            c -> c.code(133006), ErrorClass.NEEDS_HUMAN, AutoFix.REQUEST_CODE, Wait.NONE, false, null,
            "verify the number first (flow B: request_code/verify_code; flow A: park)"),

        // ---- fallbacks ----------------------------------------------------------------------------
        rule("unknown-server-side", "unknown code on HTTP 5xx",
            c -> c.httpStatus() >= 500, ErrorClass.TRANSIENT, "server-side failure: back off and retry"),
        rule("unknown", "unknown code",
            c -> true, ErrorClass.NEEDS_HUMAN, "unrecognised Graph error: park and read the message (fbtrace_id)")
    );

    /** Classifies an HTTP response without usage-header information. */
    public Result classify(GraphCall call, int httpStatus, String body) {
        return classify(call, httpStatus, body, (Duration) null);
    }

    /**
     * Classifies an HTTP response whose usage headers are at hand (Camel headers, HttpHeaders.map()).
     * {@code estimated_time_to_regain_access} is taken from {@code X-Business-Use-Case-Usage}.
     */
    public Result classifyWithHeaders(GraphCall call, int httpStatus, String body, Map<String, ?> headers) {
        Duration eta = headers == null ? null : UsageHeaders.Usage.fromHeaders(headers).timeToRegainAccess();
        return classify(call, httpStatus, body, eta);
    }

    /**
     * Classifies an HTTP response.
     *
     * @param call                        the Graph call that got this answer
     * @param httpStatus                  HTTP status code
     * @param body                        response body (may be null, empty or malformed)
     * @param estimatedTimeToRegainAccess from {@code X-Business-Use-Case-Usage}, or null when unknown
     */
    public Result classify(GraphCall call, int httpStatus, String body, Duration estimatedTimeToRegainAccess) {
        if (httpStatus >= 200 && httpStatus < 300) {
            return new Result(Kind.SUCCESS, null, AutoFix.NONE, false, null, "success", "continue");
        }
        Optional<GraphError> parsed = GraphError.parse(body);
        if (parsed.isEmpty()) {
            return unparsable(httpStatus, body, estimatedTimeToRegainAccess);
        }
        GraphError e = parsed.get();
        Ctx ctx = new Ctx(call, httpStatus, e, e.searchableText());
        Rule rule = TABLE.stream().filter(r -> r.when().test(ctx)).findFirst().orElseThrow();
        ErrorClass cls = rule.errorClass();
        if (rule.kind() == Kind.FAILED && Boolean.TRUE.equals(e.isTransient()) && !cls.retryable()
                && !rule.blocksRegister()) {
            cls = ErrorClass.TRANSIENT;
        }
        Duration retryAfter = rule.waitPolicy().of(ctx, estimatedTimeToRegainAccess);
        String message = sanitize(e.bestMessage());
        message = message.isBlank() ? rule.action() : message + " (" + rule.action() + ")";
        ProviderError error = new ProviderError(PROVIDER, e.codeString(), message,
                cls == null ? ErrorClass.PERMANENT : cls, retryAfter, e.fbtraceId());
        return new Result(rule.kind(), error, rule.autoFix(), rule.blocksRegister(), rule.maxAttempts(), rule.id(),
                rule.action());
    }

    /** Classifies a failure that produced no HTTP response (timeout, reset, refused, DNS, ...). */
    public Result classify(GraphCall call, Throwable failure) {
        String code = failureCode(failure);
        String text = failure == null ? code
                : failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        ProviderError error = new ProviderError(PROVIDER, code, sanitize(text) + " (no response from Graph: back off and retry)",
                ErrorClass.TRANSIENT, null, null);
        return new Result(Kind.FAILED, error, AutoFix.NONE, false, null, "io-failure", "back off and retry");
    }

    private static String failureCode(Throwable failure) {
        String code = "IO_ERROR";
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 10; t = t.getCause(), depth++) {
            String msg = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof HttpTimeoutException || t instanceof InterruptedIOException
                    || t instanceof TimeoutException || msg.contains("timed out")) {
                return "TIMEOUT";
            }
            if (t instanceof ConnectException) {
                return "CONNECTION_REFUSED";
            }
            if (t instanceof UnknownHostException) {
                return "UNKNOWN_HOST";
            }
            if (msg.contains("reset") || msg.contains("broken pipe")) {
                return "CONNECTION_RESET";
            }
            if (t instanceof SocketException || (t instanceof IOException
                    && (msg.contains("closed") || msg.contains("eof") || msg.contains("header parser")))) {
                code = "CONNECTION_RESET";
            }
        }
        return code;
    }

    /** True when the error asks for the business token to be re-fetched once (codes 190 and 0). */
    public static boolean isTokenExpired(ProviderError error) {
        if (error == null || !PROVIDER.equals(error.provider())) {
            return false;
        }
        String main = error.code().split("/", 2)[0];
        return main.equals("190") || main.equals("0");
    }

    /**
     * Transient answers that say the call was refused, not processed: 133010 (the number is not registered) and
     * 2388103 "There was an error migrating this phone number." (Meta says the migration failed, try again), and any
     * refusal row that {@code is_transient} turned transient. A call that is not safe to repeat may be sent again
     * after them.
     */
    static final Set<String> TRANSIENT_REFUSALS = Set.of("not-registered", "2388103-try-again");

    /**
     * Whether a failed answer leaves the call's effect unknown, so a call that is not safe to repeat must be read
     * back before it is sent again: a 5xx, an unreadable body (2xx included), no answer, and the transient rows
     * 1, 131000 ("unknown error"), 2, 131016, 133004 ("service unavailable") and 131057 (maintenance), which Meta
     * does not document as "not processed". Rate limits (4, 17, 32, 341, 613, 80007, 80008, 130429, 131056, 133016),
     * auth, permission and parameter errors are definite refusals: the call was not processed.
     */
    public static boolean leavesEffectUnknown(Result result) {
        if (!result.isFailure() || result.error().errorClass() != ErrorClass.TRANSIENT) {
            return false;
        }
        if (TRANSIENT_REFUSALS.contains(result.rule())) {
            return false;
        }
        return TABLE.stream().filter(r -> r.id().equals(result.rule())).findFirst()
                .map(r -> r.errorClass() == ErrorClass.TRANSIENT) // else is_transient on a refusal: not processed
                .orElse(true); // http-5xx, malformed-body, io-failure: no readable answer at all
    }

    /** The rule ids in match order (for documentation and coverage tests). */
    public static List<String> ruleIds() {
        return TABLE.stream().map(Rule::id).toList();
    }

    private static Result unparsable(int httpStatus, String body, Duration eta) {
        String what = body == null || body.isBlank() ? "empty body" : "unparsable body";
        if (httpStatus == 429) {
            ProviderError error = new ProviderError(PROVIDER, "HTTP_429", "HTTP 429 with " + what + " (back off)",
                    ErrorClass.RATE_LIMITED, positive(eta) ? eta : null, null);
            return new Result(Kind.FAILED, error, AutoFix.NONE, false, null, "http-429", "back off");
        }
        String rule = httpStatus >= 500 ? "http-5xx" : "malformed-body";
        ProviderError error = new ProviderError(PROVIDER, "HTTP_" + httpStatus,
                "HTTP " + httpStatus + " with " + what + " (back off and retry)", ErrorClass.TRANSIENT, null, null);
        return new Result(Kind.FAILED, error, AutoFix.NONE, false, null, rule, "back off and retry");
    }

    // ---- wait parsing ------------------------------------------------------------------------------

    private static final Pattern CODE_PREFIX = Pattern.compile("\\(#\\d+\\)");
    private static final Pattern NUMERIC_WAIT = Pattern.compile(
            "(\\d+(?:\\.\\d+)?)\\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|[smhd])\\b");
    private static final Pattern WORD_WAIT = Pattern.compile("\\b(an?|one)\\s+(second|minute|hour|day)\\b");
    private static final Pattern ASKS_TO_WAIT = Pattern.compile(
            "\\bwait\\b|try again (later|after|in)|retry (later|after|in)");

    /**
     * The wait a Graph text states ("Please wait 5 minutes", "try again in 1 hour", "~1 h"), if any.
     * Matching is case-insensitive; the first stated duration wins.
     */
    public static Optional<Duration> statedWait(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String t = CODE_PREFIX.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        Matcher m = NUMERIC_WAIT.matcher(t);
        if (m.find()) {
            double amount = Double.parseDouble(m.group(1));
            Duration d = unit(m.group(2)).multipliedBy(Math.round(amount * 1000)).dividedBy(1000);
            return d.isZero() ? Optional.empty() : Optional.of(d);
        }
        Matcher w = WORD_WAIT.matcher(t);
        if (w.find()) {
            return Optional.of(unit(w.group(2)));
        }
        return Optional.empty();
    }

    private static boolean asksToWait(String text) {
        return statedWait(text).isPresent() || ASKS_TO_WAIT.matcher(text).find();
    }

    private static Duration unit(String u) {
        return switch (u.charAt(0)) {
            case 's' -> Duration.ofSeconds(1);
            case 'm' -> Duration.ofMinutes(1);
            case 'h' -> Duration.ofHours(1);
            default -> Duration.ofDays(1);
        };
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static final Pattern SECRET_LIKE = Pattern.compile("\\bEAA[0-9A-Za-z]{8,}|\\b[0-9A-Za-z_\\-]{40,}");

    /** Masks token-like strings (Graph sometimes echoes a malformed token in its message). */
    static String sanitize(String s) {
        return s == null ? "" : SECRET_LIKE.matcher(s).replaceAll("***");
    }
}
