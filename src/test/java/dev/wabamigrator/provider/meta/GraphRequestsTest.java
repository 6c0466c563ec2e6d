package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.wabamigrator.engine.ErrorClass;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.engine.StepOutcomeException;
import dev.wabamigrator.engine.TransientProviderException;
import dev.wabamigrator.sandbox.MetaSandbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What GraphRequests decides on its own: usage-header pacing, capped waits, classification of answers. */
class GraphRequestsTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

    private final CamelContext context = new DefaultCamelContext();
    private final GraphRequests requests = new GraphRequests(new GraphRequests.Api("v25.0", "app", "system", "secret"),
            new MetaErrorClassifier(), new GraphRequests.Pacing(new UsageHeaders(), Duration.ofSeconds(2),
                    Duration.ofMinutes(60)), null, null, Clock.fixed(NOW, ZoneOffset.UTC));

    @AfterEach
    void close() throws Exception {
        context.close();
    }

    private Exchange answer(int status, String body, String appUsage, String businessUsage) {
        Exchange exchange = new DefaultExchange(context);
        exchange.setProperty(GraphCall.PROPERTY, GraphCall.GET_INTENT);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader("Authorization", "Bearer system");
        if (appUsage != null) {
            exchange.getMessage().setHeader(UsageHeaders.APP_USAGE, appUsage);
        }
        if (businessUsage != null) {
            exchange.getMessage().setHeader(UsageHeaders.BUSINESS_USE_CASE_USAGE, businessUsage);
        }
        exchange.getMessage().setBody(body);
        return exchange;
    }

    private Exchange nextCall() {
        Exchange exchange = new DefaultExchange(context);
        exchange.setProperty(GraphCall.PROPERTY, GraphCall.GET_INTENT);
        return exchange;
    }

    @Test
    void should_send_the_next_call_at_once_while_usage_is_low() {
        requests.classify(answer(200, "{\"id\":\"1\"}", "{\"call_count\":10,\"total_cputime\":2,\"total_time\":4}", null));

        Exchange next = nextCall();

        assertThatCode(() -> requests.admit(next, null)).as("not held back").doesNotThrowAnyException();
        assertThat(requests.pace(next)).isZero();
    }

    @Test
    void should_space_out_calls_in_the_route_once_usage_passes_the_slow_down_threshold() {
        Exchange answer = answer(200, "{\"id\":\"1\"}", "{\"call_count\":82,\"total_cputime\":2,\"total_time\":4}", null);
        GraphResult result = requests.classify(answer);

        Exchange next = nextCall();

        assertThatCode(() -> requests.admit(next, null)).as("not held back").doesNotThrowAnyException();
        assertThat(result.success()).isTrue();
        assertThat(answer.getMessage().getHeader("Authorization")).as("the token leaves the exchange").isNull();
        assertThat(requests.pace(next)).isBetween(1L, 2000L);
    }

    @Test
    void should_park_the_next_call_until_meta_says_access_returns_when_usage_reaches_the_pause_threshold() {
        requests.classify(answer(200, "{\"id\":\"1\"}", "{\"call_count\":96,\"total_cputime\":2,\"total_time\":4}", null));

        Exchange next = nextCall();
        StepOutcomeException heldBack = catchThrowableOfType(StepOutcomeException.class,
                () -> requests.admit(next, null));

        assertThat(heldBack).as("held back").isNotNull();
        assertThat(heldBack.outcome()).isInstanceOf(StepOutcome.RetryLater.class);
        StepOutcome.RetryLater later = (StepOutcome.RetryLater) heldBack.outcome();
        assertThat(later.at()).isEqualTo(NOW.plus(UsageHeaders.DEFAULT_PAUSE));
        assertThat(later.error().errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(later.error().code()).isEqualTo("USAGE_PAUSE");
    }

    @Test
    void should_cap_the_wait_meta_estimates_for_a_rate_limit() {
        String buc = "{\"111\":[{\"type\":\"whatsapp_business_management\",\"call_count\":100,"
                + "\"estimated_time_to_regain_access\":600}]}";
        GraphResult result = requests.classify(answer(400, "{\"error\":{\"message\":\"(#80007) Rate limit issues\","
                + "\"type\":\"OAuthException\",\"code\":80007,\"fbtrace_id\":\"Atrace\"}}", null, buc));

        assertThat(result.error().errorClass()).isEqualTo(ErrorClass.RATE_LIMITED);
        assertThat(result.error().retryAfter()).isEqualTo(Duration.ofMinutes(60));
        assertThat(result.error().traceId()).isEqualTo("Atrace");
    }

    @Test
    void should_throw_transient_failures_so_the_whole_call_is_redelivered() {
        assertThatThrownBy(() -> requests.classify(answer(503, "<html>503 Service Unavailable</html>", null, null)))
                .isInstanceOf(TransientProviderException.class).hasMessageContaining("HTTP_503");
        assertThatThrownBy(() -> requests.classify(answer(200, "{\"id\":", null, null)))
                .isInstanceOf(TransientProviderException.class).hasMessageContaining("MALFORMED_RESPONSE");
    }

    @Test
    void should_prove_the_app_secret_as_graph_expects() {
        assertThat(GraphRequests.appSecretProof(MetaSandbox.APP_SECRET, MetaSandbox.SYSTEM_TOKEN))
                .isEqualTo(MetaSandbox.appSecretProof(MetaSandbox.APP_SECRET, MetaSandbox.SYSTEM_TOKEN))
                .hasSize(64);
    }
}
