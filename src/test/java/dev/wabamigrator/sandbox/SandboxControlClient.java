package dev.wabamigrator.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Plain HTTP to a sandbox's control endpoints, as an operator would use them: JSON in, JSON out. */
final class SandboxControlClient {

    /** A control answer. */
    record Answer(int status, JsonNode json) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String controlUrl;

    /** @param controlUrl e.g. {@code http://127.0.0.1:<port>/meta-sandbox} */
    SandboxControlClient(String controlUrl) {
        this.controlUrl = controlUrl;
    }

    Answer get(String path) {
        return send(HttpRequest.newBuilder(URI.create(controlUrl + path)).GET());
    }

    Answer post(String path) {
        return send(HttpRequest.newBuilder(URI.create(controlUrl + path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    Answer post(String path, Map<String, ?> body) {
        try {
            return send(HttpRequest.newBuilder(URI.create(controlUrl + path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The answer of a call that must succeed. */
    JsonNode ok(Answer answer) {
        if (answer.status() != 200) {
            throw new IllegalStateException("sandbox control answered " + answer.status() + ": " + answer.json());
        }
        return answer.json();
    }

    private Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), JSON.readTree(response.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
