package dev.wabamigrator.app;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hawtio's Jolokia endpoint in the console: each request goes on to the service's Jolokia agent with the agent's
 * credentials, and its answer comes back. Hawtio's login guards the endpoint before this servlet runs; the
 * browser's cookies and any credentials it sent stay in the console.
 *
 * <p>Blocking on purpose: Hawtio's filters in front of it are not asynchronous, which Jetty's proxy servlets need.
 * Jolokia's requests and answers are small JSON documents.
 */
final class ConsoleJolokiaProxy extends HttpServlet {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleJolokiaProxy.class);
    /** Far above any request Hawtio sends (a bulk read of a few hundred attributes is a few KiB). */
    private static final int MAX_REQUEST_BYTES = 1 << 20;

    private final transient HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String jolokia;
    private final String authorization;

    ConsoleJolokiaProxy(URI jolokia, String user, String password) {
        this.jolokia = jolokia.toString();
        this.authorization = "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        forward(request, response, HttpRequest.BodyPublishers.noBody(), "GET");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(MAX_REQUEST_BYTES + 1);
        }
        if (body.length > MAX_REQUEST_BYTES) {
            response.sendError(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
            return;
        }
        forward(request, response, HttpRequest.BodyPublishers.ofByteArray(body), "POST");
    }

    private void forward(HttpServletRequest request, HttpServletResponse response, HttpRequest.BodyPublisher body,
                         String method) throws IOException {
        // the path after /jolokia and the query as the browser sent them, still URL-encoded
        String rest = request.getRequestURI().substring(request.getContextPath().length()
                + request.getServletPath().length());
        String query = request.getQueryString() == null ? "" : "?" + request.getQueryString();
        HttpRequest.Builder upstream = HttpRequest.newBuilder(URI.create(jolokia + rest + query))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", authorization)
                .method(method, body);
        if (request.getContentType() != null) {
            upstream.header("Content-Type", request.getContentType());
        }
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(upstream.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            LOG.warn("the service's Jolokia at {} does not answer: {}", jolokia, e.toString());
            response.sendError(HttpServletResponse.SC_BAD_GATEWAY, "the service's Jolokia does not answer");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            return;
        }
        if (answer.statusCode() == HttpServletResponse.SC_UNAUTHORIZED) {
            // never passed on as 401: the browser would ask for the agent's password itself
            LOG.warn("the service's Jolokia at {} refused the console's credentials: check JOLOKIA_USER, "
                    + "JOLOKIA_PASSWORD or DATA_DIR", jolokia);
            response.sendError(HttpServletResponse.SC_BAD_GATEWAY, "the service's Jolokia refused the console");
            return;
        }
        response.setStatus(answer.statusCode());
        answer.headers().firstValue("Content-Type").ifPresent(response::setContentType);
        response.getOutputStream().write(answer.body());
    }
}
