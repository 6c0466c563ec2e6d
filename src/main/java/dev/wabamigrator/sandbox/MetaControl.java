package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.GraphErrors.json;
import static dev.wabamigrator.sandbox.GraphErrors.obj;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.sandbox.MetaState.NumberState;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The control endpoints of the Graph sandbox ({@code /meta-sandbox/...}, no auth): what a test or an operator does in
 * place of the customer, the number's owner or the clock. See {@code docs/sandbox.md}.
 */
final class MetaControl {

    private final MetaState state;
    private final MetaGraph graph;
    private final SandboxResponder responder;

    MetaControl(MetaState state, MetaGraph graph, SandboxResponder responder) {
        this.state = state;
        this.graph = graph;
        this.responder = responder;
    }

    SandboxReply answer(GraphRequest req) {
        List<String> s = req.segments;
        String m = req.method;
        String first = s.isEmpty() ? "" : s.get(0);
        if (m.equals("GET") && s.size() == 1 && first.equals("stats")) {
            ObjectNode out = obj();
            out.set("calls", SandboxHttp.JSON.valueToTree(state.calls.snapshot()));
            out.put("held", responder.heldCount());
            return json(200, out);
        }
        if (m.equals("GET") && s.size() == 2 && first.equals("codes")) {
            String code;
            synchronized (state.lock) {
                code = graph.codes.pendingCode(s.get(1));
            }
            return code != null ? json(200, obj().put("phone_number_id", s.get(1)).put("code", code))
                    : json(404, obj().put("error", "no code requested for " + s.get(1)));
        }
        if (m.equals("POST") && s.size() == 3 && first.equals("intents")
                && (s.get(2).equals("accept") || s.get(2).equals("reject"))) {
            synchronized (state.lock) {
                if (!graph.intents.decide(s.get(1), s.get(2).equals("accept"))) {
                    return json(404, obj().put("error", "unknown intent " + s.get(1)));
                }
                ObjectNode out = obj().put("id", s.get(1)).put("status", state.intents.get(s.get(1)).status);
                String destination = state.intents.get(s.get(1)).destinationWaba;
                if (destination != null && !req.params.isEmpty()) {
                    // facts of the new destination WABA, set before any read of it can see the defaults
                    out.set("destination_waba", state.facts.setWaba(destination, req));
                }
                return json(200, out);
            }
        }
        if (m.equals("POST") && s.size() == 1) {
            switch (first) {
                case "release":
                    return json(200, obj().put("released", responder.release(null)));
                case "reset":
                    reset();
                    return json(200, obj().put("success", true));
                case "usage":
                    state.appUsagePercent = Integer.parseInt(req.param("percent", "0"));
                    return json(200, obj().put("percent", state.appUsagePercent));
                case "latency":
                    responder.setLatency(Duration.ofMillis(Long.parseLong(req.param("ms", "0"))));
                    return json(200, obj().put("ms", responder.latency().toMillis()));
                case "page-size":
                    return pageSize(req);
                case "faults":
                    return fault(req);
                case "numbers":
                    return seed(req);
                default:
                    break;
            }
        }
        if (s.size() >= 2 && first.equals("numbers")) {
            SandboxReply reply = number(m, s, req);
            if (reply != null) {
                return reply;
            }
        }
        synchronized (state.lock) {
            SandboxReply facts = state.facts.control(req); // preflight's facts: wabas/{id}/facts, numbers/{e164}/facts
            if (facts != null) {
                return facts;
            }
            SandboxReply templates = state.templates.control(req); // templates, wabas/{id}/templates|business
            if (templates != null) {
                return templates;
            }
        }
        return json(404, obj().put("error", "unknown sandbox control endpoint " + m + " /" + String.join("/", s)));
    }

    /** Forgets all state, counters and scripts; held responses are released first. */
    void reset() {
        responder.release(null);
        synchronized (state.lock) {
            graph.faults.clear();
        }
        state.clear();
        responder.setLatency(state.config.latency());
    }

    private SandboxReply seed(GraphRequest req) {
        String waba = req.param("waba_id");
        String cc = req.param("cc");
        String national = req.param("phone_number");
        if (waba == null || cc == null || national == null) {
            return json(400, obj().put("error", "waba_id, cc and phone_number are required"));
        }
        synchronized (state.lock) {
            return json(200, obj().put("id", graph.phoneNumbers.addSource(waba, cc, national, req.param("verified_name"))));
        }
    }

    private SandboxReply pageSize(GraphRequest req) {
        int size = Integer.parseInt(req.param("size", "0"));
        if (size < 1) {
            return json(400, obj().put("error", "size must be >= 1"));
        }
        state.pageSize = size;
        return json(200, obj().put("size", size));
    }

    /** {@code operation}, {@code key}, {@code fault}, {@code times} (1), {@code after_effect} (false). */
    private SandboxReply fault(GraphRequest req) {
        String op = req.param("operation");
        String key = req.param("key");
        String fault = req.param("fault", "");
        int times = Integer.parseInt(req.param("times", "1"));
        if (op == null || key == null || times < 1) {
            return json(400, obj().put("error", "operation, key and fault are required; times >= 1"));
        }
        MetaSandbox.Fault f;
        try {
            f = MetaSandbox.Fault.valueOf(fault.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return json(400, obj().put("error", "unknown fault " + fault));
        }
        boolean afterEffect = Boolean.parseBoolean(req.param("after_effect", "false"));
        synchronized (state.lock) {
            graph.faults.add(op, key, f, afterEffect, times);
        }
        return json(200, obj().put("scripted", times));
    }

    private SandboxReply number(String m, List<String> s, GraphRequest req) {
        String e164 = MetaState.digits(s.get(1));
        if (m.equals("GET") && s.size() == 2) {
            synchronized (state.lock) {
                ObjectNode out = obj();
                ArrayNode data = out.putArray("data");
                Set<String> all = Set.of("id", "display_phone_number", "verified_name", "status",
                        "code_verification_status", "waba_id");
                state.phones.values().stream().filter(p -> p.e164.equals(e164))
                        .forEach(p -> data.add(MetaPhoneNumbers.phoneJson(p, all)));
                NumberState n = state.numbers.get(e164);
                out.put("register_calls_in_window", n == null ? 0 : n.budgetCalls.size());
                out.put("two_step_disabled", n != null && n.twoStepDisabled);
                return json(200, out);
            }
        }
        if (m.equals("POST") && s.size() == 3 && s.get(2).equals("disable-two-step")) {
            synchronized (state.lock) {
                graph.register.disableTwoStep(e164);
            }
            return json(200, obj().put("success", true));
        }
        if (m.equals("POST") && s.size() == 3 && s.get(2).equals("pin")) {
            synchronized (state.lock) {
                graph.register.setPin(e164, req.param("pin"));
            }
            return json(200, obj().put("success", true));
        }
        return null;
    }
}
