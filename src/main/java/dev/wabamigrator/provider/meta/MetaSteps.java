package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.RetryPolicy;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.engine.StepOutcomeException;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.AutoFix;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * What each META_MPS and META_CLASSIC step makes of its Graph answer (bean {@code metaSteps}). A call that failed
 * outright (given up on after redeliveries, or held back by {@link GraphRequests#admit}) never reaches these
 * methods: the step's error handler records its outcome, through the step's failure hook where it names one
 * ({@link #acceptanceNotPolled}, {@link #readBackFailed}; error-handling.camel.yaml).
 *
 * <p>Auto-fixes (provider-apis.md §2.10): a business token refused with 190 is fetched again once per step; a
 * migrate refused with 2388103 "Cannot migrate phone number." subscribes the app on the destination once and
 * migrates again (in the step route); 2388012 on migrate re-reads the destination's numbers; 133006 on a
 * META_CLASSIC register goes back to request a code.
 */
public final class MetaSteps {
    /** Control mark: the step to return to once the business token was fetched again after a 190. */
    static final String RESUME_AFTER_TOKEN = "resumeAfterTokenFetch";
    /** Control mark: the step a fresh business token was fetched for; a second 190 there asks a person. */
    static final String TOKEN_REFETCHED_FOR = "tokenRefetchedFor";
    /** Error messages stay readable (reasons are bounded by {@link StepOutcome.NeedsHuman} itself). */
    private static final int MAX_REASON = StepOutcome.NeedsHuman.MAX_REASON;
    /** A route template's parameter value for "no such step in this flow". */
    private static final String NO_STEP = "none";
    private static final Set<String> WAITING = Set.of("INITIATED", "PENDING");
    private static final Set<String> ACCEPTED = Set.of("ACCEPTED", "COMPLETED");
    private static final Set<String> ENDED = Set.of("REJECTED", "EXPIRED", "CANCELLED", "CANCELED", "DECLINED");

    /**
     * The customer-acceptance poll: the first interval, its growth per poll, its cap, and the deadline.
     * With multiplier 2 the intervals double (30 s, 1 min, 2 min, 4 min, 8 min, then 15 min).
     */
    public record Acceptance(Duration initialInterval, double multiplier, Duration maxInterval, Duration deadline) {
    }

    /**
     * Reading a call's effect back (provider-apis.md §2.7, docs/meta-flows.md "Calls that are not safe to repeat").
     *
     * @param maxSendsInDoubt  sends of one call whose answers left their effect unknown and that were then shown not
     *                         done, before a person is asked instead of a further send (Meta: 131000, at most 3 tries)
     * @param pendingReadBacks reads that may still show a register's number {@code PENDING} (Meta's status may lag
     *                         the register) before the register is taken as not done and sent again
     * @param maxPages         pages of a {@code phone_numbers} list read while looking for the number
     */
    public record ReadBack(int maxSendsInDoubt, int pendingReadBacks, int maxPages) {
    }

    /** Exchange property: true while {@code meta-find-number} has another page to read. */
    static final String PAGING = "graphPaging";
    /** Exchange property: pages of the list read so far. */
    static final String PAGES_READ = "graphPagesRead";
    /** A number that shows one of these after a register in doubt is live on Cloud API: the register took effect. */
    private static final Set<String> REGISTERED = Set.of("CONNECTED");
    /** Statuses of a number that is not registered, so register did not take effect. */
    private static final Set<String> NOT_REGISTERED = Set.of("PENDING", "DISCONNECTED", "UNVERIFIED");

    private final RetryPolicy retryPolicy;
    private final CodeWait codeWait;
    private final Acceptance acceptance;
    private final ReadBack readBack;

    public MetaSteps(RetryPolicy retryPolicy, CodeWait codeWait, Acceptance acceptance, ReadBack readBack) {
        this.retryPolicy = retryPolicy;
        this.codeWait = codeWait;
        this.acceptance = acceptance;
        this.readBack = readBack;
    }

    // ---- META_MPS ------------------------------------------------------------------------------------------

    /** {@code tag-intent}: keep the intent id ({@code id}, or {@code migration_intent_id} as the spec has it). */
    public StepOutcome intentTagged(Migration m, GraphResult answer) {
        return interpret(m, answer, null, r -> {
            String id = r.text("id") != null ? r.text("id") : r.text("migration_intent_id");
            if (id == null) {
                return needsHuman("NO_INTENT_ID", "set_solution_migration_intent answered without an intent id; "
                        + "check the source WABA's requests in Meta Business Suite, then resume");
            }
            return StepOutcome.succeeded(Map.of("intentId", id));
        });
    }

    /**
     * {@code await-acceptance}: ACCEPTED goes on with the destination WABA; INITIATED/PENDING waits (polled with a
     * growing interval, the migration parked in the database between polls) until the deadline; REJECTED and the
     * other ends fail; an unknown status asks a person rather than guess.
     */
    public StepOutcome acceptancePolled(Migration m, GraphResult r) {
        Instant now = m.now();
        boolean waiting = m.getAwaiting() == Awaiting.CUSTOMER_ACCEPTANCE && m.getExpiresAt() != null;
        Instant deadline = waiting ? m.getExpiresAt() : now.plus(acceptance.deadline());
        if (!r.success()) {
            return failed(m, r, null); // the intent is read with the system-user token
        }
        String status = r.text("status") == null ? "" : r.text("status").toUpperCase(Locale.ROOT);
        if (ACCEPTED.contains(status)) {
            String destination = r.body().path("destination_waba").path("id").asText("");
            if (destination.isEmpty()) {
                return needsHuman("NO_DESTINATION_WABA", "the migration intent is " + status + " but names no "
                        + "destination_waba; check the request in Meta Business Suite, then resume");
            }
            return StepOutcome.succeeded(Map.of("destinationWabaId", destination));
        }
        if (WAITING.contains(status)) {
            return keepWaiting(m, now, deadline, null);
        }
        if (ENDED.contains(status)) {
            return new StepOutcome.Failed(ProviderError.of(MetaErrorClassifier.PROVIDER, "INTENT_" + status,
                    "the customer's migration request ended " + status + " instead of being accepted; "
                    + "start a new migration once the customer agrees", ErrorClass.PERMANENT));
        }
        return needsHuman("INTENT_STATUS_UNKNOWN", "the migration intent has status '" + status + "', which is not "
                + "documented; check the request in Meta Business Suite, then resume");
    }

    /**
     * {@code await-acceptance}'s failure hook: a poll given up on after redeliveries, or held back (usage pause),
     * while already waiting keeps the wait and its deadline, and looks again when the provider allows; otherwise the
     * failure's outcome as classified.
     */
    public StepOutcome acceptanceNotPolled(@ExchangeProperty("migration") Migration m, @Body StepOutcome classified) {
        boolean waiting = m.getAwaiting() == Awaiting.CUSTOMER_ACCEPTANCE && m.getExpiresAt() != null;
        if (waiting && classified.retryAt() != null) {
            return keepWaiting(m, m.now(), m.getExpiresAt(), classified.retryAt());
        }
        return classified;
    }

    /** {@code fetch-business-token}: the token is a secret (encrypted at rest, never in events or logs). */
    public StepOutcome tokenFetched(Migration m, GraphResult answer) {
        return interpret(m, answer, null, r -> {
            String token = r.text("access_token");
            if (token == null) {
                JsonNode first = r.body().path("data").path(0).path("access_token");
                token = first.isTextual() ? first.asText() : null;
            }
            if (token == null || token.isBlank()) {
                return needsHuman("NO_ACCESS_TOKEN", "system_user_access_tokens answered without an access token; "
                        + "check that the customer granted the app access to the business, then resume");
            }
            String resume = m.mark(RESUME_AFTER_TOKEN);
            if (resume == null) {
                return new StepOutcome.Succeeded(Map.of(), null, Map.of(GraphRequests.BUSINESS_TOKEN, token));
            }
            m.setMark(RESUME_AFTER_TOKEN, null);
            m.setMark(TOKEN_REFETCHED_FOR, resume);
            return new StepOutcome.Succeeded(Map.of(), resume, Map.of(GraphRequests.BUSINESS_TOKEN, token));
        });
    }

    /** {@code subscribe-webhooks}: the destination WABA now sends this app its webhooks. */
    public StepOutcome webhooksSubscribed(Migration m, GraphResult answer, String tokenStep) {
        return interpret(m, answer, tokenStep, r -> StepOutcome.succeeded());
    }

    /**
     * A read whose answer another bean judges ({@code check-destination}, read by {@code metaPreflight}): true when
     * Graph refused the customer's business token (190), which that step handles as every business-token step does.
     */
    public boolean businessTokenRefused(GraphResult answer) {
        return !answer.success() && answer.autoFix() == AutoFix.REFETCH_TOKEN && answer.businessToken();
    }

    /** After {@link #businessTokenRefused}: fetch the token again once and come back; a second 190 asks a person. */
    public StepOutcome fetchTokenAgain(Migration m, GraphResult answer, String tokenStep) {
        return refetchToken(m, answer.error(), tokenStep);
    }

    /** A read judged elsewhere succeeded with a freshly fetched token: a later 190 here may fetch it again. */
    public void businessTokenWorked(Migration m, GraphResult answer) {
        if (answer.success() && m.getStep().equals(m.mark(TOKEN_REFETCHED_FOR))) {
            m.setMark(TOKEN_REFETCHED_FOR, null);
        }
    }

    /** {@code check-number}: the number must be CONNECTED (registered and in use on Cloud API) in the source WABA. */
    public StepOutcome numberChecked(Migration m, GraphResult answer, String tokenStep) {
        return interpret(m, answer, tokenStep, r -> {
            JsonNode number = findNumber(m, r.body());
            if (number == null) {
                return needsHuman("NUMBER_NOT_FOUND", "+" + m.getPhoneE164() + " is not listed in source WABA "
                        + m.param("meta.sourceWabaId") + "; check meta.sourceWabaId and the number, then resume");
            }
            String status = number.path("status").asText("");
            if (!"CONNECTED".equals(status)) {
                return needsHuman("NUMBER_NOT_CONNECTED", "+" + m.getPhoneE164() + " has status '" + status
                        + "' in the source WABA, not CONNECTED (registered and in use on Cloud API); "
                        + "have it reconnected, then resume");
            }
            return StepOutcome.succeeded();
        });
    }

    // ---- migrate-number (both flows) ------------------------------------------------------------------------

    /**
     * True when migrate was refused for want of a subscribed app (2388103 "Cannot migrate phone number."): the
     * route then subscribes the app on the destination once and migrates again.
     */
    public boolean subscribeFirst(GraphResult answer) {
        return !answer.success() && answer.autoFix() == AutoFix.SUBSCRIBE_APPS;
    }

    /** True when a call succeeded (the subscribe of the auto-fix, before migrating again). */
    public boolean succeeded(GraphResult answer) {
        return answer.success();
    }

    /** True when migrate answered 2388012: the number is already in the destination WABA. */
    public boolean alreadyThere(GraphResult answer) {
        return answer.alreadyDone();
    }

    /** {@code migrate-number}: keep the phone number id the destination WABA gave the number. */
    public StepOutcome numberMigrated(Migration m, GraphResult answer, String tokenStep) {
        return interpret(m, answer, tokenStep, r -> {
            String id = r.text("id");
            if (id == null) {
                return needsHuman("NO_PHONE_NUMBER_ID", "migrate answered without a phone number id; check the "
                        + "destination WABA's numbers, then resume");
            }
            return StepOutcome.succeeded(Map.of("phoneNumberId", id));
        });
    }

    /** After 2388012: the destination WABA's numbers, read back; the number's id there is the one to keep. */
    public StepOutcome numberFound(Migration m, GraphResult answer, String tokenStep) {
        return interpret(m, answer, tokenStep, r -> {
            JsonNode number = findNumber(m, r.body());
            if (number == null || number.path("id").asText("").isEmpty()) {
                return needsHuman("NUMBER_NOT_LISTED", "Graph says +" + m.getPhoneE164() + " is already in "
                        + "destination WABA " + GraphRequests.destinationWaba(m) + " (2388012) but does not list it "
                        + "there; check in WhatsApp Manager, then resume");
            }
            return StepOutcome.succeeded(Map.of("phoneNumberId", number.path("id").asText()));
        });
    }

    /**
     * {@code migrate-number-reconcile}: a migrate call got no definite answer (or a restart cut it off). The number
     * listed in the destination WABA, on any page, means it went through, whatever its status: a migrated number is
     * {@code PENDING} there until register. Not listed means it did not, and migrate is sent again (bounded).
     */
    public StepOutcome migrationChecked(Migration m, GraphResult answer) {
        if (!answer.success()) {
            return callStillInDoubt(m, answer.error());
        }
        JsonNode number = findNumber(m, answer.body());
        if (number == null || number.path("id").asText("").isEmpty()) {
            return sendAgain(m, "+" + m.getPhoneE164() + " is not listed in destination WABA "
                    + GraphRequests.destinationWaba(m));
        }
        SendsInDoubt.forget(m);
        return StepOutcome.succeeded(Map.of("phoneNumberId", number.path("id").asText()));
    }

    // ---- paging through phone_numbers (route meta-find-number) ----------------------------------------------

    /** Before the first page: no cursor yet. */
    public void startPaging(Exchange exchange) {
        exchange.removeProperty(GraphRequests.PAGE_AFTER);
        exchange.setProperty(PAGES_READ, 0);
        exchange.setProperty(PAGING, true);
    }

    /**
     * After one page: read on (with {@code paging.cursors.after}) while the number is not on this page and
     * {@code paging.next} says the list goes on; stop on a failed answer. A list longer than
     * {@link ReadBack#maxPages()} pages asks a person rather than conclude the number is not there (thrown as a
     * {@link StepOutcomeException}, recorded by the step's error handler).
     */
    public void pageRead(Migration m, Exchange exchange) {
        GraphResult answer = exchange.getMessage().getBody(GraphResult.class);
        int pages = exchange.getProperty(PAGES_READ, 0, Integer.class) + 1;
        exchange.setProperty(PAGES_READ, pages);
        String after = null;
        if (answer.success() && findNumber(m, answer.body()) == null) {
            JsonNode paging = answer.body().path("paging");
            String cursor = paging.path("cursors").path("after").asText("");
            after = paging.hasNonNull("next") && !cursor.isEmpty() ? cursor : null;
        }
        if (after != null && pages >= readBack.maxPages()) {
            throw new StepOutcomeException(needsHuman("TOO_MANY_NUMBER_PAGES", "+" + m.getPhoneE164() + " is not on "
                    + "the first " + pages + " pages of the WABA's phone_numbers and the list goes on; check the number "
                    + "in WhatsApp Manager, then send ResumeMigration"));
        }
        if (after == null) {
            exchange.removeProperty(GraphRequests.PAGE_AFTER);
            exchange.setProperty(PAGING, false);
        } else {
            exchange.setProperty(GraphRequests.PAGE_AFTER, after);
        }
    }

    // ---- META_CLASSIC code steps ----------------------------------------------------------------------------

    /** {@code request-code}: the code is on its way (SMS or voice); the next step waits for it. */
    public StepOutcome codeRequested(Migration m, GraphResult answer) {
        return interpret(m, answer, null, r -> StepOutcome.succeeded());
    }

    /**
     * {@code verify}: a wrong code (136025) goes back to the wait (bounded); anything else as classified.
     *
     * @param waitStep the code wait's step, named by the route
     */
    public StepOutcome codeVerified(Migration m, GraphResult answer, String waitStep) {
        if (codeRefused(answer)) {
            return codeWait.wrongCode(m, answer.error(), waitStep);
        }
        return interpret(m, answer, null, r -> StepOutcome.succeeded());
    }

    /** True when verify answered 136025: a wrong code, or a code an earlier verify (cut off) already used. */
    public boolean codeRefused(GraphResult answer) {
        return !answer.success() && answer.hasErrorCode(136025);
    }

    /**
     * {@code verify} after 136025, with the number read back: {@code VERIFIED} means an earlier verify with this code
     * took effect but its answer was lost (a crash or a lost connection, then the code was sent again): done, rather
     * than ask the customer for a new code. Otherwise the code was wrong. A failed read is handled like any answer.
     */
    public StepOutcome verificationChecked(Migration m, GraphResult answer, GraphResult refused, String waitStep) {
        if (answer.success() && "VERIFIED".equals(answer.text("code_verification_status"))) {
            return StepOutcome.succeeded();
        }
        if (answer.success()) {
            return codeVerified(m, refused, waitStep);
        }
        return interpret(m, answer, null, r -> StepOutcome.succeeded());
    }

    // ---- register (both flows) ------------------------------------------------------------------------------

    /**
     * {@code register}: the number is live on the destination. A PIN-related refusal (133005 PIN mismatch; 133008,
     * 133009 too many guesses; 131031, 368 locked) is never retried automatically: a person is asked. 133016
     * (budget exhausted) waits for the end of the lock. 133006 (not verified) goes back to {@code notVerifiedStep}
     * (META_CLASSIC: request-code) or, where the flow has none ({@code "none"}), asks a person.
     *
     * @param notVerifiedStep the route template's parameter: the step that gets the number verified, or "none"
     */
    public StepOutcome registered(Migration m, GraphResult answer, String notVerifiedStep, String tokenStep) {
        if (!answer.success()) {
            ProviderError error = answer.error();
            if (answer.hasErrorCode(133006) && !NO_STEP.equals(notVerifiedStep)) {
                return new StepOutcome.GoTo(notVerifiedStep, error, Map.of());
            }
            if (answer.classification().blocksRegister() && !answer.hasErrorCode(133016)) {
                String cause = answer.hasErrorCode(133005) ? "register refused the two-step verification PIN (133005)"
                        : "register was refused (" + error.code() + ": " + error.message() + ")";
                return new StepOutcome.NeedsHuman(error.withClass(ErrorClass.NEEDS_HUMAN), bound(cause
                        + ". It is not retried automatically: every register call spends the number's budget of 10 "
                        + "per 72 h, and more PIN guesses lock the number. Ask the number's owner to disable two-step "
                        + "verification (the PIN of this migration then becomes the new one) and send ResumeMigration, "
                        + "or start a new migration with the right PIN"));
            }
        }
        return interpret(m, answer, tokenStep, r -> StepOutcome.succeeded());
    }

    /**
     * {@code register-reconcile}: a register call got no definite answer (or a restart cut it off), read back with
     * {@code GET /{phoneNumberId}?fields=...status}. {@code CONNECTED}: it took effect. {@code PENDING} (not registered
     * yet) is read again a few times ({@link ReadBack#pendingReadBacks()}), since the status may lag the register,
     * then taken as not done; {@code DISCONNECTED}, {@code UNVERIFIED}: not done. Not done sends register again
     * (bounded, and within the budget). Any other status (banned, restricted, deleted, undocumented) asks a person.
     */
    public StepOutcome registrationChecked(Migration m, GraphResult answer) {
        if (!answer.success()) {
            return callStillInDoubt(m, answer.error());
        }
        String status = answer.text("status") == null ? "" : answer.text("status").toUpperCase(Locale.ROOT);
        if (REGISTERED.contains(status)) {
            SendsInDoubt.forget(m);
            return StepOutcome.succeeded();
        }
        if ("PENDING".equals(status) && m.getAttempt() < readBack.pendingReadBacks()) {
            return retryPolicy.readBackInconclusive(m, "status PENDING");
        }
        if (NOT_REGISTERED.contains(status)) {
            return sendAgain(m, "+" + m.getPhoneE164() + " has status " + status);
        }
        return needsHuman("NUMBER_STATUS_" + (status.isEmpty() ? "MISSING" : status), "after a register whose answer "
                + "was lost, +" + m.getPhoneE164() + " reads back with status '" + status + "', neither CONNECTED nor "
                + "not registered; register is not sent again automatically. Check the number in WhatsApp Manager, then "
                + "send ResumeMigration to read it back again");
    }

    /**
     * A read-back showed that a call in doubt did not take effect: send it again, unless
     * {@link ReadBack#maxSendsInDoubt()} sends already ended that way (Meta: 131000 at most 3 tries; every register
     * spends the number's budget): then a person is asked, with the last answer's {@code fbtrace_id}. The call stays
     * pending, so a {@code ResumeMigration} reads it back first, then sends again.
     */
    private StepOutcome sendAgain(Migration m, String shown) {
        SendsInDoubt doubt = SendsInDoubt.of(m);
        if (doubt.count() < readBack.maxSendsInDoubt()) {
            return new StepOutcome.GoTo(m.getStep(), null, Map.of());
        }
        SendsInDoubt.forget(m); // a resume starts a fresh count
        String reason = m.getStep() + ": " + doubt.describe() + ", and each time the read-back showed it not done ("
                + shown + "). It is not sent again automatically (Meta allows at most " + readBack.maxSendsInDoubt()
                + " tries after 131000" + (m.getStep().equals("register") ? ", and 10 register calls per number per "
                + "72 h" : "") + "). Ask Meta support about the fbtrace_id, then send ResumeMigration: the effect is read "
                + "back first";
        return new StepOutcome.NeedsHuman(new ProviderError(MetaErrorClassifier.PROVIDER,
                doubt.code() != null ? doubt.code() : "CALL_OUTCOME_UNKNOWN", bound(reason), ErrorClass.NEEDS_HUMAN,
                null, doubt.traceId()), bound(reason));
    }

    // ---- shared -----------------------------------------------------------------------------------------------

    /**
     * @param tokenStep the step that fetches the customer's business token (a route's or template's parameter), where a
     *                  190 on that token goes; null or "none" where the step's call does not use it
     */
    private StepOutcome interpret(Migration m, GraphResult r, String tokenStep,
                                  Function<GraphResult, StepOutcome> onSuccess) {
        if (!r.success()) {
            return failed(m, r, tokenStep);
        }
        if (m.getStep().equals(m.mark(TOKEN_REFETCHED_FOR))) {
            m.setMark(TOKEN_REFETCHED_FOR, null); // the fresh token worked: a later 190 may fetch again
        }
        return onSuccess.apply(r);
    }

    private StepOutcome failed(Migration m, GraphResult r, String tokenStep) {
        if (r.autoFix() == AutoFix.REFETCH_TOKEN && r.businessToken() && tokenStep != null
                && !NO_STEP.equals(tokenStep)) {
            return refetchToken(m, r.error(), tokenStep);
        }
        return retryPolicy.outcomeFor(r.error(), m);
    }

    /** 190 on the customer's business token: fetch it again once, then come back here; a second 190 asks a person. */
    private StepOutcome refetchToken(Migration m, ProviderError error, String tokenStep) {
        if (m.getStep().equals(m.mark(TOKEN_REFETCHED_FOR))) {
            m.setMark(TOKEN_REFETCHED_FOR, null); // a resume fetches once more
            return new StepOutcome.NeedsHuman(error.withClass(ErrorClass.NEEDS_HUMAN), bound("the customer's business "
                    + "token was refused (" + error.code() + ") right after a new one was fetched: ask the customer "
                    + "to grant the app access to the business again (or redo onboarding), then send ResumeMigration"));
        }
        m.setMark(RESUME_AFTER_TOKEN, m.getStep());
        return new StepOutcome.GoTo(tokenStep, error, Map.of());
    }

    /**
     * The reconcile steps' failure hook: reading a call's effect back failed outright (given up on after redeliveries,
     * held back, or the list too long to read), so the doubt stays, as for a refused read.
     */
    public StepOutcome readBackFailed(@ExchangeProperty("migration") Migration m, @Body StepOutcome classified) {
        return callStillInDoubt(m, classified.error());
    }

    /** The read-back of a reconcile failed: keep the doubt (the call stays pending), retry later or ask a person. */
    private StepOutcome callStillInDoubt(Migration m, ProviderError cause) {
        ErrorClass errorClass = cause != null && cause.retryable() ? cause.errorClass() : ErrorClass.NEEDS_HUMAN;
        String what = cause == null ? "no answer" : cause.provider() + " " + cause.code() + ": " + cause.message();
        ProviderError unknown = new ProviderError("engine", "CALL_OUTCOME_UNKNOWN", "the " + m.getStep()
                + " call was cut off and reading its effect back failed (" + what + ")", errorClass,
                cause == null ? null : cause.retryAfter(), cause == null ? null : cause.traceId());
        return retryPolicy.outcomeFor(unknown, m);
    }

    private StepOutcome keepWaiting(Migration m, Instant now, Instant deadline, Instant notBefore) {
        if (!now.isBefore(deadline)) {
            return new StepOutcome.Failed(ProviderError.of("engine", "EXPIRED", "the customer did not accept the "
                    + "migration request (intent " + m.result("intentId") + ") before " + deadline
                    + "; start a new migration", ErrorClass.PERMANENT));
        }
        Instant next = now.plus(pollInterval(now, deadline));
        if (notBefore != null && notBefore.isAfter(next)) {
            next = notBefore;
        }
        if (next.isAfter(deadline)) {
            next = deadline; // one last look at the deadline
        }
        String reason = "the customer must accept the migration request in Meta Business Suite (Business settings > "
                + "Requests > Received; admins were emailed by Meta) and have a payment method; the request "
                + "(intent " + m.result("intentId") + ") is checked until " + deadline;
        return new StepOutcome.Await(Awaiting.CUSTOMER_ACCEPTANCE, reason, deadline, next);
    }

    /** Grows with the time already waited: initial, then ×multiplier per poll, capped. */
    private Duration pollInterval(Instant now, Instant deadline) {
        Duration waited = Duration.between(deadline.minus(acceptance.deadline()), now);
        if (waited.isNegative()) {
            waited = Duration.ZERO;
        }
        double millis = acceptance.initialInterval().toMillis() + waited.toMillis() * (acceptance.multiplier() - 1);
        return Duration.ofMillis(Math.max(0, Math.min(Math.round(millis), acceptance.maxInterval().toMillis())));
    }

    /** The number's entry in a {@code phone_numbers} list: its display number's digits are its E.164 digits. */
    static JsonNode findNumber(Migration m, JsonNode list) {
        for (JsonNode number : list.path("data")) {
            String digits = number.path("display_phone_number").asText("").replaceAll("\\D", "");
            if (digits.equals(m.getPhoneE164())
                    || (!digits.isEmpty() && digits.endsWith(m.getNationalNumber())
                        && digits.length() <= m.getPhoneE164().length())) {
                return number;
            }
        }
        return null;
    }

    private static StepOutcome needsHuman(String code, String reason) {
        return new StepOutcome.NeedsHuman(ProviderError.of(MetaErrorClassifier.PROVIDER, code, reason,
                ErrorClass.NEEDS_HUMAN), bound(reason));
    }

    private static String bound(String reason) {
        return reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON - 3) + "...";
    }
}
