package dev.wabamigrator.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.camel.CamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.ToDefinition;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The flows this instance runs, read at start-up from the flow routes (route group {@code flows}): a flow route
 * {@code meta-classic} is the flow {@code META_CLASSIC}, and its {@code to: direct:meta-classic-<step>} are its steps
 * in order. The start fails when a step has no route, so a flow never reaches a step it cannot run.
 */
public final class FlowRegistry extends ServiceSupport {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FlowRegistry.class);
    /** The route group of flow routes. */
    public static final String GROUP = "flows";

    private final CamelContext context;
    private volatile Map<String, FlowDefinition> flows = Map.of();
    private volatile Set<String> flowRoutes = Set.of();

    public FlowRegistry(CamelContext context) {
        this.context = context;
    }

    /** Flows given as they are, for an engine part used without Camel. */
    static FlowRegistry of(FlowDefinition... given) {
        FlowRegistry registry = new FlowRegistry(null);
        registry.use(java.util.Arrays.stream(given).collect(java.util.stream.Collectors.toMap(FlowDefinition::name,
                f -> f, (a, b) -> a, TreeMap::new)));
        return registry;
    }

    @Override
    protected void doStart() {
        List<RouteDefinition> routes = ((ModelCamelContext) context).getRouteDefinitions();
        // the created routes: a route template's instance has its endpoint resolved only there
        Map<String, RouteDefinition> byEndpoint = new HashMap<>();
        for (org.apache.camel.Route route : context.getRoutes()) {
            byEndpoint.put(directName(route.getEndpoint().getEndpointUri()), (RouteDefinition) route.getRoute());
        }
        Map<String, FlowDefinition> read = new TreeMap<>();
        for (RouteDefinition route : routes) {
            if (GROUP.equals(route.getGroup())) {
                FlowDefinition flow = read(route, byEndpoint);
                read.put(flow.name(), flow);
            }
        }
        use(read);
        LOG.info("flows read from the flow routes: {}", read.values().stream()
                .map(f -> f.name() + " " + f.steps()).toList());
    }

    private void use(Map<String, FlowDefinition> read) {
        flows = read;
        flowRoutes = read.values().stream().map(FlowDefinition::route).collect(java.util.stream.Collectors.toSet());
    }

    private static FlowDefinition read(RouteDefinition route, Map<String, RouteDefinition> byEndpoint) {
        String flowRoute = route.getRouteId();
        List<String> steps = new ArrayList<>();
        Map<String, Map<String, Object>> parameters = new LinkedHashMap<>();
        for (ProcessorDefinition<?> output : route.getOutputs()) {
            String stepRoute = output instanceof ToDefinition to ? directName(to.getUri()) : null;
            if (stepRoute == null || !stepRoute.startsWith(flowRoute + "-")) {
                throw new IllegalStateException("flow route " + flowRoute + " may only hold its steps, each a "
                        + "`to: direct:" + flowRoute + "-<step>`, not " + output);
            }
            RouteDefinition step = byEndpoint.get(stepRoute);
            if (step == null) {
                throw new IllegalStateException("flow route " + flowRoute + " has step " + stepRoute
                        + " but no route consumes direct:" + stepRoute);
            }
            String name = stepRoute.substring(flowRoute.length() + 1);
            steps.add(name);
            if (step.getTemplateParameters() != null) {
                parameters.put(name, step.getTemplateParameters());
            }
        }
        return new FlowDefinition(FlowDefinition.nameOf(flowRoute), steps, parameters);
    }

    /** {@code direct:meta-classic}, {@code direct://meta-classic?x=y} → {@code meta-classic}; null for other URIs. */
    static String directName(String uri) {
        if (uri == null || !uri.startsWith("direct:")) {
            return null;
        }
        String name = uri.substring("direct:".length());
        name = name.startsWith("//") ? name.substring(2) : name;
        int query = name.indexOf('?');
        return query < 0 ? name : name.substring(0, query);
    }

    @Override
    protected void doStop() {
        // nothing held
    }

    /** True for the route of a flow (not one of its steps). */
    public boolean isFlowRoute(String routeId) {
        return flowRoutes.contains(routeId);
    }

    public Optional<FlowDefinition> find(String name) {
        return Optional.ofNullable(flows.get(name));
    }

    public FlowDefinition get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown flow " + name));
    }

    public Set<String> names() {
        return flows.keySet();
    }

    /**
     * True when a call of {@code step} left in doubt is read back from the provider: the step has a reconcile route
     * ({@code <flow route>-<step>-reconcile}) and is not a code request, whose doubt cannot be read back (the code
     * wait goes on in doubt instead).
     */
    public boolean readsBack(String flowName, String step) {
        FlowDefinition flow = flows.get(flowName);
        if (flow == null || context == null || context.getRoute(flow.route() + "-" + step + "-reconcile") == null) {
            return false;
        }
        return flow.steps().stream().noneMatch(s -> flow.stepParameter(s, "requestStep").filter(step::equals)
                .isPresent());
    }
}
