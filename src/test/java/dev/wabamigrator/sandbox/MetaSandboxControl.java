package dev.wabamigrator.sandbox;

import dev.wabamigrator.sandbox.MetaSandbox.Fault;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The test's hands on a running Graph sandbox, through its control endpoints ({@code /meta-sandbox/...}): read the
 * counters and the codes, seed numbers, script faults, release held answers.
 */
public final class MetaSandboxControl {

    private final SandboxControlClient http;

    /** @param baseUrl the provider sandbox, e.g. {@code http://127.0.0.1:<port>} */
    public MetaSandboxControl(String baseUrl) {
        this.http = new SandboxControlClient(baseUrl + MetaSandbox.CONTROL_CONTEXT_PATH);
    }

    public static MetaSandboxControl of(ProviderSandbox sandbox) {
        return new MetaSandboxControl(sandbox.baseUrl());
    }

    /** Calls of {@code operation} (see {@link MetaSandbox.Ops}) for {@code key}: a path id, E.164 digits, or {@code *}. */
    public int calls(String operation, String key) {
        return http.ok(http.get("/stats")).path("calls").path(operation).path(key).asInt(0);
    }

    /** Answers held by pattern 1009. */
    public int heldCount() {
        return http.ok(http.get("/stats")).path("held").asInt();
    }

    /** Sends every held answer; how many. */
    public int release() {
        return http.ok(http.post("/release")).path("released").asInt();
    }

    /** Seeds a CONNECTED number in a source WABA; returns its phone number id. */
    public String addSourceNumber(String wabaId, String cc, String nationalNumber, String verifiedName) {
        Map<String, String> body = new LinkedHashMap<>(Map.of("waba_id", wabaId, "cc", cc, "phone_number", nationalNumber));
        if (verifiedName != null) {
            body.put("verified_name", verifiedName);
        }
        return http.ok(http.post("/numbers", body)).path("id").asText();
    }

    public String addSourceNumber(String wabaId, String cc, String nationalNumber) {
        return addSourceNumber(wabaId, cc, nationalNumber, null);
    }

    /** The code last requested for a phone number id. */
    public Optional<String> verificationCode(String phoneNumberId) {
        SandboxControlClient.Answer answer = http.get("/codes/" + phoneNumberId);
        return answer.status() == 404 ? Optional.empty() : Optional.of(http.ok(answer).path("code").asText());
    }

    /** The next {@code times} calls of {@code op} for {@code key} take effect, then are answered with {@code fault}. */
    public void failAfterEffect(String op, String key, Fault fault, int times) {
        script(op, key, fault, times, true);
    }

    /** The next {@code times} calls of {@code op} for {@code key} are answered with {@code fault} and do nothing. */
    public void failBeforeEffect(String op, String key, Fault fault, int times) {
        script(op, key, fault, times, false);
    }

    private void script(String op, String key, Fault fault, int times, boolean afterEffect) {
        http.ok(http.post("/faults", Map.of("operation", op, "key", key, "fault", fault.name(), "times", times,
                "after_effect", afterEffect)));
    }

    /**
     * What preflight reads of a WABA: any of {@code business_verification_status}, {@code account_review_status},
     * {@code payment_method} (boolean), {@code webhook_subscription} (boolean).
     */
    public void setWabaFacts(String wabaId, Map<String, ?> facts) {
        http.ok(http.post("/wabas/" + wabaId + "/facts", facts));
    }

    /**
     * What preflight reads of a number: any of {@code name_status}, {@code new_name_status}, {@code account_mode},
     * {@code platform_type}.
     */
    public void setNumberFacts(String e164, Map<String, ?> facts) {
        http.ok(http.post("/numbers/" + e164 + "/facts", facts));
    }

    /** Numbers per page of {@code GET /{waba}/phone_numbers}. */
    public void setPageSize(int size) {
        http.ok(http.post("/page-size", Map.of("size", size)));
    }

    /** The number's current two-step PIN: register must then send it. */
    public void setPin(String e164, String pin) {
        http.ok(http.post("/numbers/" + e164 + "/pin", Map.of("pin", pin)));
    }

    public void disableTwoStep(String e164) {
        http.ok(http.post("/numbers/" + e164 + "/disable-two-step"));
    }

    /** The customer accepts the migration intent in Meta Business Suite. */
    public void accept(String intentId) {
        http.ok(http.post("/intents/" + intentId + "/accept"));
    }

    /** The customer accepts, and the destination WABA Meta creates has these facts (as {@link #setWabaFacts}). */
    public void accept(String intentId, Map<String, ?> destinationFacts) {
        http.ok(http.post("/intents/" + intentId + "/accept", destinationFacts));
    }

    /** The {@code X-App-Usage} percentage. */
    public void setAppUsagePercent(int percent) {
        http.ok(http.post("/usage", Map.of("percent", percent)));
    }

    /**
     * Adds {@code count} templates named {@code prefix_i} to a WABA; {@code options} may set {@code status},
     * {@code quality}, {@code category}, {@code language} and {@code fail_times} (migrations that fail first).
     */
    public void addTemplates(String wabaId, String prefix, int count, Map<String, ?> options) {
        Map<String, Object> body = new LinkedHashMap<>(options);
        body.put("prefix", prefix);
        body.put("count", count);
        http.ok(http.post("/wabas/" + wabaId + "/templates", body));
    }

    /** Every template of a WABA, as Graph lists them (one array, no paging). */
    public com.fasterxml.jackson.databind.JsonNode templates(String wabaId) {
        return http.ok(http.get("/wabas/" + wabaId + "/templates")).path("data");
    }

    /** Places a WABA in another business: templates do not migrate to or from it. */
    public void setBusiness(String wabaId, String businessId) {
        http.ok(http.post("/wabas/" + wabaId + "/business", Map.of("business_id", businessId)));
    }

    /** A migrate_message_templates call naming more than {@code count} templates times out (0: never). */
    public void setTemplateTimeoutAbove(int count) {
        http.ok(http.post("/templates", Map.of("timeout_above", count)));
    }
}
