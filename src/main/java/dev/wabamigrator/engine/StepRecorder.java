package dev.wabamigrator.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.event.MigrationEvents.Details;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.StepHistory;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a step's outcome: the migration's new state and its events, in one transaction. A migration that
 * waits gives its claim back here, so a parked migration holds no thread and no memory.
 */
public final class StepRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(StepRecorder.class);
    /** The error code of every outcome that leaves a call's effect in doubt. */
    public static final String CALL_OUTCOME_UNKNOWN = "CALL_OUTCOME_UNKNOWN";
    /** The flow whose completion owes a templates report of its cams space (alibaba-template-reports route). */
    static final String TEMPLATE_REPORT_FLOW = "ALIBABA_CHATAPP";

    private final MigrationStore store;
    private final MigrationEvents events;
    private final FlowRegistry flows;
    private final RetryPolicy retryPolicy;
    private final ObjectMapper json;
    private final Clock clock;
    private final EngineMetrics metrics;

    public StepRecorder(MigrationStore store, MigrationEvents events, FlowRegistry flows, RetryPolicy retryPolicy,
                        ObjectMapper json, Clock clock, EngineMetrics metrics) {
        this.store = store;
        this.events = events;
        this.flows = flows;
        this.retryPolicy = retryPolicy;
        this.json = json;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Records what a step route returned. */
    public void record(Migration m, Object outcome) {
        if (!(outcome instanceof StepOutcome stepOutcome)) {
            throw new IllegalStateException("step route " + m.getStepRoute() + " returned "
                    + (outcome == null ? "nothing" : outcome.getClass().getName()) + " instead of a StepOutcome");
        }
        apply(m, stepOutcome);
    }

    /** Records an exception that escaped a step (after any redelivery): retry later, or ask a person. */
    public void recordFailure(Migration m, Throwable failure) {
        if (m.isClaimLost()) {
            LOG.warn("migration {} not recorded ({}); it runs again from its last recorded step once its claim runs out",
                    m.getMigrationId(), failure.toString());
            return;
        }
        LOG.warn("migration {} step {} failed: {}", m.getMigrationId(), m.getStep(), failure.toString());
        apply(m, retryPolicy.outcomeForFailure(failure, m));
    }

    private void apply(Migration m, StepOutcome outcome) {
        Instant now = clock.instant();
        String finishedStep = m.getStep();
        int finishedAttempt = m.getAttempt();
        MigrationState before = m.getState();
        List<OutboxEvent> out = new ArrayList<>(2);
        String templateReportSpace = null;
        // pendingCall stays as it is unless the step succeeded or moved on: it is cleared only by a definite
        // answer to the call (Migration.callAnswered); a failed read-back keeps the doubt for the next run
        m.stepEnded();
        if (outcome instanceof StepOutcome.Succeeded s) {
            m.stepSucceeded(s.result(), s.secrets());
            String next = s.nextStep() != null ? s.nextStep()
                    : flows.get(m.getFlow()).next(m.getStep()).orElse(null);
            out.add(event(EventTypes.STEP_SUCCEEDED, m, Details.none(), now));
            if (s.report() != null) {
                out.add(events.migrationReport(s.report().eventType(), m, s.report().data(), now));
            }
            if (next == null) {
                m.complete();
                out.add(event(EventTypes.COMPLETED, m, Details.none(), now));
                // ALIBABA_CHATAPP's templates report trails the migration: owed from now, listed off its path
                if (TEMPLATE_REPORT_FLOW.equals(m.getFlow())) {
                    templateReportSpace = m.param("alibaba.custSpaceId");
                }
            } else {
                m.moveTo(next, now);
            }
        } else if (outcome instanceof StepOutcome.Await a) {
            if (m.awaitInput(a.awaiting(), a.reason(), a.expiresAt(), a.nextCheckAt())) {
                out.add(event(EventTypes.AWAITING_INPUT, m,
                        Details.none().awaiting(a.awaiting(), a.reason(), a.expiresAt()), now));
            }
        } else if (outcome instanceof StepOutcome.RetryLater r) {
            m.retryAt(r.at(), errorJson(r.error()));
            metrics.retryScheduled(m.getFlow(), m.getStep(), r.error());
            out.add(event(EventTypes.STEP_RETRY_SCHEDULED, m,
                    Details.none().error(r.error()).nextAttemptAt(r.at()), now));
        } else if (outcome instanceof StepOutcome.GoTo g) {
            flows.get(m.getFlow()).requireStep(g.step()); // fails fast on a step the flow does not have
            m.jumpTo(g.step(), g.secrets(), g.error() == null ? null : errorJson(g.error()), now);
        } else if (outcome instanceof StepOutcome.NeedsHuman h) {
            m.askPerson(h.reason(), h.error() == null ? null : errorJson(h.error()));
            if (h.error() != null) {
                metrics.providerError(m.getFlow(), m.getStep(), h.error());
            }
            out.add(event(EventTypes.AWAITING_INPUT, m,
                    Details.none().error(h.error()).awaiting(Awaiting.HUMAN_ACTION, h.reason(), null), now));
        } else if (outcome instanceof StepOutcome.Failed f) {
            m.fail(errorJson(f.error()));
            metrics.providerError(m.getFlow(), m.getStep(), f.error());
            out.add(event(EventTypes.FAILED, m, Details.none().error(f.error()), now));
        }
        java.time.Duration took = m.stepTook();
        StepHistory.Attempt attempt = new StepHistory.Attempt(finishedStep, finishedAttempt, outcome, took,
                m.getState().name(), now);
        if (outcome instanceof StepOutcome.Succeeded && m.getClaimToken() != null && !m.isClaimLost()) {
            // the migration goes on under this claim: the success is written with the claim's next write (the next
            // call's begin, the next outcome, or the end of the turn), one transaction instead of two. Until then a
            // crash runs this step again, as it would a step whose answer the crash cut off.
            Unwritten unwritten = m.unwritten() != null ? m.unwritten() : new Unwritten();
            unwritten.events.addAll(out);
            unwritten.attempts.add(attempt);
            if (templateReportSpace != null) {
                unwritten.templateReportSpace = templateReportSpace;
            }
            m.unwritten(unwritten);
            recorded(m, finishedStep, outcome, took, before);
            return;
        }
        boolean written;
        try {
            written = write(m, out, attempt, templateReportSpace, now);
        } catch (RuntimeException e) {
            // the write failed (database gone mid-transaction): our copy is now ahead of the row (next step, version),
            // so nothing more may be written from it; the claim runs out and the step runs again from the row
            m.loseClaim();
            throw e;
        }
        if (!written) {
            // a command (cancel) or another worker changed the row: our copy is stale, stop here
            m.loseClaim();
            LOG.info("migration {} changed under step {}; this worker stops", m.getMigrationId(), finishedStep);
            return;
        }
        recorded(m, finishedStep, outcome, took, before);
    }

    private void recorded(Migration m, String finishedStep, StepOutcome outcome, java.time.Duration took,
                          MigrationState before) {
        metrics.stepFinished(m.getFlow(), finishedStep, outcome);
        if (took != null) {
            metrics.stepDuration(m.getFlow(), finishedStep, took);
        }
        LOG.info("migration {} step {} -> {} {} ({})", m.getMigrationId(), finishedStep, m.getState(), m.getStep(),
                outcome.getClass().getSimpleName());
        if (before != m.getState() && m.getState().isTerminal()) {
            metrics.terminal(m.getFlow(), m.getState());
        }
    }

    /**
     * Writes the migration with what this claim recorded and did not write yet, in one transaction; the unwritten
     * outcomes are gone from the copy either way (a failed write leaves the copy unusable, see the callers).
     */
    private boolean write(Migration m, List<OutboxEvent> out, StepHistory.Attempt attempt, String templateReportSpace,
                          Instant now) {
        Unwritten unwritten = m.unwritten();
        m.unwritten(null);
        if (unwritten == null) {
            return store.save(m, out, attempt == null ? List.of() : List.of(attempt), templateReportSpace, now);
        }
        unwritten.events.addAll(out);
        if (attempt != null) {
            unwritten.attempts.add(attempt);
        }
        return store.save(m, unwritten.events, unwritten.attempts,
                templateReportSpace != null ? templateReportSpace : unwritten.templateReportSpace, now);
    }

    /**
     * Before a call that is safe to repeat: when an outcome not written yet settles a call the row still has in doubt
     * and that call cannot be read back (a code request, a step without a reconcile route), it is written now, so
     * that a crash during this call never leaves that doubt behind. A doubt that is read back may stay: a crash now
     * reads the provider's state back, as after a crash inside that call.
     */
    public void beforeSafeCall(Migration m) {
        if (m.unwritten() != null && m.rowCallInDoubt() != null && !m.isClaimLost()
                && !flows.readsBack(m.getFlow(), m.rowCallInDoubt())) {
            writeOrStop(m, clock.instant());
        }
    }

    /**
     * The worker's turn ends (the migration is not due now, or had its share of steps): what this claim did not write
     * yet is written, and the claim given back with it, in one transaction.
     */
    public void endTurn(Migration m) {
        if (m.unwritten() == null || m.isClaimLost()) {
            m.unwritten(null);
            return;
        }
        m.releaseClaim();
        try {
            writeOrStop(m, clock.instant());
        } catch (RuntimeException e) {
            // the turn ends all the same: the claim runs out, and the steps not written run again from the row
            LOG.warn("migration {}: the steps of this turn could not be written ({}); they run again once its claim"
                    + " runs out", m.getMigrationId(), e.toString());
        }
    }

    private void writeOrStop(Migration m, Instant now) {
        boolean written;
        try {
            written = write(m, List.of(), null, null, now);
        } catch (RuntimeException e) {
            m.loseClaim(); // as in apply: the copy is ahead of the row; the claim runs out
            throw e;
        }
        if (!written) {
            m.loseClaim();
            throw new IllegalStateException("migration " + m.getMigrationId() + " changed under its worker at step "
                    + m.getStep());
        }
    }

    /** Step outcomes recorded in memory and not written yet: their events and step history rows, in order. */
    static final class Unwritten {
        final List<OutboxEvent> events = new ArrayList<>();
        final List<StepHistory.Attempt> attempts = new ArrayList<>();
        /** A completed ALIBABA_CHATAPP migration owes its templates report from the write that records it. */
        String templateReportSpace;
    }

    /** A non-idempotent call was started before a crash and this step cannot read the provider's state back. */
    public StepOutcome unreconcilable(Migration m) {
        return new StepOutcome.NeedsHuman(ProviderError.of("engine", CALL_OUTCOME_UNKNOWN,
                "the " + m.getStep() + " call was sent but its answer was lost in a restart", ErrorClass.NEEDS_HUMAN),
                "check with the provider whether " + m.getStep() + " took effect, then send ResumeMigration to repeat it");
    }

    /**
     * A call that is not safe to repeat got no definite answer (lost connection, 5xx, unreadable body): come back at
     * once to read its effect back, never resend blindly.
     */
    public StepOutcome outcomeUnknown(Migration m, Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && !(cause instanceof TransientProviderException)
                && !(cause instanceof java.io.IOException)) {
            cause = cause.getCause(); // a bean call wraps what the client threw
        }
        ProviderError answer = cause instanceof TransientProviderException t ? t.error() : null;
        String what = answer != null ? answer.provider() + " " + answer.code() : cause.getClass().getSimpleName();
        String traceId = answer != null ? answer.traceId() : null;
        return new StepOutcome.RetryLater(new ProviderError("engine", CALL_OUTCOME_UNKNOWN, "the " + m.getStep()
                + " call got no definite answer (" + what + "); its effect is read back before anything is sent "
                + "again", ErrorClass.TRANSIENT, null, traceId), clock.instant());
    }

    /**
     * Marks a call that is not safe to repeat as started: called by the call segment once its rate slot is granted,
     * right before the send (design §3 rule 2), on every send including redeliveries.
     */
    public void beginCall(Migration m) {
        String before = m.callStarting();
        boolean written;
        try {
            // with the outcomes before it that were not written yet: one transaction
            written = write(m, List.of(), null, null, clock.instant());
        } catch (RuntimeException e) {
            // nothing was sent, but the row may or may not say a call is pending (a commit cut off by the database):
            // write nothing more from this copy; the claim runs out and the step runs again from what the row says
            m.callNotSent(before);
            m.loseClaim();
            throw e;
        }
        if (!written) {
            m.loseClaim();
            throw new IllegalStateException("migration " + m.getMigrationId() + " changed before its " + m.getStep()
                    + " call");
        }
    }

    private OutboxEvent event(String type, Migration m, Details details, Instant now) {
        return events.migrationEvent(type, m, details, now);
    }

    private String errorJson(ProviderError error) {
        return events.error(error).toString();
    }
}
