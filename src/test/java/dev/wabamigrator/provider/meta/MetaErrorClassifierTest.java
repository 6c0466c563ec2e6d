package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.AutoFix;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.Kind;
import dev.wabamigrator.provider.meta.MetaErrorClassifier.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static dev.wabamigrator.engine.ErrorClass.NEEDS_HUMAN;
import static dev.wabamigrator.engine.ErrorClass.PERMANENT;
import static dev.wabamigrator.engine.ErrorClass.RATE_LIMITED;
import static dev.wabamigrator.engine.ErrorClass.TRANSIENT;
import static org.assertj.core.api.Assertions.assertThat;

/** provider-apis.md §2.10, row by row: every rule of {@link MetaErrorClassifier#TABLE} is exercised. */
class MetaErrorClassifierTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> RULES_HIT = ConcurrentHashMap.newKeySet();
    private static final String TRACE = "AbCdEfGhIjK";

    private final MetaErrorClassifier classifier = new MetaErrorClassifier();

    /** One row of the table test. */
    static final class Case {
        final String name;
        GraphCall op = GraphCall.MIGRATE_NUMBER;
        int status = 400;
        String rawBody;
        Integer code;
        Integer subcode;
        String message;
        String title;
        String userMsg;
        String details;
        Boolean isTransient;
        Duration eta;
        Kind kind = Kind.FAILED;
        ErrorClass cls;
        String expectedCode;
        Duration retryAfter;
        AutoFix autoFix = AutoFix.NONE;
        boolean blocksRegister;
        String rule;

        Case(String name) {
            this.name = name;
        }

        Case op(GraphCall o) { op = o; return this; }
        Case status(int s) { status = s; return this; }
        Case raw(String b) { rawBody = b; return this; }
        Case graph(Integer c, Integer sub) { code = c; subcode = sub; return this; }
        Case message(String m) { message = m; return this; }
        Case title(String t) { title = t; return this; }
        Case userMsg(String m) { userMsg = m; return this; }
        Case details(String d) { details = d; return this; }
        Case isTransient(boolean t) { isTransient = t; return this; }
        Case eta(Duration d) { eta = d; return this; }
        Case expect(ErrorClass c, String ruleId) { cls = c; rule = ruleId; return this; }
        Case alreadyDone() { kind = Kind.ALREADY_DONE; rule = "already-in-destination"; return this; }
        Case success() { kind = Kind.SUCCESS; rule = "success"; return this; }
        Case code(String c) { expectedCode = c; return this; }
        Case retryAfter(Duration d) { retryAfter = d; return this; }
        Case autoFix(AutoFix f) { autoFix = f; return this; }
        Case blocksRegister() { blocksRegister = true; return this; }

        String body() {
            if (rawBody != null || code == null && message == null) {
                return rawBody;
            }
            ObjectNode root = JSON.createObjectNode();
            ObjectNode e = root.putObject("error");
            if (message != null) e.put("message", message);
            e.put("type", "OAuthException");
            if (code != null) e.put("code", code);
            if (subcode != null) e.put("error_subcode", subcode);
            if (title != null) e.put("error_user_title", title);
            if (userMsg != null) e.put("error_user_msg", userMsg);
            if (details != null) e.putObject("error_data").put("messaging_product", "whatsapp").put("details", details);
            if (isTransient != null) e.put("is_transient", isTransient);
            e.put("fbtrace_id", TRACE);
            return root.toString();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static Case row(String name) {
        return new Case(name);
    }

    private static Case graph(String name, int code) {
        return row(name).graph(code, null).message("(#" + code + ") " + name).code(String.valueOf(code));
    }

    static Stream<Case> table() {
        List<Case> rows = new ArrayList<>(List.of(
            // success and idempotent success
            row("200 is success").status(200).raw("{\"id\":\"123\"}").success(),
            row("201 with empty body is success").status(201).raw("").success(),
            row("2388012 on migrate is already done").graph(100, 2388012).message("Invalid parameter")
                .userMsg("This phone number is already registered to your WhatsApp Business Account.")
                .alreadyDone().code("100/2388012"),
            row("2388012 outside migrate is a plain invalid parameter").op(GraphCall.REGISTER).graph(100, 2388012)
                .message("Invalid parameter").expect(PERMANENT, "invalid-parameter").code("100/2388012"),

            // two-step authentication still enabled (code unconfirmed: matched on text)
            row("two-step must be disabled on migrate").graph(100, null).message("(#100) Invalid parameter")
                .userMsg("Two-step authentication must be disabled for this phone number.")
                .expect(NEEDS_HUMAN, "two-step-enabled").code("100"),
            row("two-step text with an unknown code").graph(136000, 2388999).message("Migration failed")
                .details("Two-step authentication must be disabled for this phone number.")
                .expect(NEEDS_HUMAN, "two-step-enabled").code("136000/2388999"),

            // the eight 2388103 variants
            row("2388103 Cannot migrate phone number.").graph(100, 2388103).message("(#100) Invalid parameter")
                .title("Cannot migrate phone number.").userMsg("Cannot migrate phone number.")
                .expect(NEEDS_HUMAN, "2388103-no-subscribed-app").autoFix(AutoFix.SUBSCRIBE_APPS).code("100/2388103"),
            row("2388103 There was an error migrating this phone number.").graph(100, 2388103)
                .message("Invalid parameter").title("Cannot migrate phone number")
                .userMsg("There was an error migrating this phone number. Please try again after some time.")
                .expect(TRANSIENT, "2388103-try-again").code("100/2388103"),
            row("2388103 Please add this phone number").graph(100, 2388103).message("Invalid parameter")
                .userMsg("Please add this phone number in your WhatsApp account")
                .expect(NEEDS_HUMAN, "2388103-add-number"),
            row("2388103 Registered name should be present and approved.").graph(100, 2388103)
                .message("Invalid parameter").userMsg("Registered name should be present and approved.")
                .expect(NEEDS_HUMAN, "2388103-name-not-approved"),
            row("2388103 not set up correctly").graph(100, 2388103).message("Invalid parameter")
                .userMsg("The source WhatsApp Business Account is not set up correctly.")
                .expect(NEEDS_HUMAN, "2388103-not-set-up"),
            row("2388103 must be approved").graph(100, 2388103).message("Invalid parameter")
                .userMsg("The destination WhatsApp Business Account must be approved")
                .expect(NEEDS_HUMAN, "2388103-must-be-approved"),
            row("2388103 'Messaging For' request must be approved").graph(100, 2388103).message("Invalid parameter")
                .userMsg("'Messaging For' request must be approved").expect(NEEDS_HUMAN, "2388103-messaging-for"),
            row("2388103 does not have a payment account").graph(100, 2388103).message("Invalid parameter")
                .userMsg("The destination WhatsApp Business Account does not have a payment account.")
                .expect(NEEDS_HUMAN, "2388103-no-payment-account"),
            row("2388103 belongs to a different Business Manager account").graph(100, 2388103)
                .message("Invalid parameter").title("Cannot migrate phone number.")
                .userMsg("This phone number belongs to a different Business Manager account.")
                .expect(PERMANENT, "2388103-different-business").code("100/2388103"),
            row("2388103 unrecognised text").graph(100, 2388103).message("Invalid parameter")
                .userMsg("Something new happened.").expect(NEEDS_HUMAN, "2388103-other"),
            row("2388103 outside the phone-migration calls is not a phone-migration error").op(GraphCall.TAG_INTENT)
                .graph(100, 2388103).message("Invalid parameter").userMsg("Cannot migrate phone number.")
                .expect(PERMANENT, "invalid-parameter"),

            // 2388091 / 2388093
            row("2388091 number not in migration").op(GraphCall.REQUEST_CODE).graph(100, 2388091).message("Invalid parameter")
                .userMsg("This phone number is not in migration.").expect(PERMANENT, "2388091-not-in-migration")
                .code("100/2388091"),
            row("2388091 asking to wait 1 hour").op(GraphCall.REQUEST_CODE).graph(100, 2388091).message("Invalid parameter")
                .userMsg("You have requested a code too many times. Please wait 1 hour before trying again.")
                .expect(RATE_LIMITED, "2388091-wait").retryAfter(Duration.ofHours(1)),
            row("2388093 asking to try again later").op(GraphCall.VERIFY_CODE).graph(100, 2388093).message("Invalid parameter")
                .userMsg("Cannot verify code now, try again later.")
                .expect(RATE_LIMITED, "2388091-wait").retryAfter(Duration.ofHours(1)),
            row("2388093 outside the phone-migration calls is endpoint-scoped").op(GraphCall.SUBSCRIBE_APPS).graph(100, 2388093)
                .message("Invalid parameter").expect(PERMANENT, "invalid-parameter"),

            // auth
            row("190 token expired").op(GraphCall.SUBSCRIBE_APPS).status(401).graph(190, 463)
                .message("Error validating access token: Session has expired")
                .expect(NEEDS_HUMAN, "token-invalid").autoFix(AutoFix.REFETCH_TOKEN).code("190/463"),
            graph("0 auth exception", 0).expect(NEEDS_HUMAN, "token-invalid").autoFix(AutoFix.REFETCH_TOKEN),
            row("190 as a string code").raw("{\"error\":{\"message\":\"Invalid OAuth access token\",\"code\":\"190\"}}")
                .expect(NEEDS_HUMAN, "token-invalid").code("190").autoFix(AutoFix.REFETCH_TOKEN),

            // rate limits
            graph("4 app rate limit with estimated_time_to_regain_access", 4).eta(Duration.ofMinutes(7))
                .expect(RATE_LIMITED, "rate-limit").retryAfter(Duration.ofMinutes(7)),
            graph("17 user rate limit, wait stated in details", 17).details("Please wait 30 seconds")
                .expect(RATE_LIMITED, "rate-limit").retryAfter(Duration.ofSeconds(30)),
            graph("32 page rate limit without a wait", 32).expect(RATE_LIMITED, "rate-limit"),
            graph("341 application limit", 341).eta(Duration.ofMinutes(1)).expect(RATE_LIMITED, "rate-limit")
                .retryAfter(Duration.ofMinutes(1)),
            graph("613 custom rate limit", 613).expect(RATE_LIMITED, "rate-limit"),
            graph("80007 WABA rate limit, estimate beats details", 80007).details("Try again in 2 minutes")
                .eta(Duration.ofMinutes(5)).expect(RATE_LIMITED, "rate-limit").retryAfter(Duration.ofMinutes(5)),
            graph("80008 BUC limit", 80008).details("Try again in 2 minutes").expect(RATE_LIMITED, "rate-limit")
                .retryAfter(Duration.ofMinutes(2)),
            graph("130429 throughput", 130429).expect(RATE_LIMITED, "rate-limit"),
            graph("131056 pair rate", 131056).expect(RATE_LIMITED, "rate-limit"),
            row("130429 known only from the message").raw("{\"error\":{\"message\":\"(#130429) Rate limit hit\"}}")
                .expect(RATE_LIMITED, "rate-limit").code("130429"),
            graph("133008 too many PIN guesses", 133008).op(GraphCall.REGISTER)
                .details("Too many PIN guesses. Try again in 2 hours.")
                .expect(RATE_LIMITED, "pin-guess-limit").retryAfter(Duration.ofHours(2)).blocksRegister(),
            graph("133009 PIN guessed too fast", 133009).op(GraphCall.REGISTER).details("Wait 1 minute before retrying")
                .expect(RATE_LIMITED, "pin-guess-limit").retryAfter(Duration.ofMinutes(1)).blocksRegister(),
            graph("133015 deletion still in progress", 133015).op(GraphCall.REGISTER).expect(RATE_LIMITED, "deletion-in-progress")
                .retryAfter(Duration.ofMinutes(5)),
            graph("133016 register budget exhausted", 133016).op(GraphCall.REGISTER)
                .expect(RATE_LIMITED, "register-budget-exhausted").retryAfter(Duration.ofHours(72)).blocksRegister(),

            // transient
            graph("1 unknown error", 1).expect(TRANSIENT, "unknown-server-error"),
            graph("131000 something went wrong", 131000).expect(TRANSIENT, "unknown-server-error"),
            graph("2 service unavailable", 2).expect(TRANSIENT, "service-unavailable"),
            graph("131016 service overloaded", 131016).expect(TRANSIENT, "service-unavailable"),
            graph("133004 registration server unavailable", 133004).op(GraphCall.REGISTER).expect(TRANSIENT, "service-unavailable"),
            graph("131057 maintenance mode", 131057).expect(TRANSIENT, "maintenance").retryAfter(Duration.ofMinutes(5)),
            row("131057/2494100 maintenance with a stated wait").graph(131057, 2494100)
                .message("(#131057) Account in maintenance mode").details("Retry in 10 minutes")
                .expect(TRANSIENT, "maintenance").retryAfter(Duration.ofMinutes(10)).code("131057/2494100"),
            graph("133010 number not registered", 133010).op(GraphCall.REGISTER).expect(TRANSIENT, "not-registered")
                .autoFix(AutoFix.REGISTER),

            // needs a person
            graph("3 capability missing", 3).expect(NEEDS_HUMAN, "permission-missing"),
            graph("10 permission denied", 10).expect(NEEDS_HUMAN, "permission-missing"),
            graph("200 permissions error", 200).expect(NEEDS_HUMAN, "permission-missing"),
            graph("299 permissions range end", 299).expect(NEEDS_HUMAN, "permission-missing"),
            graph("100 app must be subscribed", 100).details("To use this callback override, your app must be subscribed to the WABA")
                .expect(NEEDS_HUMAN, "app-not-subscribed").autoFix(AutoFix.SUBSCRIBE_APPS),
            graph("100 invalid parameter", 100).expect(PERMANENT, "invalid-parameter"),
            graph("33 phone number deleted", 33).expect(PERMANENT, "number-deleted"),
            graph("368 account restricted", 368).op(GraphCall.REGISTER).expect(NEEDS_HUMAN, "account-locked").blocksRegister(),
            graph("131031 account locked / PIN incorrect", 131031).op(GraphCall.REGISTER).expect(NEEDS_HUMAN, "account-locked")
                .blocksRegister(),
            graph("131042 payment problem", 131042).expect(NEEDS_HUMAN, "payment-problem"),
            graph("133000 deregistration incomplete", 133000).op(GraphCall.REGISTER).expect(NEEDS_HUMAN, "deregistration-incomplete")
                .autoFix(AutoFix.DEREGISTER),
            graph("133005 PIN mismatch", 133005).op(GraphCall.REGISTER).expect(NEEDS_HUMAN, "pin-mismatch").blocksRegister(),
            graph("133006 number must be verified", 133006).op(GraphCall.REGISTER).expect(NEEDS_HUMAN, "number-not-verified")
                .autoFix(AutoFix.REQUEST_CODE),

            // is_transient
            graph("is_transient turns an unknown code transient", 4242).isTransient(true)
                .expect(TRANSIENT, "unknown"),
            graph("is_transient turns a permanent code transient", 100).isTransient(true)
                .expect(TRANSIENT, "invalid-parameter"),
            graph("is_transient never makes 133005 retryable", 133005).op(GraphCall.REGISTER).isTransient(true)
                .expect(NEEDS_HUMAN, "pin-mismatch").blocksRegister(),
            graph("is_transient false changes nothing", 33).isTransient(false).expect(PERMANENT, "number-deleted"),

            // fallbacks and no body
            graph("unknown code", 98765).expect(NEEDS_HUMAN, "unknown"),
            graph("unknown code on HTTP 500", 98765).status(500).expect(TRANSIENT, "unknown-server-side"),
            row("503 without body").status(503).raw("").expect(TRANSIENT, "http-5xx").code("HTTP_503"),
            row("502 with an HTML body").status(502).raw("<html>Bad Gateway</html>").expect(TRANSIENT, "http-5xx")
                .code("HTTP_502"),
            row("400 with a malformed body").status(400).raw("{\"error\":{\"message\":").expect(TRANSIENT, "malformed-body")
                .code("HTTP_400"),
            row("400 with JSON that is no error").status(400).raw("{\"data\":[]}").expect(TRANSIENT, "malformed-body")
                .code("HTTP_400"),
            row("429 without body").status(429).raw(null).eta(Duration.ofMinutes(3)).expect(RATE_LIMITED, "http-429")
                .code("HTTP_429").retryAfter(Duration.ofMinutes(3)),
            row("error_data as a JSON string").raw("{\"error\":{\"code\":133008,\"message\":\"(#133008) Too many guesses\","
                    + "\"error_data\":\"{\\\"details\\\":\\\"Try again in 3 hours\\\"}\",\"fbtrace_id\":\"" + TRACE + "\"}}")
                .op(GraphCall.REGISTER).expect(RATE_LIMITED, "pin-guess-limit").code("133008")
                .retryAfter(Duration.ofHours(3)).blocksRegister()
        ));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void should_classify_graph_response_as_in_the_table(Case c) {
        Result r = classifier.classify(c.op, c.status, c.body(), c.eta);
        RULES_HIT.add(r.rule());

        assertThat(r.kind()).as("kind").isEqualTo(c.kind);
        assertThat(r.rule()).as("rule").isEqualTo(c.rule);
        if (c.kind == Kind.SUCCESS) {
            assertThat(r.error()).isNull();
            return;
        }
        ProviderError e = r.error();
        assertThat(e.provider()).isEqualTo("meta");
        if (c.kind == Kind.FAILED) {
            assertThat(e.errorClass()).as("class").isEqualTo(c.cls);
            assertThat(r.errorClass()).isEqualTo(c.cls);
        }
        if (c.expectedCode != null) {
            assertThat(e.code()).as("code").isEqualTo(c.expectedCode);
        }
        assertThat(e.retryAfter()).as("retryAfter").isEqualTo(c.retryAfter);
        assertThat(r.autoFix()).as("autoFix").isEqualTo(c.autoFix);
        assertThat(r.blocksRegister()).as("blocksRegister").isEqualTo(c.blocksRegister);
        if (c.rawBody == null && c.code != null) {
            assertThat(e.traceId()).as("traceId = fbtrace_id").isEqualTo(TRACE);
        }
        assertThat(e.message()).isNotBlank();
    }

    @AfterAll
    static void every_rule_of_the_table_is_exercised() {
        List<String> all = new ArrayList<>(MetaErrorClassifier.ruleIds());
        all.addAll(List.of("success", "http-5xx", "malformed-body", "http-429"));
        assertThat(RULES_HIT).containsAll(all);
    }

    @Test
    void should_flag_token_errors_for_a_single_refetch() {
        ProviderError expired = classifier.classify(GraphCall.SUBSCRIBE_APPS, 401,
                "{\"error\":{\"message\":\"Session has expired\",\"type\":\"OAuthException\",\"code\":190,\"error_subcode\":463}}")
                .error();
        assertThat(MetaErrorClassifier.isTokenExpired(expired)).isTrue();
        assertThat(MetaErrorClassifier.isTokenExpired(ProviderError.of("meta", "0", "", NEEDS_HUMAN))).isTrue();
        assertThat(MetaErrorClassifier.isTokenExpired(ProviderError.of("meta", "1900", "", NEEDS_HUMAN))).isFalse();
        assertThat(MetaErrorClassifier.isTokenExpired(ProviderError.of("alibaba", "190", "", NEEDS_HUMAN))).isFalse();
        assertThat(MetaErrorClassifier.isTokenExpired(ProviderError.of("meta", "100/33", "", PERMANENT))).isFalse();
    }

    @Test
    void should_treat_timeouts_and_connection_failures_as_transient() {
        Map<Throwable, String> failures = Map.of(
                new HttpTimeoutException("request timed out"), "TIMEOUT",
                new SocketTimeoutException("Read timed out"), "TIMEOUT",
                new SocketException("Connection reset"), "CONNECTION_RESET",
                new IOException("Connection reset by peer"), "CONNECTION_RESET",
                new RuntimeException("camel", new IOException("HTTP/1.1 header parser received no bytes")), "CONNECTION_RESET",
                new ConnectException("Connection refused"), "CONNECTION_REFUSED",
                new IOException("something odd"), "IO_ERROR");
        failures.forEach((t, code) -> {
            Result r = classifier.classify(GraphCall.REGISTER, t);
            assertThat(r.isFailure()).isTrue();
            assertThat(r.error().errorClass()).as(t.toString()).isEqualTo(TRANSIENT);
            assertThat(r.error().code()).as(t.toString()).isEqualTo(code);
            assertThat(r.error().provider()).isEqualTo("meta");
        });
    }

    @Test
    void should_read_estimated_time_to_regain_access_from_usage_headers() {
        Result r = classifier.classifyWithHeaders(GraphCall.LIST_SOURCE_NUMBERS, 400,
                "{\"error\":{\"message\":\"(#80007) Rate limit issues\",\"code\":80007,\"fbtrace_id\":\"X\"}}",
                Map.of("x-business-use-case-usage",
                        "{\"111\":[{\"type\":\"whatsapp_business_management\",\"call_count\":100,\"estimated_time_to_regain_access\":12}]}"));
        assertThat(r.error().errorClass()).isEqualTo(RATE_LIMITED);
        assertThat(r.error().retryAfter()).isEqualTo(Duration.ofMinutes(12));
    }

    @Test
    void should_mask_token_like_strings_in_messages() {
        Result r = classifier.classify(GraphCall.REGISTER, 400,
                "{\"error\":{\"message\":\"Malformed access token EAAfakeTOKEN1234\",\"code\":190}}");
        assertThat(r.error().message()).doesNotContain("EAAfakeTOKEN1234").contains("***");
    }

    @Test
    void should_read_the_endpoint_scoped_subcodes_as_migration_errors_only_on_the_phone_migration_calls() {
        String tryAgain = "{\"error\":{\"message\":\"Invalid parameter\",\"code\":100,\"error_subcode\":2388103,"
                + "\"error_user_msg\":\"There was an error migrating this phone number.\"}}";
        String alreadyThere = "{\"error\":{\"message\":\"Invalid parameter\",\"code\":100,\"error_subcode\":2388012}}";
        Set<GraphCall> phoneMigration = EnumSet.of(GraphCall.MIGRATE_NUMBER, GraphCall.REQUEST_CODE,
                GraphCall.VERIFY_CODE, GraphCall.REGISTER);
        for (GraphCall call : GraphCall.values()) {
            assertThat(classifier.classify(call, 400, tryAgain).rule()).as("2388103 on " + call)
                    .isEqualTo(phoneMigration.contains(call) ? "2388103-try-again" : "invalid-parameter");
            assertThat(classifier.classify(call, 400, alreadyThere).rule()).as("2388012 on " + call)
                    .isEqualTo(call == GraphCall.MIGRATE_NUMBER ? "already-in-destination" : "invalid-parameter");
        }
    }

    @Test
    void should_parse_graph_error_bodies_tolerantly() {
        GraphError e = GraphError.parse("{\"error\":{\"message\":\"(#133005) PIN mismatch\",\"type\":\"OAuthException\","
                + "\"code\":133005,\"error_subcode\":\"2388001\",\"error_user_title\":\"T\",\"error_user_msg\":\"U\","
                + "\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\"D\"},\"is_transient\":false,"
                + "\"fbtrace_id\":\"F\"}}").orElseThrow();
        assertThat(e).isEqualTo(new GraphError(133005, 2388001, "OAuthException", "(#133005) PIN mismatch", "T", "U",
                "D", "F", false));
        assertThat(e.codeString()).isEqualTo("133005/2388001");
        assertThat(GraphError.parse(null)).isEmpty();
        assertThat(GraphError.parse("")).isEmpty();
        assertThat(GraphError.parse("<html>")).isEmpty();
        assertThat(GraphError.parse("[1,2]")).isEmpty();
        assertThat(GraphError.parse("{\"error\":{}}")).isEmpty();
        assertThat(GraphError.parse("{\"error\":\"nope\"}")).isEmpty();
        assertThat(GraphError.parse("{\"error\":{\"code\":1}}").orElseThrow().isTransient()).isNull();
        assertThat(GraphError.parse("{\"errors\":[{\"code\":131026,\"title\":\"Undeliverable\"}]}").orElseThrow().code())
                .isEqualTo(131026);
        assertThat(GraphError.parse("{\"error\":{\"code\":100,\"error_data\":\"plain text\"}}").orElseThrow().details())
                .isEqualTo("plain text");
    }

    @Test
    void should_tell_answers_that_leave_a_call_in_doubt_from_refusals() {
        java.util.function.BiFunction<Integer, String, Boolean> inDoubt = (status, body) ->
                MetaErrorClassifier.leavesEffectUnknown(classifier.classify(GraphCall.REGISTER, status, body));
        // no definite answer: Graph may have acted before failing
        assertThat(inDoubt.apply(500, "{\"error\":{\"message\":\"An unknown error has occurred.\",\"code\":1}}")).isTrue();
        assertThat(inDoubt.apply(500, "{\"error\":{\"message\":\"(#2) Service temporarily unavailable\",\"code\":2,"
                + "\"is_transient\":true}}")).isTrue();
        assertThat(inDoubt.apply(500, "{\"error\":{\"message\":\"(#131000) Something went wrong\",\"code\":131000}}"))
                .isTrue();
        assertThat(inDoubt.apply(503, "<html>503</html>")).isTrue();
        assertThat(inDoubt.apply(502, "{\"error\":{\"message\":\"odd\",\"code\":987654}}")).isTrue();
        assertThat(MetaErrorClassifier.leavesEffectUnknown(classifier.classify(GraphCall.REGISTER,
                new java.net.SocketException("Connection reset")))).isTrue();
        // definite: the call was refused, not processed
        assertThat(inDoubt.apply(400, "{\"error\":{\"message\":\"(#80007) Rate limit issues\",\"code\":80007}}")).isFalse();
        assertThat(inDoubt.apply(400, "{\"error\":{\"message\":\"(#4) Application request limit reached\",\"code\":4}}"))
                .isFalse();
        assertThat(inDoubt.apply(400, "{\"error\":{\"message\":\"(#133010) Phone number Not Registered\",\"code\":133010}}"))
                .isFalse();
        assertThat(inDoubt.apply(400, "{\"error\":{\"message\":\"(#100) Invalid parameter\",\"code\":100,"
                + "\"is_transient\":true}}")).as("is_transient on a refusal: try again, nothing was done").isFalse();
        assertThat(MetaErrorClassifier.leavesEffectUnknown(classifier.classify(GraphCall.MIGRATE_NUMBER, 400,
                "{\"error\":{\"message\":\"(#100) Invalid parameter\",\"code\":100,\"error_subcode\":2388103,"
                        + "\"error_user_msg\":\"There was an error migrating this phone number.\"}}"))).isFalse();
        assertThat(inDoubt.apply(400, "{\"error\":{\"message\":\"(#133005) PIN mismatch\",\"code\":133005}}")).isFalse();
        assertThat(inDoubt.apply(200, "{\"success\":true}")).isFalse();
    }

    @Test
    void should_read_stated_waits() {
        assertThat(MetaErrorClassifier.statedWait("Please wait 5 minutes")).contains(Duration.ofMinutes(5));
        assertThat(MetaErrorClassifier.statedWait("try again in an hour")).contains(Duration.ofHours(1));
        assertThat(MetaErrorClassifier.statedWait("~1 h")).contains(Duration.ofHours(1));
        assertThat(MetaErrorClassifier.statedWait("Retry after 90 seconds")).contains(Duration.ofSeconds(90));
        assertThat(MetaErrorClassifier.statedWait("(#130429) Rate limit hit")).isEmpty();
        assertThat(MetaErrorClassifier.statedWait(null)).isEmpty();
    }
}
