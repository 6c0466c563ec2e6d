package dev.wabamigrator.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What both sandboxes share on the wire: one JSON library (Jackson), form decoding and sending an answer. */
final class SandboxHttp {

    static final ObjectMapper JSON = new ObjectMapper();

    private SandboxHttp() {
    }

    /** Jackson's text of a map, list or tree. */
    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Decodes {@code a=1&b=2} (UTF-8, {@code %XX}, {@code +} as space) into {@code into}; the last of repeated names
     * wins. A malformed escape throws {@link IllegalArgumentException}.
     */
    static <M extends Map<String, String>> M parseForm(String raw, M into) {
        if (raw == null || raw.isBlank()) {
            return into;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            into.put(name, value);
        }
        return into;
    }

    /** Writes {@code reply} and closes the exchange; a client that went away (timeout, crash test) is ignored. */
    static void send(HttpExchange exchange, SandboxReply reply) {
        try (exchange) {
            byte[] bytes = reply.body() == null ? new byte[0] : reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (IOException | RuntimeException e) {
            // nothing to answer to
        }
    }
}
