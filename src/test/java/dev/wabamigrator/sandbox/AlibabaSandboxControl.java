package dev.wabamigrator.sandbox;

import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The test's hands on a running cams sandbox, through its controls ({@code /alibaba-sandbox/...}): read the counters
 * and the codes, release held answers, change the latency.
 */
public final class AlibabaSandboxControl {

    private final SandboxControlClient http;

    /** @param baseUrl the provider sandbox, e.g. {@code http://127.0.0.1:<port>} */
    public AlibabaSandboxControl(String baseUrl) {
        this.http = new SandboxControlClient(baseUrl + AlibabaSandbox.CONTROL_PATH);
    }

    public static AlibabaSandboxControl of(ProviderSandbox sandbox) {
        return new AlibabaSandboxControl(sandbox.baseUrl());
    }

    /** The JSON of {@code GET /alibaba-sandbox/stats}. */
    public Map<String, Object> stats() {
        return SandboxHttp.JSON.convertValue(http.ok(http.get("/stats")), Map.class);
    }

    /** Calls of {@code action} for {@code phoneNumber} (CC + number), throttled ones included. */
    public int calls(String action, String phoneNumber) {
        return http.ok(http.get("/stats")).path("calls").path(action).path(phoneNumber).asInt(0);
    }

    public int calls(CamsOperation operation, String phoneNumber) {
        return calls(operation.action(), phoneNumber);
    }

    /** Authenticated calls of {@code action} for any number. */
    public int calls(String action) {
        return http.ok(http.get("/stats")).path("callsByOperation").path(action).asInt(0);
    }

    /** {@code System.LimitControl} answers so far, by the rate limit and by pattern 0002. */
    public int throttledCount() {
        return http.ok(http.get("/stats")).path("throttled").asInt();
    }

    /** {@code System.LimitControl} answers to {@code action} so far. */
    public int throttledCount(String action) {
        return http.ok(http.get("/stats")).path("throttledByOperation").path(action).asInt(0);
    }

    /** Requests held by pattern 0009. */
    public int heldCount() {
        return http.ok(http.get("/stats")).path("held").asInt();
    }

    /** The last code "sent" to {@code phoneNumber}, if any. */
    public Optional<String> code(String phoneNumber) {
        SandboxControlClient.Answer answer = http.get("/codes/" + phoneNumber);
        return answer.status() == 404 ? Optional.empty() : Optional.of(http.ok(answer).path("code").asText());
    }

    /** ListChatappTemplate calls for the space {@code custSpaceId}, throttled ones included. */
    public int listings(String custSpaceId) {
        return calls(CamsOperation.LIST_CHATAPP_TEMPLATE.action(), custSpaceId);
    }

    /** Gives the space {@code count} templates (23 unless set). */
    public void setTemplateCount(String custSpaceId, int count) {
        http.ok(http.post("/templates?custSpaceId=" + URLEncoder.encode(custSpaceId, StandardCharsets.UTF_8)
                + "&count=" + count));
    }

    /** Makes ListChatappTemplate of the space answer Ram.PermissionDeny ({@code refuse}) or list again. */
    public void refuseListing(String custSpaceId, boolean refuse) {
        http.ok(http.post("/templates?custSpaceId=" + URLEncoder.encode(custSpaceId, StandardCharsets.UTF_8)
                + "&refuse=" + refuse));
    }

    /** Answers every held request now; how many. */
    public int release() {
        return http.ok(http.post("/release")).path("released").asInt();
    }

    /** Answers the held requests of one number now; how many. */
    public int release(String phoneNumber) {
        return http.ok(http.post("/release?phoneNumber=" + URLEncoder.encode(phoneNumber, StandardCharsets.UTF_8)))
                .path("released").asInt();
    }

    public Duration latency() {
        return Duration.ofMillis(http.ok(http.get("/stats")).path("latencyMs").asLong());
    }

    public void setLatency(Duration latency) {
        http.ok(http.post("/latency?ms=" + latency.toMillis()));
    }

    public void reset() {
        http.ok(http.post("/reset"));
    }
}
