package dev.wabamigrator.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * One migration as the step routes see it: loaded from its row when claimed, carried in the exchange
 * property {@code migration}, and written back by {@link StepRecorder}. Secrets are held decrypted only here,
 * never logged ({@link #toString()} leaves them out). What a step must remember across runs that is not a secret
 * (counters, flags) is its control state, a plain JSON object in the {@code control} column that operators can read.
 */
public final class Migration {
    /** Steps one claim may run before the worker lets other migrations have a turn. */
    static final int MAX_STEPS_PER_CLAIM = 50;

    String migrationId;
    String flow;
    String countryCode;
    String nationalNumber;
    String phoneE164;
    MigrationState state;
    String step;
    int attempt;
    ObjectNode params;
    Map<String, String> secrets = new HashMap<>();
    ObjectNode control = JsonNodeFactory.instance.objectNode();
    ObjectNode result;
    Awaiting awaiting;
    String awaitingReason;
    Instant expiresAt;
    String lastError;
    String pendingCall;
    Instant nextAttemptAt;
    String claimOwner;
    String claimToken;
    /** Written by the heartbeat as well as by the worker. */
    volatile Instant claimedUntil;
    long version;

    // per claim, not persisted
    /** A call that is not safe to repeat was sent and no definite answer has come back yet. */
    volatile boolean callInFlight;
    int stepsThisClaim;
    boolean claimLost;
    long stepStartedNanos;
    Clock clock = Clock.systemUTC();

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

    /** The fields every migration event carries. */
    public dev.wabamigrator.event.MigrationEvents.Snapshot snapshot() {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        result.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
        return new dev.wabamigrator.event.MigrationEvents.Snapshot(migrationId, flow, countryCode, nationalNumber,
                phoneE164, state.name(), step, attempt, values);
    }

    @Override
    public String toString() {
        return "Migration[" + migrationId + " " + flow + " " + state + " at " + step + " attempt " + attempt + "]";
    }

    /** The persisted fields of a migration row, as the store reads and writes them. */
    public record Row(String migrationId, String flow, String countryCode, String nationalNumber, String phoneE164,
                      MigrationState state, String step, int attempt, ObjectNode params, Map<String, String> secrets,
                      ObjectNode control, ObjectNode result, Awaiting awaiting, String awaitingReason, Instant expiresAt, String lastError,
                      String pendingCall, Instant nextAttemptAt, String claimOwner, String claimToken,
                      Instant claimedUntil, long version) {
    }

    /** This migration's persisted fields, to be written. */
    public Row row() {
        return new Row(migrationId, flow, countryCode, nationalNumber, phoneE164, state, step, attempt, params,
                new HashMap<>(secrets), control.deepCopy(), result, awaiting, awaitingReason, expiresAt, lastError, pendingCall,
                nextAttemptAt, claimOwner, claimToken, claimedUntil, version);
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

    /** The store wrote this migration over the version it was read at. */
    public void updated() {
        version++;
    }
}
