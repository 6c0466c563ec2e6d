package dev.wabamigrator.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * One migration as the step routes see it: loaded from its row when claimed, carried in the exchange
 * property {@code migration}, and written back by {@link StepRecorder}. Secrets are held decrypted only here,
 * never logged ({@link #toString()} leaves them out). What a step must remember across runs that is not a secret
 * (counters, flags) is its control state, a plain JSON object in the {@code control} column that operators can read.
 *
 * <p>Its state, step, wait and claim change only through the engine's named transitions ({@link #stepSucceeded},
 * {@link #awaitInput}, {@link #retryAt}, {@link #jumpTo}, {@link #askPerson}, {@link #fail}, {@link #cancel},
 * {@link #resume}, ...), each of which keeps the fields that belong together consistent (a park gives the claim
 * back, a success ends the wait). Steps read it and keep their own results, secrets and control values.
 */
public final class Migration {
    /** Steps one claim may run before the worker lets other migrations have a turn. */
    static final int MAX_STEPS_PER_CLAIM = 50;

    private String migrationId;
    private String flow;
    private String countryCode;
    private String nationalNumber;
    private String phoneE164;
    /** The batch the migration was started in, or null; every event of the migration carries it. */
    private String batchId;
    private MigrationState state;
    private String step;
    private int attempt;
    private ObjectNode params;
    private Map<String, String> secrets = new HashMap<>();
    private ObjectNode control = JsonNodeFactory.instance.objectNode();
    private ObjectNode result;
    private Awaiting awaiting;
    private String awaitingReason;
    private Instant expiresAt;
    private String lastError;
    private String pendingCall;
    private Instant nextAttemptAt;
    private String claimOwner;
    private String claimToken;
    /** Written by the heartbeat as well as by the worker. */
    private volatile Instant claimedUntil;
    private long version;

    // per claim, not persisted
    /** A call that is not safe to repeat was sent and no definite answer has come back yet. */
    private volatile boolean callInFlight;
    private int stepsThisClaim;
    private boolean claimLost;
    /** The call the row says is in doubt, as last read or written (pendingCall may have moved on since). */
    private String writtenPendingCall;
    /** Step outcomes of this claim not written yet: they go with the next write (see StepRecorder). */
    private StepRecorder.Unwritten unwritten;
    private long stepStartedNanos;
    private Clock clock = Clock.systemUTC();
    /** The secrets column as the row holds it (sealed under the current key), and what it opens to; or null. */
    private String storedSealed;
    private Map<String, String> storedSecrets;

    private Migration() {
    }

    public String getMigrationId() {
        return migrationId;
    }

    public String getFlow() {
        return flow;
    }

    public String getCountryCode() {
        return countryCode;
    }

    public String getNationalNumber() {
        return nationalNumber;
    }

    /** E.164 digits without {@code +}: country code then national number. */
    public String getPhoneE164() {
        return phoneE164;
    }

    /** The batch named in its StartMigration, or null when none was. */
    public String getBatchId() {
        return batchId;
    }

    public MigrationState getState() {
        return state;
    }

    public String getStep() {
        return step;
    }

    public int getAttempt() {
        return attempt;
    }

    public Awaiting getAwaiting() {
        return awaiting;
    }

    public Instant getExpiresAt() {
        return expiresAt;
    }

    public String getPendingCall() {
        return pendingCall;
    }

    /** True between {@code beginCall} and a definite answer: an error now leaves the call's effect unknown. */
    public boolean isCallInFlight() {
        return callInFlight;
    }

    /**
     * The provider gave a definite answer to the call in flight (success, or an error that says it was not
     * processed): no doubt is left, so nothing needs reading back. Saved with the step's outcome.
     */
    public void callAnswered() {
        if (callInFlight) {
            callInFlight = false;
            pendingCall = null;
        }
    }

    public long getVersion() {
        return version;
    }

    /** The route of the current step, {@code <flow>-<step>}, e.g. {@code alibaba-chatapp-initiate}. */
    public String getStepRoute() {
        return FlowDefinition.routeOf(flow) + "-" + step;
    }

    /** True while this worker holds the claim and the current step is due now. */
    public boolean isRunnable() {
        return claimToken != null && !claimLost && !state.isTerminal() && nextAttemptAt != null
                && !nextAttemptAt.isAfter(clock.instant()) && stepsThisClaim < MAX_STEPS_PER_CLAIM;
    }

    /** A command parameter by dotted path, e.g. {@code alibaba.custSpaceId}; null when absent. */
    public String param(String path) {
        JsonNode node = params;
        for (String part : path.split("\\.")) {
            node = node == null ? null : node.get(part);
        }
        return node == null || node.isNull() ? null : node.asText();
    }

    public String param(String path, String fallback) {
        String value = param(path);
        return value == null ? fallback : value;
    }

    /** A non-secret provider id recorded by an earlier step, e.g. the intent id. */
    public String result(String name) {
        JsonNode node = result.get(name);
        return node == null || node.isNull() ? null : node.asText();
    }

    public String secret(String name) {
        return secrets.get(name);
    }

    public boolean hasSecret(String name) {
        return secrets.containsKey(name);
    }

    /** Forgets a secret; the change is saved with the step's outcome. */
    public void forgetSecret(String name) {
        secrets.remove(name);
    }

    /** A control counter (e.g. wrong codes in a row); 0 when not set. */
    public int counter(String name) {
        JsonNode node = control.get(name);
        return node == null ? 0 : node.asInt();
    }

    /** Sets a control counter, saved with the step's outcome; 0 removes it. */
    public void setCounter(String name, int value) {
        if (value == 0) {
            control.remove(name);
        } else {
            control.put(name, value);
        }
    }

    /** A control flag (e.g. a code request in doubt); false when not set. */
    public boolean flag(String name) {
        JsonNode node = control.get(name);
        return node != null && node.asBoolean();
    }

    /** Sets or clears a control flag, saved with the step's outcome. */
    public void setFlag(String name, boolean on) {
        if (on) {
            control.put(name, true);
        } else {
            control.remove(name);
        }
    }

    /** A control value (e.g. the step to come back to); null when not set. */
    public String mark(String name) {
        JsonNode node = control.get(name);
        return node == null || node.isNull() ? null : node.asText();
    }

    /** Sets a control value, saved with the step's outcome; null removes it. */
    public void setMark(String name, String value) {
        if (value == null) {
            control.remove(name);
        } else {
            control.put(name, value);
        }
    }

    public Instant now() {
        return clock.instant();
    }

    /** Hands each non-secret provider id recorded so far to {@code action}, in the order they were recorded. */
    public void forEachResult(BiConsumer<String, String> action) {
        result.fields().forEachRemaining(e -> action.accept(e.getKey(), e.getValue().asText()));
    }

    // ---- what the engine reads of a claim (not persisted)

    String getClaimToken() {
        return claimToken;
    }

    /** Steps recorded since this worker claimed the migration. */
    int getStepsThisClaim() {
        return stepsThisClaim;
    }

    /** True once this copy may no longer be written: the row moved on, or a write's fate is unknown. */
    boolean isClaimLost() {
        return claimLost;
    }

    /**
     * A call that is not safe to repeat was begun by a worker that still holds the migration: the number may be
     * moving at the provider right now.
     */
    boolean hasCallInFlight(Instant now) {
        return pendingCall != null && claimOwner != null && claimedUntil != null && claimedUntil.isAfter(now);
    }

    // ---- transitions: every change of the persisted state goes through one of these

    /**
     * A step finished, whatever its outcome: counts it against this claim's turn. No call is in flight any more;
     * whether one is still in doubt ({@code pendingCall}) is for the outcome to say.
     */
    void stepEnded() {
        stepsThisClaim++;
        callInFlight = false;
    }

    /**
     * The current step succeeded: keeps what it found, and any wait, doubt about a call, or last error is over.
     * The state and step stay until {@link #moveTo} or {@link #complete}, so the step's event names the step.
     */
    void stepSucceeded(Map<String, String> found, Map<String, String> newSecrets) {
        found.forEach(result::put);
        secrets.putAll(newSecrets);
        clearWait();
        pendingCall = null;
        lastError = null;
    }

    /** Runs {@code next} now, from its first attempt, under the same claim. */
    void moveTo(String next, Instant now) {
        state = MigrationState.RUNNING;
        step = next;
        attempt = 0;
        // a migration already due keeps its due time: next_attempt_at is indexed, and an unchanged one lets a step's
        // write leave every index alone (V14). One that used up its steps for this claim goes behind the others due.
        if (nextAttemptAt == null || nextAttemptAt.isAfter(now) || stepsThisClaim >= MAX_STEPS_PER_CLAIM) {
            nextAttemptAt = now;
        }
    }

    /** The flow's last step succeeded: nothing more is due, and the claim is given back. */
    void complete() {
        state = MigrationState.COMPLETED;
        nextAttemptAt = null;
        releaseClaim();
    }

    /**
     * Parks to wait for input until {@code nextCheckAt} (or, without one, {@code expiresAt}); the claim is given back.
     *
     * @return true when this starts a wait, false when the migration already waited for the same kind of input
     */
    boolean awaitInput(Awaiting kind, String reason, Instant expires, Instant nextCheckAt) {
        boolean alreadyWaiting = state == MigrationState.AWAITING_INPUT && awaiting == kind;
        state = MigrationState.AWAITING_INPUT;
        awaiting = kind;
        awaitingReason = reason;
        expiresAt = expires;
        nextAttemptAt = nextCheckAt != null ? nextCheckAt : expires;
        releaseClaim();
        return !alreadyWaiting;
    }

    /** The step failed for now: one more attempt at {@code at}; the claim is given back meanwhile. */
    void retryAt(Instant at, String error) {
        state = MigrationState.RUNNING;
        attempt++;
        lastError = error;
        nextAttemptAt = at;
        releaseClaim();
    }

    /**
     * Goes to {@code target} now (back to a wait, or on to a step out of order), keeping {@code newSecrets}. A wait
     * ends, but its {@code expiresAt} stays: going back to a wait does not restart its clock.
     *
     * @param error what sent it there, or null
     */
    void jumpTo(String target, Map<String, String> newSecrets, String error, Instant now) {
        secrets.putAll(newSecrets);
        awaiting = null;
        awaitingReason = null;
        pendingCall = null;
        lastError = error;
        moveTo(target, now);
    }

    /** Stops for a person: nothing is due until a {@code ResumeMigration}; the claim is given back. */
    void askPerson(String reason, String error) {
        state = MigrationState.AWAITING_INPUT;
        awaiting = Awaiting.HUMAN_ACTION;
        awaitingReason = reason;
        expiresAt = null;
        lastError = error;
        nextAttemptAt = null;
        releaseClaim();
    }

    /** The step a later {@code ResumeMigration} starts from, when it is not the current one. */
    void resumeAt(String target) {
        step = target;
    }

    /** Failed for good: nothing is due, any wait is over, and the claim is given back. */
    void fail(String error) {
        state = MigrationState.FAILED;
        lastError = error;
        nextAttemptAt = null;
        clearWait();
        releaseClaim();
    }

    /** Cancelled by a command: nothing is due and no worker holds it; the reason is kept where a wait's would be. */
    void cancel(String reason) {
        state = MigrationState.CANCELLED;
        awaiting = null;
        awaitingReason = reason;
        nextAttemptAt = null;
        releaseClaim();
    }

    /**
     * A person resumed it: the current step runs again now, from its first attempt.
     *
     * @param callReadsBack whether the step can read a call in doubt back; when it cannot, the person checked the
     *                      provider's side, so the doubt is dropped
     */
    void resume(boolean callReadsBack, Instant now) {
        attempt = 0;
        if (pendingCall != null && !callReadsBack) {
            pendingCall = null;
        }
        lastError = null;
        wake(now);
    }

    /** A verification code arrived: kept as a secret, and the wait ends now. */
    void codeSubmitted(String code, Instant now) {
        secrets.put(CodeWait.CODE, code);
        wake(now);
    }

    /** A new code was asked for: back to {@code requestStep}, the step that requests one, now. */
    void codeRequestedAgain(String requestStep, Instant now) {
        step = requestStep;
        wake(now);
    }

    /**
     * A call that is not safe to repeat is about to be sent for the current step: until a definite answer, its
     * effect is in doubt.
     *
     * @return the call that was pending before, for {@link #callNotSent}
     */
    String callStarting() {
        String before = pendingCall;
        pendingCall = step;
        callInFlight = true;
        return before;
    }

    /** The call marked by {@link #callStarting} was not sent after all. */
    void callNotSent(String pendingBefore) {
        pendingCall = pendingBefore;
        callInFlight = false;
    }

    /** The step whose call the row, as last written, says is in doubt (not safe to repeat, no answer yet); or null. */
    String rowCallInDoubt() {
        return writtenPendingCall;
    }

    /** What this claim recorded that is not written yet, or null. */
    StepRecorder.Unwritten unwritten() {
        return unwritten;
    }

    void unwritten(StepRecorder.Unwritten steps) {
        unwritten = steps;
    }

    /** This copy may no longer be written (see {@link #isClaimLost}). */
    void loseClaim() {
        claimLost = true;
    }

    /** The claim was given back (or was never this copy's to keep). */
    void releaseClaim() {
        claimOwner = null;
        claimToken = null;
        claimedUntil = null;
    }

    /** The heartbeat moved the lease on; the next write keeps it (a stale end would let the lease run out). */
    void claimExtended(Instant until) {
        if (claimToken != null) {
            claimedUntil = until;
        }
    }

    /** Starts the clock of the step about to run. */
    void stepStarting() {
        stepStartedNanos = System.nanoTime();
    }

    /** How long the step took since {@link #stepStarting}; null when its clock was not started. Stops the clock. */
    java.time.Duration stepTook() {
        if (stepStartedNanos == 0) {
            return null;
        }
        java.time.Duration took = java.time.Duration.ofNanos(System.nanoTime() - stepStartedNanos);
        stepStartedNanos = 0;
        return took;
    }

    /** Due now, no longer waiting. */
    private void wake(Instant now) {
        state = MigrationState.RUNNING;
        awaiting = null;
        awaitingReason = null;
        nextAttemptAt = now;
    }

    private void clearWait() {
        awaiting = null;
        awaitingReason = null;
        expiresAt = null;
    }

    @Override
    public String toString() {
        return "Migration[" + migrationId + " " + flow + " " + state + " at " + step + " attempt " + attempt + "]";
    }

    /** The persisted fields of a migration row, as the store reads and writes them. */
    public record Row(String migrationId, String flow, String countryCode, String nationalNumber, String phoneE164,
                      String batchId, MigrationState state, String step, int attempt, ObjectNode params, Map<String, String> secrets,
                      ObjectNode control, ObjectNode result, Awaiting awaiting, String awaitingReason, Instant expiresAt, String lastError,
                      String pendingCall, Instant nextAttemptAt, String claimOwner, String claimToken,
                      Instant claimedUntil, long version) {
    }

    /** This migration's persisted fields, to be written. */
    public Row row() {
        return new Row(migrationId, flow, countryCode, nationalNumber, phoneE164, batchId, state, step, attempt, params,
                new HashMap<>(secrets), control.deepCopy(), result, awaiting, awaitingReason, expiresAt, lastError, pendingCall,
                nextAttemptAt, claimOwner, claimToken, claimedUntil, version);
    }

    /**
     * A new migration, as a {@code StartMigration} makes it: RUNNING at its flow's first step, nothing recorded yet.
     * The store gives it its version and due time when it inserts the row ({@link #inserted}).
     */
    static Migration start(String migrationId, String flow, String firstStep, String countryCode,
                           String nationalNumber, String batchId, ObjectNode params, Map<String, String> secrets, ObjectNode result,
                           Clock clock) {
        Migration m = new Migration();
        m.clock = clock;
        m.migrationId = migrationId;
        m.flow = flow;
        m.countryCode = countryCode;
        m.nationalNumber = nationalNumber;
        m.phoneE164 = countryCode + nationalNumber;
        m.batchId = batchId;
        m.state = MigrationState.RUNNING;
        m.step = firstStep;
        m.params = params;
        m.secrets.putAll(secrets);
        m.result = result;
        return m;
    }

    /**
     * What a {@code CheckMigration} reads with: a migration that is never stored nor run, built from the command's
     * fields without its secrets (a PIN in the command is dropped, never read).
     */
    public static Migration forCheck(String commandId, String flow, String countryCode, String nationalNumber,
                                     ObjectNode params, Clock clock) {
        ObjectNode copy = params.deepCopy();
        if (copy.path("meta").isObject()) {
            ((ObjectNode) copy.get("meta")).remove("pin");
        }
        return start("check-" + commandId, flow, "preflight", countryCode, nationalNumber, null, copy, Map.of(),
                JsonNodeFactory.instance.objectNode(), clock);
    }

    /** A migration as read from its row; {@code clock} tells it when a step is due. */
    public static Migration of(Row row, Clock clock) {
        Migration m = new Migration();
        m.clock = clock;
        m.migrationId = row.migrationId();
        m.flow = row.flow();
        m.countryCode = row.countryCode();
        m.nationalNumber = row.nationalNumber();
        m.phoneE164 = row.phoneE164();
        m.batchId = row.batchId();
        m.state = row.state();
        m.step = row.step();
        m.attempt = row.attempt();
        m.params = row.params();
        m.secrets = new HashMap<>(row.secrets());
        m.control = row.control().deepCopy();
        m.result = row.result();
        m.awaiting = row.awaiting();
        m.awaitingReason = row.awaitingReason();
        m.expiresAt = row.expiresAt();
        m.lastError = row.lastError();
        m.pendingCall = row.pendingCall();
        m.writtenPendingCall = row.pendingCall();
        m.nextAttemptAt = row.nextAttemptAt();
        m.claimOwner = row.claimOwner();
        m.claimToken = row.claimToken();
        m.claimedUntil = row.claimedUntil();
        m.version = row.version();
        return m;
    }

    /** The store inserted the row: it starts at version 0, due at once. */
    public void inserted(Instant now) {
        version = 0;
        nextAttemptAt = now;
    }

    /**
     * The row holds these secrets sealed as {@code sealed} under the current key: until the secrets change, a write
     * keeps that value instead of sealing them again.
     */
    public void secretsStored(String sealed, Map<String, String> opened) {
        storedSealed = sealed;
        storedSecrets = new HashMap<>(opened);
    }

    /** The sealed value the row holds for the current secrets, or null when they changed since (or were never sealed). */
    public String storedSealedSecrets() {
        return storedSecrets != null && storedSecrets.equals(secrets) ? storedSealed : null;
    }

    /** The store wrote this migration over the version it was read at. */
    public void updated() {
        version++;
        writtenPendingCall = pendingCall;
    }
}
