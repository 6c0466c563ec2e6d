package dev.wabamigrator.engine;

import org.apache.camel.CamelContext;

/**
 * Picks the route for a claimed migration's current step. A non-idempotent call that was started but never
 * recorded (the process died mid-call) goes to {@code <step-route>-reconcile}, which reads the provider's state;
 * a step without one parks for a person rather than guess (design.md §3 rule 2).
 */
public final class StepDispatcher {
    public static final String UNRECONCILABLE = "direct:unreconcilable-call";

    private final CamelContext context;

    public StepDispatcher(CamelContext context) {
        this.context = context;
    }

    /** The endpoint to run now; also starts the step's clock. */
    public String endpoint(Migration m) {
        m.stepStartedNanos = System.nanoTime();
        String route = m.getStepRoute();
        if (m.pendingCall != null && m.pendingCall.equals(m.step)) {
            String reconcile = route + "-reconcile";
            return context.getRoute(reconcile) != null ? "direct:" + reconcile : UNRECONCILABLE;
        }
        return "direct:" + route;
    }
}
