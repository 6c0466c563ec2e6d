package dev.wabamigrator.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request to the Graph sandbox or its controls: method, path segments after the context, and the parameters of
 * the query string and the body (JSON or form; the body wins).
 */
final class GraphRequest {

    final String method;
    final List<String> segments;
    final Map<String, String> params = new LinkedHashMap<>();
    final String authorization;
    final boolean control;
    boolean malformedBody;

    private GraphRequest(String method, List<String> segments, String authorization, boolean control) {
        this.method = method;
        this.segments = segments;
        this.authorization = authorization;
        this.control = control;
    }

    /**
     * Reads the exchange. A path under the control prefix ({@code <context>-sandbox}) is a control request: on JDK 17
     * a context at {@code /meta} also receives {@code /meta-sandbox/...}, so either context may see it.
     */
    static GraphRequest read(HttpExchange exchange, String controlContextPath) throws IOException {
        String contextPath = exchange.getHttpContext().getPath();
        String path = exchange.getRequestURI().getRawPath();
        boolean control = isControl(exchange, controlContextPath);
        String rest;
        if (control) {
            rest = path.substring(controlPrefix(contextPath, controlContextPath).length());
        } else if (!"/".equals(contextPath) && path.startsWith(contextPath)) {
            rest = path.substring(contextPath.length());
        } else {
            rest = path;
        }
        List<String> segments = new ArrayList<>();
        for (String s : rest.split("/")) {
            if (!s.isEmpty()) {
                segments.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        GraphRequest req = new GraphRequest(exchange.getRequestMethod().toUpperCase(Locale.ROOT), segments,
                exchange.getRequestHeaders().getFirst("Authorization"), control);
        SandboxHttp.parseForm(exchange.getRequestURI().getRawQuery(), req.params);
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        try {
            parseBody(exchange.getRequestHeaders().getFirst("Content-Type"), body, req.params);
        } catch (IOException malformed) {
            req.malformedBody = true;
        }
        return req;
    }

    static boolean isControl(HttpExchange exchange, String controlContextPath) {
        String prefix = controlPrefix(exchange.getHttpContext().getPath(), controlContextPath);
        String path = exchange.getRequestURI().getRawPath();
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private static String controlPrefix(String contextPath, String controlContextPath) {
        return contextPath.endsWith("-sandbox") ? contextPath
                : ("/".equals(contextPath) ? controlContextPath : contextPath + "-sandbox");
    }

    /** The bearer token of the {@code Authorization} header, or null. */
    String bearer() {
        if (authorization == null) {
            return null;
        }
        String a = authorization.trim();
        if (a.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String t = a.substring(7).trim();
            return t.isEmpty() ? null : t;
        }
        return null;
    }

    String param(String name) {
        return params.get(name);
    }

    String param(String name, String otherwise) {
        return params.getOrDefault(name, otherwise);
    }

    private static void parseBody(String contentType, byte[] body, Map<String, String> into) throws IOException {
        if (body.length == 0) {
            return;
        }
        String text = new String(body, StandardCharsets.UTF_8).trim();
        boolean json = (contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json"))
                || text.startsWith("{");
        if (json) {
            JsonNode node = SandboxHttp.JSON.readTree(text);
            if (node != null && node.isObject()) {
                node.fields().forEachRemaining(e -> into.put(e.getKey(),
                        e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
            }
        } else {
            SandboxHttp.parseForm(text, into);
        }
    }
}
