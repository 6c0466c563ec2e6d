package dev.wabamigrator.engine;

import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;
import org.apache.camel.Route;

/**
 * Runs a claimed migration through its flow route (bean {@code flowPass}, used by {@code run-migration} and the
 * {@code flow-steps} route configuration). A pass sends only the migration's current step and, after a plain
 * success, the steps after it; a park or a jump ends the pass. A call that is not safe to repeat and was left in
 * doubt goes to {@code <step-route>-reconcile}, which reads the provider's state back; a step without one parks for a
 * person rather than guess (design.md §3 rule 2).
 *
 * <p>{@code flow-steps} uses it through plain Camel {@link Predicate}s and {@link Processor}s (beans
 * {@code flowPassTakesOver}, {@code flowPassPicksStep}, {@code flowPassNotesOutcome}) rather than bean-method
 * expressions: the interceptor asks on every send to any {@code direct:} endpoint, and a bean-method expression
 * copies the exchange and binds parameters by reflection each time.
 */
public final class FlowPass {
    public static final String UNRECONCILABLE = "direct:unreconcilable-call";
    /** Exchange property: the step endpoint being run now; while it is set, sends go where they are addressed. */
    static final String STEP_ENDPOINT = "stepEndpoint";
    /**
     * Exchange property: the step's failure hook, a bean and method ({@code metaSteps?method=readBackFailed}) that
     * turns a failure's classified outcome into the step's outcome (error-handling.camel.yaml); set by the step route.
     */
    static final String STEP_FAILURE = "stepFailure";
    /** Exchange property: set once the pass ended (a park or a jump). */
    static final String PASS_ENDED = "flowPassEnded";
    /** Exchange property: steps recorded in this claim when the pass started. */
    private static final String STEPS_AT_PASS_START = "flowPassStepsBefore";

    private final FlowRegistry flows;

    public FlowPass(FlowRegistry flows) {
        this.flows = flows;
    }

    /**
     * Starts a pass: sets the flow route to run ({@code flowRoute}). A step its flow does not have, or a pass that
     * ran no step, fails here like any step failure.
     */
    public void begin(Exchange exchange) {
        Migration m = exchange.getProperty("migration", Migration.class);
        FlowDefinition flow = flows.get(m.getFlow());
        flow.requireStep(m.getStep());
        Integer stepsBefore = exchange.getProperty(STEPS_AT_PASS_START, Integer.class);
        if (stepsBefore != null && stepsBefore == m.getStepsThisClaim()) {
            throw new IllegalStateException("flow route " + flow.route() + " ran no step for " + m.getMigrationId()
                    + " at step " + m.getStep());
        }
        exchange.setProperty(STEPS_AT_PASS_START, m.getStepsThisClaim());
        exchange.removeProperty(PASS_ENDED);
        exchange.removeProperty(STEP_ENDPOINT);
        exchange.setProperty("flowRoute", "direct:" + flow.route());
    }

    /** The {@code onWhen} of {@code flow-steps}: {@link #takesOver}. */
    public Predicate takesOverPredicate() {
        return this::takesOver;
    }

    /** Sets {@code stepEndpoint} to {@link #stepEndpoint}; removes it when this step does not run now. */
    public Processor picksStep() {
        return exchange -> exchange.setProperty(STEP_ENDPOINT, stepEndpoint(exchange));
    }

    /** Sets {@code flowPassEnded} to {@link #endsPass} of the outcome in the body. */
    public Processor notesOutcome() {
        return exchange -> exchange.setProperty(PASS_ENDED, endsPass(exchange.getMessage().getBody()));
    }

    /** True for a send made by a flow route itself (a step of the flow), not yet on its way to the step route. */
    public boolean takesOver(Exchange exchange) {
        Route route = exchange.getUnitOfWork() == null ? null : exchange.getUnitOfWork().getRoute();
        return route != null && exchange.getProperty(STEP_ENDPOINT) == null && flows.isFlowRoute(route.getRouteId());
    }

    /**
     * The endpoint to run for the flow's step {@code CamelInterceptedEndpoint}: null unless it is the migration's
     * current step, the pass goes on and the migration is still due; also starts the step's clock.
     */
    public String stepEndpoint(Exchange exchange) {
        Migration m = exchange.getProperty("migration", Migration.class);
        String stepRoute = FlowRegistry.directName(exchange.getProperty(Exchange.INTERCEPTED_ENDPOINT, String.class));
        if (exchange.getProperty(PASS_ENDED, false, Boolean.class) || !m.isRunnable() || !stepRoute.equals(m.getStepRoute())) {
            return null;
        }
        m.stepStarting();
        exchange.removeProperty(STEP_FAILURE); // a hook holds for the step run that set it only
        if (m.getPendingCall() != null && m.getPendingCall().equals(m.getStep())) {
            String reconcile = stepRoute + "-reconcile";
            return exchange.getContext().getRoute(reconcile) != null ? "direct:" + reconcile : UNRECONCILABLE;
        }
        return "direct:" + stepRoute;
    }

    /** Whether an outcome ends the pass: anything but a success that goes on to the flow's next step. */
    public boolean endsPass(Object outcome) {
        return !(outcome instanceof StepOutcome.Succeeded s && s.nextStep() == null);
    }
}
