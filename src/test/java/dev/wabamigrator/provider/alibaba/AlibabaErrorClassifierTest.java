package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.ProviderError;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** provider-apis.md §1.6 as a table: provider code → error class (+ retryAfter, traceId). */
class AlibabaErrorClassifierTest {

    private final AlibabaErrorClassifier classifier = new AlibabaErrorClassifier();

    private static String body(String code) {
        return "{\"RequestId\":\"REQ-" + code + "\",\"Code\":\"" + code + "\",\"Message\":\"msg of " + code + "\"}";
    }

    @ParameterizedTest(name = "HTTP {0} Code {1} retry-after {2} -> {3}")
    @CsvSource(nullValues = "null", textBlock = """
            # status, Code,                              x-acs-retry-after, class,        retryAfter ms
              400,    System.LimitControl,               null,              RATE_LIMITED, null
              400,    System.LimitControl,               200,               RATE_LIMITED, 200
              400,    Product.Unsubscript,               null,              NEEDS_HUMAN,  null
              400,    Ram.PermissionDeny,                null,              NEEDS_HUMAN,  null
              400,    Unknown.ResourceOwnerId,           null,              PERMANENT,    null
              400,    Throttling,                        null,              RATE_LIMITED, null
              400,    Throttling.User,                   null,              RATE_LIMITED, null
              400,    Throttling.Api,                    null,              RATE_LIMITED, null
              400,    Throttling.Whatever.New,           null,              RATE_LIMITED, null
              400,    InvalidParameter.PhoneNumberError, 1500,              RATE_LIMITED, 1500
              503,    ServiceUnavailable,                800,               RATE_LIMITED, 800
              500,    InternalError,                     null,              TRANSIENT,    null
              503,    InternalError,                     null,              TRANSIENT,    null
              503,    ServiceUnavailable,                null,              TRANSIENT,    null
              502,    SomethingUndocumented,             null,              TRANSIENT,    null
              400,    InvalidTimeStamp.Expired,          null,              TRANSIENT,    null
              400,    SignatureNonceUsed,                null,              TRANSIENT,    null
              400,    SignatureDoesNotMatch,             null,              NEEDS_HUMAN,  null
              403,    SignatureDoesNotMatch,             null,              NEEDS_HUMAN,  null
              400,    IncompleteSignature,               null,              NEEDS_HUMAN,  null
              404,    InvalidAccessKeyId.NotFound,       null,              NEEDS_HUMAN,  null
              400,    InvalidAccessKeyId.Inactive,       null,              NEEDS_HUMAN,  null
              400,    Authentication.NoAuth,             null,              NEEDS_HUMAN,  null
              400,    InvalidParameter.PhoneNumberError, null,              NEEDS_HUMAN,  null
              400,    MissingPhoneNumber,                null,              PERMANENT,    null
              400,    MissingCustSpaceId,                null,              PERMANENT,    null
              400,    InvalidParameter,                  null,              PERMANENT,    null
              400,    InvalidParameter.Method,           null,              PERMANENT,    null
              404,    InvalidApi.NotFound,               null,              PERMANENT,    null
              400,    InvalidTimeStamp.Format,           null,              PERMANENT,    null
              400,    InvalidSignatureMethod,            null,              PERMANENT,    null
              400,    InvalidVerifyCode,                 null,              NEEDS_HUMAN,  null
              400,    VerifyCode.Invalid,                null,              NEEDS_HUMAN,  null
              400,    InvalidParameter.VerifyCode,       null,              NEEDS_HUMAN,  null
              400,    Migration.NotVerified,             null,              NEEDS_HUMAN,  null
              200,    Migration.Undocumented,            null,              NEEDS_HUMAN,  null
              200,    System.LimitControl,               null,              RATE_LIMITED, null
              200,    Unknown.ResourceOwnerId,           null,              PERMANENT,    null
              200,    MissingVerifyCode,                 null,              PERMANENT,    null
              200,    InternalError,                     null,              TRANSIENT,    null
            """)
    void should_classify_provider_code(int status, String code, String retryAfter, ErrorClass expected,
                                       Long retryAfterMs) {
        AlibabaErrorClassifier.CamsResult result = classifier.classify(status, retryAfter, body(code));

        assertThat(result.success()).isFalse();
        ProviderError error = result.error();
        assertThat(error.provider()).isEqualTo("alibaba");
        assertThat(error.code()).isEqualTo(code);
        assertThat(error.errorClass()).isEqualTo(expected);
        assertThat(error.retryAfter()).isEqualTo(retryAfterMs == null ? null : Duration.ofMillis(retryAfterMs));
        assertThat(error.traceId()).isEqualTo("REQ-" + code);
        assertThat(result.requestId()).isEqualTo("REQ-" + code);
        assertThat(error.message()).isEqualTo("msg of " + code);
    }

    static Stream<Arguments> unusableResponses() {
        return Stream.of(
                Arguments.of(503, null, "HTTP_503", ErrorClass.TRANSIENT),
                Arguments.of(500, "", "HTTP_500", ErrorClass.TRANSIENT),
                Arguments.of(502, "<html><body>Bad Gateway</body></html>", "HTTP_502", ErrorClass.TRANSIENT),
                Arguments.of(200, "{\"RequestId\":\"R\",\"Code\":\"OK\",\"Mess", "MALFORMED_RESPONSE", ErrorClass.TRANSIENT),
                Arguments.of(200, "<html>oops</html>", "MALFORMED_RESPONSE", ErrorClass.TRANSIENT),
                Arguments.of(200, null, "MALFORMED_RESPONSE", ErrorClass.TRANSIENT),
                Arguments.of(200, "{\"RequestId\":\"R\",\"Data\":{}}", "MALFORMED_RESPONSE", ErrorClass.TRANSIENT),
                Arguments.of(200, "[1,2]", "MALFORMED_RESPONSE", ErrorClass.TRANSIENT),
                Arguments.of(400, "not json", "MALFORMED_RESPONSE", ErrorClass.TRANSIENT),
                Arguments.of(429, null, "HTTP_429", ErrorClass.RATE_LIMITED));
    }

    @ParameterizedTest(name = "HTTP {0} body {1} -> {2} {3}")
    @MethodSource("unusableResponses")
    void should_classify_unusable_response(int status, String body, String code, ErrorClass expected) {
        ProviderError error = classifier.classify(status, (String) null, body).error();

        assertThat(error.code()).isEqualTo(code);
        assertThat(error.errorClass()).isEqualTo(expected);
        assertThat(error.provider()).isEqualTo("alibaba");
    }

    @Test
    void should_succeed_only_on_2xx_with_code_ok_and_expose_data() {
        String ok = "{\"RequestId\":\"90E63D28\",\"Code\":\"OK\",\"Message\":\"SUCCESS\","
                + "\"Data\":{\"PhoneNumber\":\"8613900001234\",\"Id\":\"82828893332\",\"Status\":\"MIGRATING\"}}";

        AlibabaErrorClassifier.CamsResult result = classifier.classify(200, Map.of(), ok);
        assertThat(result.success()).isTrue();
        assertThat(result.error()).isNull();
        assertThat(result.requestId()).isEqualTo("90E63D28");
        assertThat(result.dataText("Id")).isEqualTo("82828893332");
        assertThat(result.dataText("Status")).isEqualTo("MIGRATING");

        AlibabaErrorClassifier.CamsResult register = classifier.classify(200, Map.of(),
                "{\"RequestId\":\"R2\",\"Code\":\"OK\",\"Message\":\"SUCCESS\"}");
        assertThat(register.success()).isTrue();
        assertThat(register.data()).isEmpty();

        // an OK body under a non-2xx status is not a success
        assertThat(classifier.classify(500, Map.of(), ok).success()).isFalse();
        // a retry-after header on a success changes nothing
        assertThat(classifier.classify(200, Map.of("x-acs-retry-after", "100"), ok).success()).isTrue();
    }

    @Test
    void should_read_retry_after_from_headers_in_any_case_and_shape() {
        String throttled = body("System.LimitControl");

        assertThat(classifier.classify(400, Map.of("X-Acs-Retry-After", List.of("350")), throttled)
                .error().retryAfter()).isEqualTo(Duration.ofMillis(350));
        assertThat(classifier.classify(400, Map.of("x-acs-retry-after", 75), throttled)
                .error().retryAfter()).isEqualTo(Duration.ofMillis(75));
        assertThat(classifier.classify(400, Map.of("x-acs-retry-after", "soon"), throttled)
                .error().retryAfter()).isNull();
        assertThat(classifier.classify(400, Map.of("x-acs-retry-after", "0"), throttled)
                .error().retryAfter()).isNull();

        ProviderError noBody = classifier.classify(503, Map.of("x-acs-retry-after", "1000"), null).error();
        assertThat(noBody.errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(noBody.code()).isEqualTo("HTTP_503");
        assertThat(noBody.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void should_put_access_denied_detail_in_the_message() {
        String body = "{\"RequestId\":\"R\",\"Code\":\"Ram.PermissionDeny\",\"Message\":\"no permission\","
                + "\"AccessDeniedDetail\":\"{\\\"AuthAction\\\":\\\"cams:CreateChatappMigrationInitiate\\\"}\"}";

        ProviderError error = classifier.classify(400, Map.of(), body).error();

        assertThat(error.errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);
        assertThat(error.message()).startsWith("no permission AccessDeniedDetail: ")
                .contains("cams:CreateChatappMigrationInitiate");
    }

    static Stream<Arguments> ioFailures() {
        return Stream.of(
                Arguments.of(new HttpTimeoutException("request timed out"), "TIMEOUT"),
                Arguments.of(new SocketTimeoutException("Read timed out"), "TIMEOUT"),
                Arguments.of(new SocketException("Connection reset"), "CONNECTION_RESET"),
                Arguments.of(new IOException("Connection reset by peer"), "CONNECTION_RESET"),
                Arguments.of(new ConnectException("Connection refused"), "CONNECTION_REFUSED"),
                Arguments.of(new IOException("something odd"), "IO_ERROR"),
                Arguments.of(new RuntimeException("wrapped", new SocketTimeoutException("Read timed out")), "TIMEOUT"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("ioFailures")
    void should_classify_io_failures_as_transient(Throwable failure, String code) {
        ProviderError error = classifier.classifyException(failure);

        assertThat(error.code()).isEqualTo(code);
        assertThat(error.errorClass()).isEqualTo(ErrorClass.TRANSIENT);
        assertThat(error.provider()).isEqualTo("alibaba");
    }

    @Test
    void should_not_guess_about_non_io_client_failures() {
        assertThat(classifier.classifyException(new IllegalStateException("bug")).errorClass())
                .isEqualTo(ErrorClass.NEEDS_HUMAN);
    }

    @ParameterizedTest(name = "{0} on repeat -> {1}")
    @CsvSource({
            "InvalidTimeStamp.Expired, NEEDS_HUMAN",
            "SignatureNonceUsed,       PERMANENT",
            "InternalError,            TRANSIENT",
            "System.LimitControl,      RATE_LIMITED",
            "Undocumented.Code,        NEEDS_HUMAN"})
    void should_escalate_codes_that_recur(String code, ErrorClass onRepeat) {
        ProviderError first = classifier.classify(400, (String) null, body(code)).error();

        assertThat(classifier.classifyRepeat(first).errorClass()).isEqualTo(onRepeat);
    }

    @Test
    void should_recognise_wrong_verification_codes_from_a_configurable_set() {
        ProviderError wrong = classifier.classify(400, (String) null, body("InvalidVerifyCode")).error();
        ProviderError other = classifier.classify(400, (String) null, body("InvalidParameter.Method")).error();
        assertThat(classifier.isWrongCode(wrong)).isTrue();
        assertThat(classifier.isWrongCode(other)).isFalse();
        assertThat(classifier.isWrongCode(ProviderError.of("meta", "InvalidVerifyCode", "", ErrorClass.NEEDS_HUMAN)))
                .isFalse();

        AlibabaErrorClassifier custom = new AlibabaErrorClassifier(List.of("Migration.VerifyCodeMismatch"));
        ProviderError customWrong = custom.classify(200, (String) null, body("Migration.VerifyCodeMismatch")).error();
        assertThat(custom.isWrongCode(customWrong)).isTrue();
        assertThat(customWrong.errorClass()).isEqualTo(ErrorClass.NEEDS_HUMAN);
        assertThat(custom.isWrongCode(wrong)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void should_tell_credential_and_signer_failures_from_other_rejections() {
        AlibabaErrorClassifier classifier = new AlibabaErrorClassifier();
        for (String code : java.util.List.of("SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId.NotFound",
                "InvalidAccessKeyId.Inactive")) {
            assertThat(classifier.isCredentialFailure(classifier.classify(400, (String) null,
                    "{\"Code\":\"" + code + "\"}").error())).as(code).isTrue();
        }
        for (String code : java.util.List.of("InvalidTimeStamp.Expired", "SignatureNonceUsed", "Ram.PermissionDeny",
                "System.LimitControl")) {
            assertThat(classifier.isCredentialFailure(classifier.classify(400, (String) null,
                    "{\"Code\":\"" + code + "\"}").error())).as(code).isFalse();
        }
    }
}
