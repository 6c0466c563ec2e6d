package dev.wabamigrator.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.provider.meta.GraphCall;
import dev.wabamigrator.provider.meta.MetaErrorClassifier;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.AutoFix;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.Result;
import dev.wabamigrator.provider.meta.UsageHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static dev.wabamigrator.sandbox.MetaSandbox.SYSTEM_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class MetaSandboxTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROOF = MetaSandbox.appSecretProof(MetaSandbox.APP_SECRET, SYSTEM_TOKEN);

    private final MetaErrorClassifier classifier = new MetaErrorClassifier();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private ProviderSandbox server;
    private MetaSandboxControl controls;
    private MetaSandbox sandbox;
    private String root;

    record Resp(int status, String body, JsonNode json, Map<String, List<String>> headers) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }

        String errorText(String field) {
            return json.path("error").path(field).asText(null);
        }

        int code() {
            return json.path("error").path("code").asInt(-1);
        }

        int subcode() {
            return json.path("error").path("error_subcode").asInt(-1);
        }
    }

    private void start(MetaSandbox.Config config) throws IOException {
        sandbox = new MetaSandbox(config);
        server = new ProviderSandbox(0);
        server.mount(MetaSandbox.CONTEXT_PATH, sandbox).mount(MetaSandbox.CONTROL_CONTEXT_PATH, sandbox);
        server.start();
        root = server.baseUrl();
        controls = MetaSandboxControl.of(server);
    }

    private void start() throws IOException {
        start(MetaSandbox.Config.defaults());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    // ---- HTTP helpers --------------------------------------------------------------------------------

    private HttpRequest.Builder graph(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root + "/meta/v25.0" + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private Resp send(HttpRequest req) {
        try {
            return toResp(http.send(req, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Resp toResp(HttpResponse<String> r) {
        JsonNode json;
        try {
            json = r.body() == null || r.body().isBlank() ? JSON.nullNode() : JSON.readTree(r.body());
        } catch (IOException e) {
            json = JSON.nullNode();
        }
        return new Resp(r.statusCode(), r.body(), json, r.headers().map());
    }

    private Resp get(String path, String token) {
        return send(graph(path, token).GET().build());
    }

    private Resp postForm(String path, String token, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send(graph(path, token).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private Resp postJson(String path, String token, Map<String, ?> body) {
        try {
            return send(graph(path, token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Resp control(String method, String path, Map<String, String> json) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root + "/meta-sandbox" + path));
            b = method.equals("GET") ? b.GET() : b.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(json == null ? Map.of() : json)));
            return send(b.build());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Result classify(GraphCall call, Resp r) {
        return classifier.classifyWithHeaders(call, r.status(), r.body(), r.headers());
    }

    private static Map<String, String> registerBody(String pin) {
        return Map.of("messaging_product", "whatsapp", "pin", pin);
    }

    private static Map<String, Object> migrateBody(String cc, String national) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("migrate_phone_number", true);
        m.put("cc", cc);
        m.put("phone_number", national);
        m.put("display_phone_number", "+" + cc + " " + national);
        m.put("verified_name", "Acme");
        return m;
    }

    // ---- flow A steps ---------------------------------------------------------------------------------

    private String tagIntent(String sourceWaba) {
        Resp r = postJson("/" + sourceWaba + "/set_solution_migration_intent", SYSTEM_TOKEN, Map.of("app_id", MetaSandbox.APP_ID));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("id").asText();
    }

    private Resp pollIntent(String intentId) {
        return get("/" + intentId + "?fields=id,status,destination_waba,solution,waba", SYSTEM_TOKEN);
    }

    private String acceptedDestination(String intentId) {
        Resp r = pollIntent(intentId);
        for (int i = 0; i < 5 && r.json().path("status").asText().equals("INITIATED"); i++) {
            r = pollIntent(intentId);
        }
        assertThat(r.json().path("status").asText()).isEqualTo("ACCEPTED");
        return r.json().path("destination_waba").path("id").asText();
    }

    private String businessToken(String businessId) {
        Resp r = postForm("/" + businessId + "/system_user_access_tokens?appsecret_proof=" + PROOF + "&fetch_only=true",
                SYSTEM_TOKEN, Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("access_token").asText();
    }

    // ---- happy paths -----------------------------------------------------------------------------------

    @Test
    void should_run_the_meta_mps_flow_end_to_end() throws IOException {
        start();
        sandbox.addSourceNumber("111", "1", "6505551234", "Acme");

        String intent = tagIntent("111");
        Resp first = pollIntent(intent);
        assertThat(first.json().path("status").asText()).isEqualTo("INITIATED");
        assertThat(first.json().has("destination_waba")).isFalse();
        assertThat(pollIntent(intent).json().path("status").asText()).isEqualTo("INITIATED");
        Resp accepted = pollIntent(intent);
        assertThat(accepted.json().path("status").asText()).isEqualTo("ACCEPTED");
        assertThat(accepted.json().path("waba").path("id").asText()).isEqualTo("111");
        String dest = accepted.json().path("destination_waba").path("id").asText();
        assertThat(dest).isNotBlank();
        assertThat(accepted.json().path("destination_waba").path("message_template_namespace").asText()).isNotBlank();

        String token = businessToken("222");
        assertThat(token).isNotEqualTo(SYSTEM_TOKEN);
        assertThat(businessToken("222")).as("fetch_only returns the same token").isEqualTo(token);

        assertThat(postJson("/" + dest + "/subscribed_apps", token, Map.of()).json().path("success").asBoolean()).isTrue();
        assertThat(get("/" + dest + "/subscribed_apps", token).json().path("data").get(0)
                .path("whatsapp_business_api_data").path("id").asText()).isEqualTo(MetaSandbox.APP_ID);

        Resp numbers = get("/111/phone_numbers?fields=status,display_phone_number", token);
        assertThat(numbers.json().path("data").get(0).path("status").asText()).isEqualTo("CONNECTED");
        assertThat(numbers.json().path("data").get(0).path("display_phone_number").asText()).contains("6505551234");

        Resp migrated = postJson("/" + dest + "/phone_numbers", token, migrateBody("1", "6505551234"));
        assertThat(classify(GraphCall.MIGRATE_NUMBER, migrated).isSuccess()).as(migrated.body()).isTrue();
        String phoneId = migrated.json().path("id").asText();

        Resp registered = postJson("/" + phoneId + "/register", token, registerBody("123456"));
        assertThat(classify(GraphCall.REGISTER, registered).isSuccess()).as(registered.body()).isTrue();

        assertThat(get("/" + phoneId + "?fields=status", token).json().path("status").asText()).isEqualTo("CONNECTED");
        assertThat(get("/111/phone_numbers?fields=status", token).json().path("data").get(0).path("status").asText())
                .isEqualTo("MIGRATED");
        assertThat(registered.header("X-App-Usage")).isNotNull();
        assertThat(registered.header("x-fb-trace-id")).isNotBlank();
        assertThat(controls.calls(MetaSandbox.Ops.REGISTER, phoneId)).isEqualTo(1);
        assertThat(controls.calls(MetaSandbox.Ops.REGISTER, "16505551234")).isEqualTo(1);
        assertThat(controls.calls(MetaSandbox.Ops.GET_INTENT, intent)).isEqualTo(3);
    }

    @Test
    void should_run_the_meta_classic_flow_end_to_end_with_form_bodies() throws IOException {
        start();
        Resp migrated = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", "55", "phone_number", "11987654321"));
        assertThat(migrated.status()).as(migrated.body()).isEqualTo(200);
        String phoneId = migrated.json().path("id").asText();

        Resp early = postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("654321"));
        Result notVerified = classify(GraphCall.REGISTER, early);
        assertThat(early.code()).isEqualTo(133006);
        assertThat(notVerified.error().errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);
        assertThat(notVerified.autoFix()).isEqualTo(AutoFix.REQUEST_CODE);

        assertThat(control("GET", "/codes/" + phoneId, null).status()).isEqualTo(404);
        Resp requested = postForm("/" + phoneId + "/request_code", SYSTEM_TOKEN, Map.of("code_method", "SMS", "language", "pt_BR"));
        assertThat(requested.json().path("success").asBoolean()).as(requested.body()).isTrue();
        String code = control("GET", "/codes/" + phoneId, null).json().path("code").asText();
        assertThat(code).matches("\\d{6}").isEqualTo(sandbox.verificationCode(phoneId).orElseThrow());

        String wrong = code.equals("000000") ? "111111" : "000000";
        Resp bad = postForm("/" + phoneId + "/verify_code", SYSTEM_TOKEN, Map.of("code", wrong));
        assertThat(bad.code()).isEqualTo(136025);
        assertThat(postForm("/" + phoneId + "/verify_code", SYSTEM_TOKEN, Map.of("code", code)).json().path("success")
                .asBoolean()).isTrue();

        Resp registered = postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("654321"));
        assertThat(classify(GraphCall.REGISTER, registered).isSuccess()).as(registered.body()).isTrue();
        assertThat(get("/333/phone_numbers?fields=status,code_verification_status", SYSTEM_TOKEN).json().path("data").get(0)
                .path("code_verification_status").asText()).isEqualTo("VERIFIED");
        assertThat(controls.calls(MetaSandbox.Ops.REGISTER, "5511987654321")).isEqualTo(2);
    }

    // ---- auth and order --------------------------------------------------------------------------------

    @Test
    void should_check_bearer_tokens_and_appsecret_proof() throws IOException {
        start();
        Resp none = get("/111/phone_numbers", null);
        assertThat(none.code()).isEqualTo(104);
        assertThat(none.errorText("fbtrace_id")).isNotBlank();
        Resp bogus = get("/111/phone_numbers", "not-a-token");
        assertThat(bogus.status()).isEqualTo(401);
        assertThat(classify(GraphCall.LIST_SOURCE_NUMBERS, bogus).error().code()).isEqualTo("190");

        Resp badProof = postForm("/222/system_user_access_tokens?appsecret_proof=deadbeef&fetch_only=true", SYSTEM_TOKEN, Map.of());
        assertThat(badProof.errorText("message")).contains("appsecret_proof");
        Resp noFetchOnly = postForm("/222/system_user_access_tokens", SYSTEM_TOKEN, Map.of("appsecret_proof", PROOF));
        assertThat(noFetchOnly.code()).isEqualTo(100);
        String token = businessToken("222");
        Resp notSystem = postForm("/222/system_user_access_tokens?appsecret_proof=" + PROOF + "&fetch_only=true", token, Map.of());
        assertThat(notSystem.code()).isEqualTo(200);

        Resp malformed = send(graph("/111/set_solution_migration_intent", SYSTEM_TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"app_id\":")).build());
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(classify(GraphCall.TAG_INTENT, malformed).error().errorClass()).isEqualTo(ErrorClass.PERMANENT);

        Resp wrongApp = postJson("/111/set_solution_migration_intent", SYSTEM_TOKEN, Map.of("app_id", "someone-else"));
        assertThat(wrongApp.code()).isEqualTo(100);
        Resp byBusinessToken = postJson("/112/set_solution_migration_intent", token, Map.of("app_id", MetaSandbox.APP_ID));
        assertThat(byBusinessToken.status()).isEqualTo(200);

        String dest = acceptedDestination(tagIntent("111"));
        Resp systemOnCustomerWaba = postJson("/" + dest + "/subscribed_apps", SYSTEM_TOKEN, Map.of());
        assertThat(systemOnCustomerWaba.code()).isEqualTo(200);
        assertThat(classify(GraphCall.SUBSCRIBE_APPS, systemOnCustomerWaba).error().errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);
    }

    @Test
    void should_refuse_migration_before_subscribed_apps_and_register_of_unknown_numbers() throws IOException {
        start();
        String dest = acceptedDestination(tagIntent("111"));
        String token = businessToken("222");
        Resp r = postJson("/" + dest + "/phone_numbers", token, migrateBody("1", "6505550000"));
        assertThat(r.subcode()).isEqualTo(2388103);
        Result c = classify(GraphCall.MIGRATE_NUMBER, r);
        assertThat(c.error().errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);
        assertThat(c.autoFix()).isEqualTo(AutoFix.SUBSCRIBE_APPS);

        postJson("/" + dest + "/subscribed_apps", token, Map.of());
        Resp ok = postJson("/" + dest + "/phone_numbers", token, migrateBody("1", "6505550000"));
        assertThat(ok.status()).isEqualTo(200);
        Resp again = postJson("/" + dest + "/phone_numbers", token, migrateBody("1", "6505550000"));
        assertThat(classify(GraphCall.MIGRATE_NUMBER, again).isAlreadyDone()).as("same number twice").isTrue();

        Resp unknown = postJson("/999999/register", token, registerBody("123456"));
        assertThat(unknown.code()).isEqualTo(100);
        assertThat(unknown.subcode()).isEqualTo(33);

        Resp plus = postJson("/" + dest + "/phone_numbers", token, migrateBody("1", "+16505550001"));
        assertThat(classify(GraphCall.MIGRATE_NUMBER, plus).error().errorClass()).isEqualTo(ErrorClass.PERMANENT);
        Resp badPin = postJson("/" + ok.json().path("id").asText() + "/register", token, registerBody("12"));
        assertThat(badPin.code()).isEqualTo(100);
    }

    @Test
    void should_enforce_ten_register_calls_per_72_hours() throws IOException {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
        start(MetaSandbox.Config.defaults().withClock(clock));
        String phoneId = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", "44", "phone_number", "7700900123")).json().path("id").asText();
        postForm("/" + phoneId + "/request_code", SYSTEM_TOKEN, Map.of("code_method", "VOICE", "language", "en_GB"));
        postForm("/" + phoneId + "/verify_code", SYSTEM_TOKEN, Map.of("code", sandbox.verificationCode(phoneId).orElseThrow()));
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofMinutes(1));
            assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("111111")).status()).isEqualTo(200);
        }
        Resp eleventh = postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("111111"));
        assertThat(eleventh.code()).isEqualTo(133016);
        Result c = classify(GraphCall.REGISTER, eleventh);
        assertThat(c.error().errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(c.error().retryAfter()).isEqualTo(Duration.ofHours(72));

        clock.advance(Duration.ofHours(71));
        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("111111")).code())
                .as("locked for the whole window").isEqualTo(133016);
        clock.advance(Duration.ofHours(2));
        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("111111")).status()).isEqualTo(200);
    }

    // ---- scripted patterns -----------------------------------------------------------------------------

    @Test
    void should_reject_the_intent_for_pattern_1001() throws IOException {
        start();
        sandbox.addSourceNumber("444", "1", "6505551001");
        String intent = tagIntent("444");
        pollIntent(intent);
        pollIntent(intent);
        Resp r = pollIntent(intent);
        assertThat(r.json().path("status").asText()).isEqualTo("REJECTED");
        assertThat(r.json().has("destination_waba")).isFalse();
    }

    @Test
    void should_never_accept_the_intent_for_pattern_1002_unless_told_to() throws IOException {
        start();
        String intent = tagIntent("5551002"); // pattern read from the source WABA id
        for (int i = 0; i < 20; i++) {
            assertThat(pollIntent(intent).json().path("status").asText()).isEqualTo("INITIATED");
        }
        assertThat(control("POST", "/intents/" + intent + "/accept", null).json().path("status").asText()).isEqualTo("ACCEPTED");
        assertThat(pollIntent(intent).json().path("destination_waba").path("id").asText()).isNotBlank();

        String other = tagIntent("5561002");
        assertThat(control("POST", "/intents/" + other + "/reject", null).json().path("status").asText()).isEqualTo("REJECTED");
        assertThat(control("POST", "/intents/nope/accept", null).status()).isEqualTo(404);
    }

    private String classicNumber(String cc, String national) {
        String phoneId = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", cc, "phone_number", national)).json().path("id").asText();
        postForm("/" + phoneId + "/request_code", SYSTEM_TOKEN, Map.of("code_method", "SMS", "language", "en_US"));
        postForm("/" + phoneId + "/verify_code", SYSTEM_TOKEN, Map.of("code", sandbox.verificationCode(phoneId).orElseThrow()));
        return phoneId;
    }

    @Test
    void should_answer_pin_mismatch_for_pattern_1003_until_the_right_pin_is_known() throws IOException {
        start();
        String phoneId = classicNumber("1", "6505551003");
        Resp r = postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456"));
        assertThat(r.code()).isEqualTo(133005);
        Result c = classify(GraphCall.REGISTER, r);
        assertThat(c.error().errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);
        assertThat(c.blocksRegister()).isTrue();
        assertThat(c.error().traceId()).isEqualTo(r.errorText("fbtrace_id"));

        control("POST", "/numbers/16505551003/pin", Map.of("pin", "246810"));
        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456")).code()).isEqualTo(133005);
        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("246810")).status()).isEqualTo(200);
    }

    @Test
    void should_report_already_there_for_pattern_1004_and_list_the_number() throws IOException {
        start();
        Resp r = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", "1", "phone_number", "6505551004"));
        assertThat(r.subcode()).isEqualTo(2388012);
        assertThat(classify(GraphCall.MIGRATE_NUMBER, r).isAlreadyDone()).isTrue();
        JsonNode listed = get("/333/phone_numbers?fields=display_phone_number,status", SYSTEM_TOKEN).json().path("data");
        assertThat(listed.size()).isEqualTo(1);
        assertThat(listed.get(0).path("display_phone_number").asText()).contains("6505551004");
        assertThat(listed.get(0).path("status").asText()).isEqualTo("PENDING");
    }

    @Test
    void should_rate_limit_once_for_pattern_1005_with_an_estimate_header() throws IOException {
        start(MetaSandbox.Config.defaults().withRateLimitRegainMinutes(3));
        Resp first = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", "1", "phone_number", "6505551005"));
        assertThat(first.code()).isEqualTo(80007);
        assertThat(first.header("X-Business-Use-Case-Usage")).contains("estimated_time_to_regain_access");
        Result c = classify(GraphCall.MIGRATE_NUMBER, first);
        assertThat(c.error().errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(c.error().retryAfter()).isEqualTo(Duration.ofMinutes(3));
        assertThat(new UsageHeaders().pauseBeforeNextCall(first.headers())).isEqualTo(Duration.ofMinutes(3));

        Resp second = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", "1", "phone_number", "6505551005"));
        assertThat(second.status()).as(second.body()).isEqualTo(200);
    }

    @Test
    void should_require_two_step_disabled_for_pattern_1006() throws IOException {
        start();
        Map<String, String> body = Map.of("migrate_phone_number", "true", "cc", "1", "phone_number", "6505551006");
        Resp r = postForm("/333/phone_numbers", SYSTEM_TOKEN, body);
        Result c = classify(GraphCall.MIGRATE_NUMBER, r);
        assertThat(c.rule()).isEqualTo("two-step-enabled");
        assertThat(c.error().errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);
        assertThat(postForm("/333/phone_numbers", SYSTEM_TOKEN, body).errorText("error_user_msg"))
                .isEqualTo("Two-step authentication must be disabled for this phone number.");

        control("POST", "/numbers/16505551006/disable-two-step", null);
        assertThat(postForm("/333/phone_numbers", SYSTEM_TOKEN, body).status()).isEqualTo(200);
    }

    @Test
    void should_expire_the_business_token_once_on_subscribed_apps_for_pattern_1007() throws IOException {
        start();
        sandbox.addSourceNumber("777", "1", "6505551007");
        String dest = acceptedDestination(tagIntent("777"));
        String token = businessToken("222");
        Resp r = postJson("/" + dest + "/subscribed_apps", token, Map.of());
        assertThat(r.status()).isEqualTo(401);
        Result c = classify(GraphCall.SUBSCRIBE_APPS, r);
        assertThat(MetaErrorClassifier.isTokenExpired(c.error())).isTrue();
        assertThat(c.autoFix()).isEqualTo(AutoFix.REFETCH_TOKEN);

        assertThat(postJson("/" + dest + "/subscribed_apps", token, Map.of()).code()).as("the old token stays expired")
                .isEqualTo(190);
        String fresh = businessToken("222");
        assertThat(fresh).isNotEqualTo(token);
        assertThat(postJson("/" + dest + "/subscribed_apps", fresh, Map.of()).status()).isEqualTo(200);
    }

    @Test
    void should_fail_register_with_5xx_twice_for_pattern_1008() throws IOException {
        start();
        String phoneId = classicNumber("1", "6505551008");
        Resp first = postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456"));
        assertThat(first.status()).isEqualTo(503);
        assertThat(classify(GraphCall.REGISTER, first).error().errorClass()).isEqualTo(ErrorClass.TRANSIENT);
        Resp second = postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456"));
        assertThat(second.status()).isEqualTo(500);
        assertThat(classify(GraphCall.REGISTER, second).error().errorClass()).isEqualTo(ErrorClass.TRANSIENT);
        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456")).status()).isEqualTo(200);
        assertThat(controls.calls(MetaSandbox.Ops.REGISTER, phoneId)).isEqualTo(3);
    }

    @Test
    void should_apply_a_call_then_answer_with_the_scripted_fault() throws IOException {
        start();
        String phoneId = classicNumber("1", "6505550301");
        controls.failAfterEffect(MetaSandbox.Ops.REGISTER, "+1 650-555-0301", MetaSandbox.Fault.ERROR_131000, 1);

        Resp failed = postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456"));

        assertThat(failed.status()).isEqualTo(500);
        assertThat(failed.code()).isEqualTo(131000);
        assertThat(get("/" + phoneId + "?fields=status", SYSTEM_TOKEN).json().path("status").asText())
                .as("registered all the same").isEqualTo("CONNECTED");
        controls.failAfterEffect(MetaSandbox.Ops.MIGRATE, "16505550302", MetaSandbox.Fault.GARBLED_200, 1);
        Resp garbled = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", "1", "phone_number", "6505550302"));
        assertThat(garbled.status()).isEqualTo(200);
        assertThat(garbled.json().isNull()).as("not JSON: %s", garbled.body()).isTrue();
        assertThat(get("/333/phone_numbers?fields=display_phone_number", SYSTEM_TOKEN).body()).contains("6505550302");
    }

    @Test
    void should_refuse_a_call_with_the_scripted_fault_and_change_nothing() throws IOException {
        start();
        String phoneId = classicNumber("1", "6505550303");
        controls.failBeforeEffect(MetaSandbox.Ops.REGISTER, "16505550303", MetaSandbox.Fault.HTML_503, 2);

        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456")).status()).isEqualTo(503);
        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456")).status()).isEqualTo(503);
        assertThat(get("/" + phoneId + "?fields=status", SYSTEM_TOKEN).json().path("status").asText()).isEqualTo("PENDING");
        assertThat(postForm("/" + phoneId + "/register", SYSTEM_TOKEN, registerBody("123456")).status()).isEqualTo(200);
        assertThat(controls.calls(MetaSandbox.Ops.REGISTER, "16505550303")).isEqualTo(3);
    }

    @Test
    void should_page_phone_numbers_with_cursors() throws IOException {
        start();
        for (int i = 0; i < 5; i++) {
            sandbox.addSourceNumber("444", "1", "650555031" + i);
        }
        controls.setPageSize(2);
        List<String> seen = new java.util.ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            JsonNode page = get("/444/phone_numbers?fields=display_phone_number" + (after == null ? "" : "&after=" + after),
                    SYSTEM_TOKEN).json();
            page.path("data").forEach(n -> seen.add(n.path("display_phone_number").asText()));
            after = page.path("paging").hasNonNull("next") ? page.path("paging").path("cursors").path("after").asText() : null;
            pages++;
        } while (after != null);

        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(5).doesNotHaveDuplicates();
    }

    @Test
    void should_hold_the_register_response_for_pattern_1009_until_released() throws IOException {
        start();
        String phoneId = classicNumber("1", "6505551009");
        String body = "messaging_product=whatsapp&pin=123456";
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                graph("/" + phoneId + "/register", SYSTEM_TOKEN).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> controls.heldCount() == 1);
        assertThat(pending).isNotDone();
        // the provider did the work; only the answer is missing (what a crash-recovery reconciles against)
        assertThat(get("/" + phoneId + "?fields=status", SYSTEM_TOKEN).json().path("status").asText()).isEqualTo("CONNECTED");

        assertThat(control("POST", "/release", null).json().path("released").asInt()).isEqualTo(1);
        HttpResponse<String> released = pending.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join();
        assertThat(released.statusCode()).isEqualTo(200);
        assertThat(controls.heldCount()).isZero();
    }

    @Test
    void should_hold_other_configured_operations_for_pattern_1009() throws IOException {
        start(MetaSandbox.Config.defaults().withHoldOperations(java.util.Set.of(MetaSandbox.Ops.MIGRATE)));
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                graph("/333/phone_numbers", SYSTEM_TOKEN).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("migrate_phone_number=true&cc=1&phone_number=6505551009"))
                        .build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(5)).until(() -> controls.heldCount() == 1);
        assertThat(get("/333/phone_numbers", SYSTEM_TOKEN).json().path("data").size()).as("already applied").isEqualTo(1);
        assertThat(controls.release()).isEqualTo(1);
        HttpResponse<String> released = pending.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join();
        assertThat(JSON.readTree(released.body()).path("id").asText()).isNotBlank();
    }

    @Test
    void should_need_subscribed_apps_on_a_bsp_destination_for_pattern_1010() throws IOException {
        start();
        Map<String, String> body = Map.of("migrate_phone_number", "true", "cc", "1", "phone_number", "6505551010");
        Result c = classify(GraphCall.MIGRATE_NUMBER, postForm("/333/phone_numbers", SYSTEM_TOKEN, body));
        assertThat(c.autoFix()).isEqualTo(AutoFix.SUBSCRIBE_APPS);
        postForm("/333/subscribed_apps", SYSTEM_TOKEN, Map.of());
        assertThat(postForm("/333/phone_numbers", SYSTEM_TOKEN, body).status()).isEqualTo(200);
    }

    @Test
    void should_answer_what_preflight_reads_and_change_it_through_the_facts_controls() throws IOException {
        start();
        String fields = "?fields=id,business_verification_status,account_review_status,primary_funding_id";
        JsonNode waba = get("/555" + fields, SYSTEM_TOKEN).json();
        assertThat(waba.path("business_verification_status").asText()).isEqualTo("verified");
        assertThat(waba.path("account_review_status").asText()).isEqualTo("APPROVED");
        assertThat(waba.path("primary_funding_id").asText()).isNotEmpty();
        assertThat(get("/555/subscribed_apps", SYSTEM_TOKEN).json().path("data").size()).isEqualTo(1);

        assertThat(control("POST", "/wabas/555/facts", Map.of("account_review_status", "PENDING",
                "payment_method", "false", "webhook_subscription", "false")).status()).isEqualTo(200);
        waba = get("/555" + fields, SYSTEM_TOKEN).json();
        assertThat(waba.path("account_review_status").asText()).isEqualTo("PENDING");
        assertThat(waba.has("primary_funding_id")).as("no payment method").isFalse();
        assertThat(get("/555/subscribed_apps", SYSTEM_TOKEN).json().path("data").size()).isZero();
        postForm("/555/subscribed_apps", SYSTEM_TOKEN, Map.of());
        assertThat(get("/555/subscribed_apps", SYSTEM_TOKEN).json().path("data").size()).isEqualTo(1);

        sandbox.addSourceNumber("111", "1", "6505552222");
        String numberFields = "?fields=id,display_phone_number,name_status,new_name_status,account_mode,platform_type";
        JsonNode number = get("/111/phone_numbers" + numberFields, SYSTEM_TOKEN).json().path("data").get(0);
        assertThat(number.path("name_status").asText()).isEqualTo("APPROVED");
        assertThat(number.has("new_name_status")).isFalse();
        assertThat(number.path("account_mode").asText()).isEqualTo("LIVE");
        assertThat(number.path("platform_type").asText()).isEqualTo("CLOUD_API");
        control("POST", "/numbers/16505552222/facts", Map.of("new_name_status", "PENDING_REVIEW",
                "account_mode", "SANDBOX", "platform_type", "NOT_APPLICABLE"));
        number = get("/111/phone_numbers" + numberFields, SYSTEM_TOKEN).json().path("data").get(0);
        assertThat(number.path("new_name_status").asText()).isEqualTo("PENDING_REVIEW");
        assertThat(number.path("account_mode").asText()).isEqualTo("SANDBOX");
        assertThat(number.path("platform_type").asText()).isEqualTo("NOT_APPLICABLE");
    }

    @Test
    void should_throttle_request_code_once_for_pattern_1011() throws IOException {
        start();
        String phoneId = postForm("/333/phone_numbers", SYSTEM_TOKEN,
                Map.of("migrate_phone_number", "true", "cc", "1", "phone_number", "6505551011")).json().path("id").asText();
        Resp r = postForm("/" + phoneId + "/request_code", SYSTEM_TOKEN, Map.of("code_method", "SMS", "language", "en_US"));
        Result c = classify(GraphCall.REQUEST_CODE, r);
        assertThat(c.error().errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(c.error().retryAfter()).isEqualTo(Duration.ofHours(1));
        assertThat(postForm("/" + phoneId + "/request_code", SYSTEM_TOKEN, Map.of("code_method", "SMS", "language", "en_US"))
                .status()).isEqualTo(200);
    }

    // ---- usage, latency, stats ------------------------------------------------------------------------------

    @Test
    void should_send_the_configured_app_usage() throws IOException {
        start();
        control("POST", "/usage", Map.of("percent", "95"));
        Resp r = get("/111/phone_numbers", SYSTEM_TOKEN);
        assertThat(UsageHeaders.Usage.fromHeaders(r.headers()).maxPercent()).isEqualTo(95);
        assertThat(new UsageHeaders().pauseBeforeNextCall(r.headers())).isPositive();
        controls.setAppUsagePercent(10);
        assertThat(new UsageHeaders().pauseBeforeNextCall(get("/111/phone_numbers", SYSTEM_TOKEN).headers())).isZero();
    }

    @Test
    void should_delay_responses_without_holding_a_thread_per_request() throws IOException {
        start(MetaSandbox.Config.defaults().withLatency(Duration.ofMillis(300)));
        int n = 12;
        long started = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(http.sendAsync(graph("/111/phone_numbers", SYSTEM_TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString()));
        }
        all.forEach(f -> assertThat(f.orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join().statusCode()).isEqualTo(200));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        // one HTTP dispatcher thread and one responder thread: serial sleeping would need n × 300 ms
        assertThat(took).isLessThan(Duration.ofMillis(300L * n / 2));
    }

    @Test
    void should_count_calls_and_serve_stats() throws IOException {
        start();
        sandbox.addSourceNumber("111", "1", "6505551234");
        get("/111/phone_numbers?fields=status", SYSTEM_TOKEN);
        get("/111/phone_numbers?fields=status", SYSTEM_TOKEN);
        assertThat(controls.calls(MetaSandbox.Ops.LIST_NUMBERS, "111")).isEqualTo(2);
        assertThat(controls.calls(MetaSandbox.Ops.LIST_NUMBERS, MetaSandbox.ALL)).isEqualTo(2);
        assertThat(controls.calls(MetaSandbox.Ops.REGISTER, "111")).isZero();
        Resp stats = control("GET", "/stats", null);
        assertThat(stats.json().path("calls").path("phone_numbers").path("111").asInt()).isEqualTo(2);

        Resp seeded = control("POST", "/numbers", Map.of("waba_id", "888", "cc", "49", "phone_number", "15112345678"));
        assertThat(seeded.json().path("id").asText()).isNotBlank();
        assertThat(control("GET", "/numbers/4915112345678", null).json().path("data").get(0).path("status").asText())
                .isEqualTo("CONNECTED");
        control("POST", "/reset", null);
        assertThat(controls.calls(MetaSandbox.Ops.LIST_NUMBERS, "111")).isZero();
        assertThat(control("GET", "/nope", null).status()).isEqualTo(404);
    }

    @Test
    void should_take_fault_scripts_and_page_size_over_http_and_refuse_what_it_cannot_read() throws IOException {
        start();
        String phoneId = sandbox.addSourceNumber("555", "1", "6505550401");
        assertThat(control("POST", "/faults", Map.of("operation", "phone_number", "key", phoneId, "fault", "ERROR_2"))
                .json().path("scripted").asInt()).isEqualTo(1);
        Resp faulted = get("/" + phoneId, SYSTEM_TOKEN);
        assertThat(faulted.status()).isEqualTo(500);
        assertThat(faulted.code()).isEqualTo(2);
        assertThat(get("/" + phoneId, SYSTEM_TOKEN).status()).as("one script, one call").isEqualTo(200);

        assertThat(control("POST", "/faults", Map.of("operation", "register", "key", "16505550401", "fault", "NOPE"))
                .status()).isEqualTo(400);
        assertThat(control("POST", "/faults", Map.of("fault", "ERROR_1")).status()).isEqualTo(400);
        assertThat(control("POST", "/page-size", Map.of("size", "0")).status()).isEqualTo(400);
        sandbox.addSourceNumber("555", "1", "6505550402");
        assertThat(control("POST", "/page-size", Map.of("size", "1")).status()).isEqualTo(200);
        assertThat(get("/555/phone_numbers", SYSTEM_TOKEN).json().path("data")).hasSize(1);
    }

}
