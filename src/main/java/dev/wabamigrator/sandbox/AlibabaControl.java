package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.CamsReplies.control;

import com.sun.net.httpserver.HttpExchange;
import dev.wabamigrator.sandbox.CamsNumbers.NumberState;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The controls of the cams sandbox ({@code /alibaba-sandbox/...}, no signature): the codes "sent", the stats, a
 * number's state, releasing held answers, the latency, a reset. See {@code docs/sandbox.md}.
 */
final class AlibabaControl {

    private final AlibabaSandbox sandbox;
    private final CamsNumbers numbers;
    private final CamsTemplates templates;
    private final CamsStats stats;
    private final CamsRateLimit rateLimit;
    private final SandboxResponder responder;

    AlibabaControl(AlibabaSandbox sandbox, CamsNumbers numbers, CamsTemplates templates, CamsStats stats, CamsRateLimit rateLimit,
                   SandboxResponder responder) {
        this.sandbox = sandbox;
        this.numbers = numbers;
        this.templates = templates;
        this.stats = stats;
        this.rateLimit = rateLimit;
        this.responder = responder;
    }

    void handle(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String path = exchange.getRequestURI().getPath();
        String prefix = AlibabaSandbox.CONTROL_PATH + "/";
        String rest = path.startsWith(prefix) ? path.substring(prefix.length()) : "";
        String method = exchange.getRequestMethod();
        Map<String, String> query;
        try {
            query = SandboxHttp.parseForm(exchange.getRequestURI().getRawQuery(), new TreeMap<>());
        } catch (IllegalArgumentException e) {
            SandboxHttp.send(exchange, control(400, Map.of("error", "malformed query string")));
            return;
        }
        SandboxHttp.send(exchange, answer(method, path, rest, query));
    }

    private SandboxReply answer(String method, String path, String rest, Map<String, String> query) {
        if ("GET".equals(method) && rest.equals("stats")) {
            return control(200, stats());
        }
        if ("GET".equals(method) && rest.startsWith("codes/") && rest.length() > "codes/".length()) {
            String phone = rest.substring("codes/".length());
            Map<String, Object> body = code(phone);
            return body == null ? control(404, Map.of("error", "no code was requested for " + phone))
                    : control(200, body);
        }
        if ("GET".equals(method) && rest.startsWith("numbers/") && rest.length() > "numbers/".length()) {
            String phone = rest.substring("numbers/".length());
            NumberState state = numbers.get(phone);
            return state == null ? control(404, Map.of("error", "unknown number " + phone)) : control(200, state.toJson());
        }
        if ("POST".equals(method) && rest.equals("release")) {
            return control(200, Map.of("released", responder.release(query.get("phoneNumber"))));
        }
        if ("POST".equals(method) && rest.equals("templates")) {
            // ?custSpaceId=<space>[&count=<n>][&refuse=true|false]: the space's template count, or a refused listing
            String space = query.get("custSpaceId");
            if (space == null || space.isBlank()) {
                return control(400, Map.of("error", "templates needs ?custSpaceId=<space>"));
            }
            try {
                if (query.containsKey("count")) {
                    templates.setCount(space, Integer.parseInt(query.get("count")));
                }
            } catch (NumberFormatException e) {
                return control(400, Map.of("error", "count must be an integer"));
            }
            if (query.containsKey("refuse")) {
                templates.refuse(space, Boolean.parseBoolean(query.get("refuse")));
            }
            return control(200, Map.of("custSpaceId", space));
        }
        if ("POST".equals(method) && rest.equals("reset")) {
            sandbox.reset();
            return control(200, Map.of("reset", true));
        }
        if ("POST".equals(method) && rest.equals("latency")) {
            try {
                responder.setLatency(Duration.ofMillis(Long.parseLong(query.getOrDefault("ms", ""))));
                return control(200, Map.of("latencyMs", responder.latency().toMillis()));
            } catch (IllegalArgumentException e) {
                return control(400, Map.of("error", "latency needs ?ms=<non-negative integer>"));
            }
        }
        return control(404, Map.of("error", "unknown sandbox control " + method + " " + path));
    }

    /** The last code "sent" to a number, with its method and locale; null if none. */
    private Map<String, Object> code(String phone) {
        NumberState state = numbers.get(phone);
        if (state == null) {
            return null;
        }
        synchronized (state) {
            if (state.code == null) {
                return null;
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("phoneNumber", phone);
            body.put("code", state.code);
            body.put("method", state.codeMethod);
            body.put("locale", state.codeLocale);
            return body;
        }
    }

    /** The JSON of {@code GET /alibaba-sandbox/stats}. */
    private Map<String, Object> stats() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("calls", stats.calls());
        out.put("callsByOperation", stats.callsByOperation());
        out.put("throttled", stats.throttledTotal());
        out.put("throttledByOperation", stats.throttledByOperation());
        out.put("held", responder.heldCount());
        out.put("numbers", numbers.size());
        out.put("maxRequestsPerSecond", rateLimit.maxRequestsPerSecond());
        out.put("latencyMs", responder.latency().toMillis());
        return out;
    }
}
