package dev.wabamigrator.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.provider.alibaba.Acs3Signer;
import dev.wabamigrator.provider.alibaba.AlibabaErrorClassifier;
import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Drives the cams sandbox over real HTTP with the production signer and classifier. */
class AlibabaSandboxTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CUST_SPACE = "cams-sandbox-1";
    private static final String CC = "86";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-15T08:00:00Z"));
    private final Acs3Signer signer = new Acs3Signer();
    private final AlibabaErrorClassifier classifier = new AlibabaErrorClassifier();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ProviderSandbox sandbox;
    private AlibabaSandbox alibaba;
    private AlibabaSandboxControl controls;

    @BeforeEach
    void start() {
        startSandbox(AlibabaSandbox.builder().clock(clock).random(new Random(42)));
    }

    @AfterEach
    void stop() {
        sandbox.close();
    }

    private void startSandbox(AlibabaSandbox.Builder builder) {
        if (sandbox != null) {
            sandbox.close();
        }
        sandbox = new ProviderSandbox(0);
        alibaba = builder.build().mountOn(sandbox);
        sandbox.start();
        controls = AlibabaSandboxControl.of(sandbox);
    }

    // ---- happy path and state ---------------------------------------------------------------------------------

    @Test
    void should_run_the_happy_path_in_order() throws Exception {
        String phone = CC + "13900001234";

        Call initiate = initiate("13900001234");
        assertThat(initiate.status()).isEqualTo(200);
        assertThat(initiate.json().get("Code").asText()).isEqualTo("OK");
        assertThat(initiate.json().get("Message").asText()).isEqualTo("SUCCESS");
        assertThat(initiate.json().get("RequestId").asText()).isNotBlank();
        assertThat(initiate.json().at("/Data/PhoneNumber").asText()).isEqualTo(phone);
        assertThat(initiate.json().at("/Data/Status").asText()).isEqualTo("MIGRATING");
        String id = initiate.json().at("/Data/Id").asText();
        assertThat(id).isNotBlank();
        AlibabaErrorClassifier.CamsResult result = classifier.classify(initiate.status(), initiate.headers(), initiate.body());
        assertThat(result.success()).isTrue();
        assertThat(result.dataText("Id")).isEqualTo(id);

        Call status = call(CamsOperation.GET_PHONE_NUMBER_VERIFICATION_STATUS, phoneParams(phone));
        assertThat(status.status()).isEqualTo(200);
        assertThat(status.json().at("/Data/CodeVerificationStatus").asText()).isEqualTo("NOT_VERIFIED");
        assertThat(status.json().at("/Data/Id").asText()).isEqualTo(id);

        assertThat(reveal(phone).statusCode()).isEqualTo(404);
        Call requestCode = requestCode(phone);
        assertThat(requestCode.status()).isEqualTo(200);
        assertThat(requestCode.json().at("/Data/PhoneNumber").asText()).isEqualTo(phone);

        HttpResponse<String> revealed = reveal(phone);
        assertThat(revealed.statusCode()).isEqualTo(200);
        JsonNode codeJson = JSON.readTree(revealed.body());
        assertThat(codeJson.get("phoneNumber").asText()).isEqualTo(phone);
        String code = codeJson.get("code").asText();
        assertThat(code).matches("\\d{6}").isEqualTo(alibaba.code(phone).orElseThrow());

        Call verified = verify(phone, code);
        assertThat(verified.status()).isEqualTo(200);
        assertThat(verified.json().at("/Data/Id").asText()).isEqualTo(id);
        assertThat(call(CamsOperation.GET_PHONE_NUMBER_VERIFICATION_STATUS, phoneParams(phone))
                .json().at("/Data/CodeVerificationStatus").asText()).isEqualTo("VERIFIED");

        Call register = call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone));
        assertThat(register.status()).isEqualTo(200);
        assertThat(register.json().get("Code").asText()).isEqualTo("OK");
        assertThat(register.json().has("Data")).isFalse();

        assertThat(controls.calls("CreateChatappMigrationInitiate", phone)).isEqualTo(1);
        assertThat(controls.calls("GetPhoneNumberVerificationStatus", phone)).isEqualTo(2);
        assertThat(controls.calls(CamsOperation.CHATAPP_MIGRATION_REGISTER, phone)).isEqualTo(1);
        assertThat(controls.throttledCount()).isZero();

        JsonNode stats = JSON.readTree(control("GET", "/stats").body());
        assertThat(stats.at("/calls/ChatappMigrationVerified/" + phone).asInt()).isEqualTo(1);
        assertThat(stats.at("/calls/GetMigrationVerifyCode/" + phone).asInt()).isEqualTo(1);
        assertThat(stats.get("throttled").asInt()).isZero();
    }

    @Test
    void should_accept_the_endpoint_without_trailing_slash_and_a_signed_form_body() throws Exception {
        TreeMap<String, String> query = initiateParams("13900005678");
        Call noSlash = send(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(), "", query, new byte[0], null,
                AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(), Acs3Signer.newNonce());
        assertThat(noSlash.status()).isEqualTo(200);

        byte[] form = ("CustSpaceId=" + CUST_SPACE + "&PhoneNumber=8613900005678").getBytes();
        Call formCall = send(CamsOperation.GET_PHONE_NUMBER_VERIFICATION_STATUS.action(), "/", new TreeMap<>(), form,
                "application/x-www-form-urlencoded", AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(),
                Acs3Signer.newNonce());
        assertThat(formCall.status()).as(formCall.body()).isEqualTo(200);
    }

    @Test
    void should_treat_initiate_as_repeatable_and_keep_the_id() throws Exception {
        String first = initiate("13900002222").json().at("/Data/Id").asText();
        String second = initiate("13900002222").json().at("/Data/Id").asText();
        assertThat(second).isEqualTo(first);
    }

    // ---- signature and request validation ---------------------------------------------------------------------

    @Test
    void should_reject_a_wrong_signature() throws Exception {
        Call call = send(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(), "/", initiateParams("13900001234"),
                new byte[0], null, "not-the-secret", clock.instant(), Acs3Signer.newNonce());

        assertThat(call.status()).isEqualTo(400);
        assertThat(call.json().get("Code").asText()).isEqualTo("SignatureDoesNotMatch");
        assertThat(call.json().get("RequestId").asText()).isNotBlank();
        assertThat(call.json().get("Message").asText()).doesNotContain(AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET);
        assertThat(classifier.classify(call.status(), call.headers(), call.body()).error().errorClass())
                .isEqualTo(ErrorClass.NEEDS_HUMAN);
        assertThat(controls.calls("CreateChatappMigrationInitiate")).isZero();
    }

    @Test
    void should_reject_a_query_changed_after_signing() throws Exception {
        TreeMap<String, String> signedQuery = initiateParams("13900001234");
        Map<String, String> headers = signer.signedHeaders("POST", host(), "/alibaba/",
                CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(), CamsOperation.VERSION, signedQuery, null,
                null, AlibabaSandbox.DEFAULT_ACCESS_KEY_ID, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(),
                Acs3Signer.newNonce());
        TreeMap<String, String> tampered = new TreeMap<>(signedQuery);
        tampered.put("MobileNumber", "13900009999");

        Call call = exchange("/alibaba/", tampered, headers, new byte[0]);

        assertThat(call.json().get("Code").asText()).isEqualTo("SignatureDoesNotMatch");
    }

    @Test
    void should_reject_an_unsigned_content_type_on_the_wire() throws Exception {
        TreeMap<String, String> query = initiateParams("13900001234");
        Map<String, String> headers = new TreeMap<>(signer.signedHeaders("POST", host(), "/alibaba/",
                CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(), CamsOperation.VERSION, query, null, null,
                AlibabaSandbox.DEFAULT_ACCESS_KEY_ID, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(),
                Acs3Signer.newNonce()));
        headers.put("content-type", "application/json");

        Call call = exchange("/alibaba/", query, headers, new byte[0]);

        assertThat(call.json().get("Code").asText()).isEqualTo("SignatureDoesNotMatch");
        assertThat(call.json().get("Message").asText()).contains("content-type");
    }

    @Test
    void should_reject_unknown_key_stale_date_reused_nonce_and_bad_headers() throws Exception {
        String action = CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action();
        TreeMap<String, String> query = initiateParams("13900001234");

        Map<String, String> unknownKey = signer.signedHeaders("POST", host(), "/alibaba/", action,
                CamsOperation.VERSION, query, null, null, "someone-else", "x", clock.instant(), Acs3Signer.newNonce());
        Call call = exchange("/alibaba/", query, unknownKey, new byte[0]);
        assertThat(call.status()).isEqualTo(404);
        assertThat(call.json().get("Code").asText()).isEqualTo("InvalidAccessKeyId.NotFound");

        Call stale = send(action, "/", query, null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET,
                clock.instant().minus(Duration.ofMinutes(16)), Acs3Signer.newNonce());
        assertThat(stale.json().get("Code").asText()).isEqualTo("InvalidTimeStamp.Expired");
        Call early = send(action, "/", query, null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET,
                clock.instant().plus(Duration.ofMinutes(16)), Acs3Signer.newNonce());
        assertThat(early.json().get("Code").asText()).isEqualTo("InvalidTimeStamp.Expired");
        Call slightlySkewed = send(action, "/", query, null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET,
                clock.instant().minus(Duration.ofMinutes(14)), Acs3Signer.newNonce());
        assertThat(slightlySkewed.status()).isEqualTo(200);

        Map<String, String> once = signer.signedHeaders("POST", host(), "/alibaba/", action, CamsOperation.VERSION,
                query, null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_ID, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET,
                clock.instant(), Acs3Signer.newNonce());
        assertThat(exchange("/alibaba/", query, once, new byte[0]).status()).isEqualTo(200);
        Call replay = exchange("/alibaba/", query, once, new byte[0]);
        assertThat(replay.json().get("Code").asText()).isEqualTo("SignatureNonceUsed");
        assertThat(classifier.classify(replay.status(), replay.headers(), replay.body()).error().errorClass())
                .isEqualTo(ErrorClass.TRANSIENT);

        Map<String, String> badDate = new TreeMap<>(once);
        badDate.put("x-acs-date", "2026-01-15 08:00:00");
        assertThat(exchange("/alibaba/", query, badDate, new byte[0]).json().get("Code").asText())
                .isEqualTo("InvalidTimeStamp.Format");

        Map<String, String> noAuth = new TreeMap<>(once);
        noAuth.remove("Authorization");
        assertThat(exchange("/alibaba/", query, noAuth, new byte[0]).json().get("Code").asText())
                .isEqualTo("IncompleteSignature");

        Map<String, String> v2 = new TreeMap<>(once);
        v2.put("Authorization", "ACS3-HMAC-SM3 Credential=x,SignedHeaders=host,Signature=y");
        assertThat(exchange("/alibaba/", query, v2, new byte[0]).json().get("Code").asText())
                .isEqualTo("InvalidSignatureMethod");
    }

    @Test
    void should_reject_unknown_action_wrong_version_and_missing_parameters() throws Exception {
        Call unknown = send("GetChatappVerifyCode", "/", new TreeMap<>(Map.of("CustSpaceId", CUST_SPACE)), null, null,
                AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(), Acs3Signer.newNonce());
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("Code").asText()).isEqualTo("InvalidApi.NotFound");

        TreeMap<String, String> query = initiateParams("13900001234");
        Map<String, String> oldVersion = signer.signedHeaders("POST", host(), "/alibaba/",
                CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(), "2017-01-01", query, null, null,
                AlibabaSandbox.DEFAULT_ACCESS_KEY_ID, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(),
                Acs3Signer.newNonce());
        assertThat(exchange("/alibaba/", query, oldVersion, new byte[0]).json().get("Code").asText())
                .isEqualTo("InvalidVersion");

        TreeMap<String, String> noMobile = new TreeMap<>(Map.of("CustSpaceId", CUST_SPACE, "CountryCode", CC));
        Call missing = call(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE, noMobile);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("Code").asText()).isEqualTo("MissingMobileNumber");
        assertThat(classifier.classify(missing.status(), missing.headers(), missing.body()).error().errorClass())
                .isEqualTo(ErrorClass.PERMANENT);

        TreeMap<String, String> wrongNames = new TreeMap<>(Map.of("CustSpaceId", CUST_SPACE, "PhoneNumber",
                "8613900001234", "Code", "123456"));
        assertThat(call(CamsOperation.CHATAPP_MIGRATION_VERIFIED, wrongNames).json().get("Code").asText())
                .isEqualTo("MissingVerifyCode");

        TreeMap<String, String> plusCc = initiateParams("13900001234");
        plusCc.put("CountryCode", "+86");
        assertThat(call(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE, plusCc).json().get("Code").asText())
                .isEqualTo("InvalidParameter.PhoneNumberError");

        initiate("13900001234");
        TreeMap<String, String> upperMethod = phoneParams("8613900001234");
        upperMethod.put("Locale", "en_US");
        upperMethod.put("Method", "SMS");
        assertThat(call(CamsOperation.GET_MIGRATION_VERIFY_CODE, upperMethod).json().get("Code").asText())
                .isEqualTo("InvalidParameter.Method");
    }

    // ---- step order and codes ---------------------------------------------------------------------------------

    @Test
    void should_enforce_step_order() throws Exception {
        String phone = CC + "13900003333";

        Call statusFirst = call(CamsOperation.GET_PHONE_NUMBER_VERIFICATION_STATUS, phoneParams(phone));
        assertThat(statusFirst.status()).isEqualTo(400);
        assertThat(statusFirst.json().get("Code").asText()).isEqualTo("Migration.NotInitiated");
        assertThat(call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone)).json().get("Code").asText())
                .isEqualTo("Migration.NotInitiated");

        initiate("13900003333");
        assertThat(verify(phone, "123456").json().get("Code").asText()).isEqualTo("Migration.VerifyCodeNotRequested");
        Call registerEarly = call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone));
        assertThat(registerEarly.json().get("Code").asText()).isEqualTo("Migration.NotVerified");
        assertThat(classifier.classify(registerEarly.status(), registerEarly.headers(), registerEarly.body())
                .error().errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);

        TreeMap<String, String> otherSpace = phoneParams(phone);
        otherSpace.put("CustSpaceId", "cams-other");
        assertThat(call(CamsOperation.GET_PHONE_NUMBER_VERIFICATION_STATUS, otherSpace).json().get("Code").asText())
                .isEqualTo("Unknown.ResourceOwnerId");
    }

    @Test
    void should_reject_a_wrong_code_and_accept_the_latest_one() throws Exception {
        String phone = CC + "13900004444";
        initiate("13900004444");
        requestCode(phone);
        String firstCode = alibaba.code(phone).orElseThrow();
        requestCode(phone);
        String secondCode = alibaba.code(phone).orElseThrow();

        String wrongCode = secondCode.equals("000000") ? "111111" : "000000";
        Call wrong = verify(phone, wrongCode);
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.json().get("Code").asText()).isEqualTo("InvalidVerifyCode");
        ProviderError error = classifier.classify(wrong.status(), wrong.headers(), wrong.body()).error();
        assertThat(classifier.isWrongCode(error)).isTrue();
        assertThat(error.traceId()).isEqualTo(wrong.json().get("RequestId").asText());

        if (!firstCode.equals(secondCode)) {
            assertThat(verify(phone, firstCode).json().get("Code").asText()).isEqualTo("InvalidVerifyCode");
        }
        assertThat(verify(phone, secondCode).status()).isEqualTo(200);
        assertThat(verify(phone, secondCode).status()).as("verify is repeatable with the same code").isEqualTo(200);
    }

    // ---- rate limit and latency -------------------------------------------------------------------------------

    @Test
    void should_throttle_the_eleventh_call_in_one_second() throws Exception {
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            calls.add(initiate("1390000" + String.format("%04d", 1100 + i)));
        }

        assertThat(calls.subList(0, 10)).allSatisfy(c -> assertThat(c.status()).isEqualTo(200));
        Call throttled = calls.get(10);
        assertThat(throttled.status()).isEqualTo(400);
        assertThat(throttled.json().get("Code").asText()).isEqualTo("System.LimitControl");
        assertThat(throttled.headers().get("x-acs-retry-after")).isEqualTo("1000");
        ProviderError error = classifier.classify(throttled.status(), throttled.headers(), throttled.body()).error();
        assertThat(error.errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(error.retryAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(controls.throttledCount()).isEqualTo(1);
        assertThat(JSON.readTree(control("GET", "/stats").body()).get("throttled").asInt()).isEqualTo(1);

        // the limit is per operation
        assertThat(call(CamsOperation.GET_PHONE_NUMBER_VERIFICATION_STATUS, phoneParams("8613900001100")).status())
                .isEqualTo(200);

        clock.advance(Duration.ofMillis(400));
        Call stillThrottled = initiate("13900001199");
        assertThat(stillThrottled.headers().get("x-acs-retry-after")).isEqualTo("600");
        clock.advance(Duration.ofMillis(600));
        assertThat(initiate("13900001199").status()).isEqualTo(200);
        assertThat(controls.throttledCount()).isEqualTo(2);
    }

    @Test
    void should_page_the_spaces_templates_and_allow_the_listing_five_calls_a_second() throws Exception {
        List<Call> pages = new ArrayList<>();
        for (int index = 1; index <= 3; index++) {
            pages.add(listTemplates(CUST_SPACE, index, 10));
        }
        assertThat(pages).allSatisfy(page -> assertThat(page.status()).isEqualTo(200));
        assertThat(pages).allSatisfy(page -> assertThat(page.json().get("Total").asInt()).isEqualTo(23));
        assertThat(pages).extracting(page -> page.json().get("ListTemplate").size()).containsExactly(10, 10, 3);
        List<String> statuses = new ArrayList<>();
        pages.forEach(page -> page.json().get("ListTemplate").forEach(t -> statuses.add(t.get("AuditStatus").asText())));
        assertThat(statuses).containsOnly("pass", "fail", "auditing", "unaudit");
        assertThat(statuses).filteredOn("fail"::equals).hasSize(3);
        JsonNode rejected = pages.get(0).json().get("ListTemplate").get(6);
        assertThat(rejected.get("TemplateName").asText()).isEqualTo("template_7");
        assertThat(rejected.get("Reason").asText()).contains("messaging policy");

        // two more in the same second, then the sixth is throttled: cams allows this operation 5, not 10
        assertThat(listTemplates("cams-other", 1, 10).status()).isEqualTo(200);
        assertThat(listTemplates("cams-other", 1, 10).status()).isEqualTo(200);
        Call sixth = listTemplates("cams-other", 1, 10);
        assertThat(sixth.status()).isEqualTo(400);
        assertThat(sixth.json().get("Code").asText()).isEqualTo("System.LimitControl");
        assertThat(controls.listings(CUST_SPACE)).isEqualTo(3);

        // a space scripted to refuse the listing
        clock.advance(Duration.ofSeconds(1));
        controls.refuseListing("cams-refusing", true);
        Call refused = listTemplates("cams-refusing", 1, 10);
        assertThat(refused.json().get("Code").asText()).isEqualTo("Ram.PermissionDeny");
        assertThat(classifier.classify(refused.status(), refused.headers(), refused.body()).error().errorClass())
                .isNotEqualTo(ErrorClass.RATE_LIMITED);
    }

    private Call listTemplates(String space, int index, int size) throws Exception {
        SortedMap<String, String> params = new java.util.TreeMap<>();
        params.put(CamsOperation.CUST_SPACE_ID, space);
        params.put(CamsOperation.PAGE, "{\"Index\":" + index + ",\"Size\":" + size + "}");
        return call(CamsOperation.LIST_CHATAPP_TEMPLATE, params);
    }

    @Test
    void should_delay_each_response_by_the_latency_without_holding_threads() throws Exception {
        Duration latency = Duration.ofMillis(300);
        sandbox.close();
        sandbox = new ProviderSandbox(0, 1);
        alibaba = AlibabaSandbox.builder().clock(clock).latency(latency).maxRequestsPerSecond(0).build().mountOn(sandbox);
        sandbox.start();
        controls = AlibabaSandboxControl.of(sandbox);

        long started = System.nanoTime();
        Call one = initiate("13900005555");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(one.status()).isEqualTo(200);
        assertThat(took).isGreaterThanOrEqualTo(latency);

        // 12 concurrent calls on ONE handler thread: if the latency held the thread they would take 12 x 300 ms
        int n = 12;
        long batchStarted = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(http.sendAsync(request(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(), "/",
                    initiateParams("1390000" + (6000 + i)), null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET,
                    clock.instant(), Acs3Signer.newNonce()), HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get();
        Duration batch = Duration.ofNanos(System.nanoTime() - batchStarted);
        assertThat(futures).allSatisfy(f -> assertThat(f.get().statusCode()).isEqualTo(200));
        assertThat(batch).isGreaterThanOrEqualTo(latency).isLessThan(latency.multipliedBy(n / 2));
    }

    // ---- scripted patterns ------------------------------------------------------------------------------------

    @Test
    void should_report_0001_as_already_verified_and_register_without_code() throws Exception {
        String phone = CC + "13900000001";
        initiate("13900000001");

        Call status = call(CamsOperation.GET_PHONE_NUMBER_VERIFICATION_STATUS, phoneParams(phone));
        assertThat(status.json().at("/Data/CodeVerificationStatus").asText()).isEqualTo("VERIFIED");
        assertThat(call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone)).status()).isEqualTo(200);
    }

    @Test
    void should_throttle_the_first_call_of_each_operation_once_for_0002() throws Exception {
        String phone = CC + "13900000002";
        Call first = initiate("13900000002");
        assertThat(first.status()).isEqualTo(400);
        assertThat(first.json().get("Code").asText()).isEqualTo("System.LimitControl");
        assertThat(first.headers().get("x-acs-retry-after")).isEqualTo("200");
        ProviderError error = classifier.classify(first.status(), first.headers(), first.body()).error();
        assertThat(error.errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(error.retryAfter()).isEqualTo(Duration.ofMillis(200));
        assertThat(initiate("13900000002").status()).isEqualTo(200);

        assertThat(requestCode(phone).json().get("Code").asText()).isEqualTo("System.LimitControl");
        assertThat(requestCode(phone).status()).isEqualTo(200);
        String code = alibaba.code(phone).orElseThrow();
        assertThat(verify(phone, code).json().get("Code").asText()).isEqualTo("System.LimitControl");
        assertThat(verify(phone, code).status()).isEqualTo(200);
        assertThat(call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone)).status()).isEqualTo(400);
        assertThat(call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone)).status()).isEqualTo(200);

        assertThat(controls.throttledCount()).isEqualTo(4);
        assertThat(controls.calls("ChatappMigrationRegister", phone)).isEqualTo(2);
    }

    static Stream<Arguments> failingInitiates() {
        return Stream.of(
                Arguments.of("13900000003", "Ram.PermissionDeny", ErrorClass.NEEDS_HUMAN),
                Arguments.of("13900000005", "Unknown.ResourceOwnerId", ErrorClass.PERMANENT),
                Arguments.of("13900000006", "Product.Unsubscript", ErrorClass.NEEDS_HUMAN));
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @MethodSource("failingInitiates")
    void should_fail_initiate_for_scripted_numbers(String mobile, String code, ErrorClass errorClass) throws Exception {
        for (int attempt = 0; attempt < 2; attempt++) {
            Call call = initiate(mobile);
            assertThat(call.status()).isEqualTo(400);
            assertThat(call.json().get("Code").asText()).isEqualTo(code);
            ProviderError error = classifier.classify(call.status(), call.headers(), call.body()).error();
            assertThat(error.errorClass()).isEqualTo(errorClass);
            assertThat(error.traceId()).isEqualTo(call.json().get("RequestId").asText());
        }
    }

    @Test
    void should_include_access_denied_detail_for_0003() throws Exception {
        Call call = initiate("13900000003");
        assertThat(call.json().get("AccessDeniedDetail").asText()).contains("cams:CreateChatappMigrationInitiate");
        assertThat(classifier.classify(call.status(), call.headers(), call.body()).error().message())
                .contains("AccessDeniedDetail").contains("cams:CreateChatappMigrationInitiate");
    }

    @Test
    void should_fail_register_twice_with_503_for_0004() throws Exception {
        String phone = CC + "13900000004";
        initiate("13900000004");
        requestCode(phone);
        verify(phone, alibaba.code(phone).orElseThrow());

        for (int i = 0; i < 2; i++) {
            Call register = call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone));
            assertThat(register.status()).isEqualTo(503);
            assertThat(register.json().get("Code").asText()).isEqualTo("InternalError");
            assertThat(classifier.classify(register.status(), register.headers(), register.body()).error().errorClass())
                    .isEqualTo(ErrorClass.TRANSIENT);
        }
        assertThat(call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone)).status()).isEqualTo(200);
        assertThat(controls.calls("ChatappMigrationRegister", phone)).isEqualTo(3);
    }

    @Test
    void should_answer_a_malformed_body_once_for_0007() throws Exception {
        Call first = initiate("13900000007");
        assertThat(first.status()).isEqualTo(200);
        assertThatThrownBy(() -> JSON.readTree(first.body())).isInstanceOf(IOException.class);
        ProviderError error = classifier.classify(first.status(), first.headers(), first.body()).error();
        assertThat(error.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
        assertThat(error.code()).isEqualTo("MALFORMED_RESPONSE");

        Call retry = initiate("13900000007");
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.json().at("/Data/PhoneNumber").asText()).isEqualTo(CC + "13900000007");
        assertThat(classifier.classify(retry.status(), retry.headers(), retry.body()).success()).isTrue();
    }

    @Test
    void should_hold_requests_for_0009_until_released() throws Exception {
        CompletableFuture<HttpResponse<String>> pending = http.sendAsync(
                request(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(), "/", initiateParams("13900000009"),
                        null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(), Acs3Signer.newNonce()),
                HttpResponse.BodyHandlers.ofString());

        await().atMost(Duration.ofSeconds(5)).until(() -> controls.heldCount() == 1);
        assertThat(pending).isNotDone();
        assertThat(controls.calls("CreateChatappMigrationInitiate", CC + "13900000009")).isEqualTo(1);

        HttpResponse<String> released = control("POST", "/release");
        assertThat(JSON.readTree(released.body()).get("released").asInt()).isEqualTo(1);
        HttpResponse<String> answer = pending.get();
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(answer.body()).at("/Data/Status").asText()).isEqualTo("MIGRATING");
        assertThat(controls.heldCount()).isZero();
    }

    @Test
    void should_let_a_client_time_out_on_a_held_request() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(request(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE.action(),
                        "/", initiateParams("13900010009"), null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET,
                        clock.instant(), Acs3Signer.newNonce()), (name, value) -> true)
                .timeout(Duration.ofMillis(300)).build();

        assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
        ProviderError error = classifier.classifyException(new HttpTimeoutException("request timed out"));
        assertThat(error.errorClass()).isEqualTo(ErrorClass.TRANSIENT);

        assertThat(controls.heldCount()).isEqualTo(1);
        assertThat(controls.release()).isEqualTo(1);
        assertThat(alibaba.code(CC + "13900010009")).isEmpty();
        assertThat(initiate("13900000123").status()).as("the sandbox still serves").isEqualTo(200);
    }

    @Test
    void should_serve_controls() throws Exception {
        assertThat(control("GET", "/codes/8600000000").statusCode()).isEqualTo(404);
        assertThat(control("GET", "/nope").statusCode()).isEqualTo(404);
        initiate("13900007777");
        JsonNode number = JSON.readTree(control("GET", "/numbers/8613900007777").body());
        assertThat(number.get("codeVerificationStatus").asText()).isEqualTo("NOT_VERIFIED");
        assertThat(JSON.readTree(control("POST", "/latency?ms=5").body()).get("latencyMs").asInt()).isEqualTo(5);
        assertThat(controls.latency()).isEqualTo(Duration.ofMillis(5));
        assertThat(control("POST", "/reset").statusCode()).isEqualTo(200);
        assertThat(controls.calls("CreateChatappMigrationInitiate", "8613900007777")).isZero();
        assertThat(control("GET", "/numbers/8613900007777").statusCode()).isEqualTo(404);
    }

    @Test
    void should_serve_another_provider_mounted_beside_it() throws Exception {
        sandbox.mount("/meta", exchange -> {
            byte[] ok = "{\"meta\":true}".getBytes();
            exchange.sendResponseHeaders(200, ok.length);
            exchange.getResponseBody().write(ok);
            exchange.close();
        });
        HttpResponse<String> meta = http.send(HttpRequest.newBuilder(URI.create(sandbox.baseUrl() + "/meta/v25.0/111"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(meta.statusCode()).isEqualTo(200);
        assertThat(meta.body()).isEqualTo("{\"meta\":true}");
        assertThat(initiate("13900008888").status()).isEqualTo(200);
        assertThat(alibaba.camsEndpoint()).isEqualTo(sandbox.baseUrl() + "/alibaba");
    }

    @Test
    void should_act_on_a_call_not_safe_to_repeat_then_answer_503_or_html_once() throws Exception {
        String phone503 = CC + "13900020010";
        Call initiated = initiate("13900020010");
        assertThat(initiated.status()).isEqualTo(503);
        assertThat(initiated.json().get("Code").asText()).isEqualTo("ServiceUnavailable");
        assertThat(controls.stats().get("numbers")).as("the initiate took effect").isEqualTo(1);
        assertThat(requestCode(phone503).status()).isEqualTo(503);
        assertThat(alibaba.code(phone503)).as("the code was sent").isPresent();
        assertThat(initiate("13900020010").status()).as("once per operation").isEqualTo(200);

        String phoneHtml = CC + "13900020011";
        Call html = initiate("13900020011");
        assertThat(html.status()).isEqualTo(200);
        assertThat(html.body()).startsWith("<html>");
        assertThat(requestCode(phoneHtml).body()).startsWith("<html>");
        assertThat(alibaba.code(phoneHtml)).isPresent();
        assertThat(requestCode(phoneHtml).json().get("Code").asText()).isEqualTo("OK");
    }

    @Test
    void should_list_a_register_of_pattern_0012_as_pending_twice_then_connected() throws Exception {
        String phone = CC + "13900020012";
        initiate("13900020012");
        requestCode(phone);
        verify(phone, alibaba.code(phone).orElseThrow());
        assertThat(call(CamsOperation.CHATAPP_MIGRATION_REGISTER, phoneParams(phone)).status()).isEqualTo(503);

        List<String> statuses = new ArrayList<>();
        for (int i = 0; i < AlibabaSandbox.PENDING_LISTINGS + 1; i++) {
            JsonNode listing = call(CamsOperation.QUERY_CHATAPP_PHONE_NUMBERS,
                    new TreeMap<>(Map.of("CustSpaceId", CUST_SPACE))).json();
            for (JsonNode number : listing.get("PhoneNumbers")) {
                if (number.get("PhoneNumber").asText().equals(phone)) {
                    statuses.add(number.get("Status").asText());
                }
            }
        }
        assertThat(statuses).containsExactly("PENDING", "PENDING", "CONNECTED");
        assertThat(controls.calls(CamsOperation.CHATAPP_MIGRATION_REGISTER, phone)).isEqualTo(1);
    }

    // ---- client helpers: what the production client does, with java.net.http ---------------------------------

    private record Call(int status, Map<String, String> headers, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private Call initiate(String mobileNumber) throws Exception {
        return call(CamsOperation.CREATE_CHATAPP_MIGRATION_INITIATE, initiateParams(mobileNumber));
    }

    private Call requestCode(String phone) throws Exception {
        TreeMap<String, String> params = phoneParams(phone);
        params.put("Locale", "zh_CN");
        params.put("Method", "sms");
        return call(CamsOperation.GET_MIGRATION_VERIFY_CODE, params);
    }

    private Call verify(String phone, String code) throws Exception {
        TreeMap<String, String> params = phoneParams(phone);
        params.put("VerifyCode", code);
        return call(CamsOperation.CHATAPP_MIGRATION_VERIFIED, params);
    }

    private static TreeMap<String, String> initiateParams(String mobileNumber) {
        return new TreeMap<>(Map.of("CustSpaceId", CUST_SPACE, "CountryCode", CC, "MobileNumber", mobileNumber));
    }

    private static TreeMap<String, String> phoneParams(String phone) {
        return new TreeMap<>(Map.of("CustSpaceId", CUST_SPACE, "PhoneNumber", phone));
    }

    private Call call(CamsOperation op, SortedMap<String, String> params) throws Exception {
        return send(op.action(), "/", params, null, null, AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET, clock.instant(),
                Acs3Signer.newNonce());
    }

    private Call send(String action, String pathSuffix, SortedMap<String, String> query, byte[] body,
                      String contentType, String secret, Instant at, String nonce) throws Exception {
        return toCall(http.send(request(action, pathSuffix, query, body, contentType, secret, at, nonce),
                HttpResponse.BodyHandlers.ofString()));
    }

    private HttpRequest request(String action, String pathSuffix, SortedMap<String, String> query, byte[] body,
                                String contentType, String secret, Instant at, String nonce) {
        String path = "/alibaba" + pathSuffix;
        Map<String, String> headers = signer.signedHeaders("POST", host(), path, action, CamsOperation.VERSION, query,
                body, contentType, AlibabaSandbox.DEFAULT_ACCESS_KEY_ID, secret, at, nonce);
        return build(path, query, headers, body);
    }

    private Call exchange(String path, SortedMap<String, String> query, Map<String, String> headers, byte[] body)
            throws Exception {
        return toCall(http.send(build(path, query, headers, body), HttpResponse.BodyHandlers.ofString()));
    }

    private HttpRequest build(String path, SortedMap<String, String> query, Map<String, String> headers, byte[] body) {
        String q = Acs3Signer.canonicalQuery(query);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(sandbox.baseUrl() + path + (q.isEmpty() ? "" : "?" + q)))
                .timeout(Duration.ofSeconds(10))
                .POST(body == null || body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        // java.net.http sets Host itself, from the URI: the same value that was signed
        headers.forEach((name, value) -> {
            if (!name.equalsIgnoreCase("host")) {
                builder.header(name, value);
            }
        });
        return builder.build();
    }

    private static Call toCall(HttpResponse<String> response) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        response.headers().map().forEach((k, v) -> headers.put(k, v.isEmpty() ? null : v.get(0)));
        return new Call(response.statusCode(), headers, response.body());
    }

    private String host() {
        return Acs3Signer.hostHeader(URI.create(sandbox.baseUrl()));
    }

    private HttpResponse<String> reveal(String phone) throws Exception {
        return control("GET", "/codes/" + phone);
    }

    private HttpResponse<String> control(String method, String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(sandbox.baseUrl() + "/alibaba-sandbox" + pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

}
