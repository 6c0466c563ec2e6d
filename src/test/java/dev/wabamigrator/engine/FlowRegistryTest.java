package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

/** The flows come from the flow routes when Camel starts, and a flow with a step that has no route stops the start. */
class FlowRegistryTest {

    @Test
    void reads_each_flow_route_as_its_steps_in_order() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            FlowRegistry flows = new FlowRegistry(context);
            context.addService(flows);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:acme-port").routeId("acme-port").group(FlowRegistry.GROUP)
                            .to("direct:acme-port-check").to("direct:acme-port-register");
                    from("direct:acme-port-register").routeId("acme-port-register").log("register");
                    from("direct:acme-port-check").routeId("acme-port-check").log("check");
                }
            });
            context.start();

            assertThat(flows.names()).containsExactly("ACME_PORT");
            assertThat(flows.get("ACME_PORT").steps()).containsExactly("check", "register");
            assertThat(flows.isFlowRoute("acme-port")).isTrue();
            assertThat(flows.isFlowRoute("acme-port-check")).isFalse();
        }
    }

    @Test
    void refuses_to_start_when_a_step_has_no_route() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.addService(new FlowRegistry(context));
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:acme-port").routeId("acme-port").group(FlowRegistry.GROUP)
                            .to("direct:acme-port-check").to("direct:acme-port-register");
                    from("direct:acme-port-check").routeId("acme-port-check").log("check");
                }
            });

            assertThatThrownBy(context::start).hasStackTraceContaining(
                    "flow route acme-port has step acme-port-register but no route consumes direct:acme-port-register");
        }
    }
}
