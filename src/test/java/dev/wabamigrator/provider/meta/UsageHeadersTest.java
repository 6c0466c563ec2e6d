package dev.wabamigrator.provider.meta;

import dev.wabamigrator.provider.meta.UsageHeaders.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UsageHeadersTest {

    private static String app(int calls, int cpu, int time) {
        return "{\"call_count\":" + calls + ",\"total_cputime\":" + cpu + ",\"total_time\":" + time + "}";
    }

    private final UsageHeaders policy = new UsageHeaders();

    @Test
    void should_take_the_max_percentage_of_app_usage() {
        assertThat(Usage.parse(app(28, 4, 61), null)).isEqualTo(new Usage(61, null));
    }

    @Test
    void should_take_the_max_over_every_business_use_case_entry_and_the_max_estimate() {
        String buc = "{\"111\":[{\"type\":\"whatsapp_business_management\",\"call_count\":40,\"total_cputime\":91,"
                + "\"total_time\":10,\"estimated_time_to_regain_access\":3}],"
                + "\"222\":[{\"type\":\"whatsapp_business_management\",\"call_count\":12,\"total_cputime\":1,"
                + "\"total_time\":1,\"estimated_time_to_regain_access\":7},"
                + "{\"type\":\"messenger\",\"call_count\":5.5,\"total_cputime\":0,\"total_time\":0}]}";
        Usage u = Usage.parse(app(10, 10, 10), buc);
        assertThat(u.maxPercent()).isEqualTo(91);
        assertThat(u.timeToRegainAccess()).isEqualTo(Duration.ofMinutes(7));
    }

    @Test
    void should_read_missing_or_malformed_headers_as_no_usage() {
        assertThat(Usage.parse(null, null)).isEqualTo(Usage.NONE);
        assertThat(Usage.parse("", "  ")).isEqualTo(Usage.NONE);
        assertThat(Usage.parse("{not json", "[1,2]")).isEqualTo(Usage.NONE);
        assertThat(Usage.parse("{\"call_count\":\"abc\"}", "{\"1\":[{\"estimated_time_to_regain_access\":0}]}"))
                .isEqualTo(Usage.NONE);
        assertThat(Usage.parse("{\"call_count\":\"42\"}", null).maxPercent()).isEqualTo(42);
    }

    @Test
    void should_read_headers_from_a_map_in_any_case_and_from_lists() {
        Map<String, Object> headers = Map.of(
                "x-app-usage", List.of(app(80, 0, 0)),
                "X-BUSINESS-USE-CASE-USAGE", "{\"9\":[{\"call_count\":1,\"estimated_time_to_regain_access\":2}]}");
        Usage u = Usage.fromHeaders(headers);
        assertThat(u).isEqualTo(new Usage(80, Duration.ofMinutes(2)));
        assertThat(Usage.fromHeaders(null)).isEqualTo(Usage.NONE);
    }

    @Test
    void should_delay_the_next_call_when_usage_is_at_95_percent() {
        assertThat(policy.pauseBeforeNextCall(app(95, 3, 3), null)).isEqualTo(UsageHeaders.DEFAULT_PAUSE);
        String buc = "{\"111\":[{\"call_count\":95,\"total_cputime\":1,\"total_time\":1,\"estimated_time_to_regain_access\":12}]}";
        assertThat(policy.pauseBeforeNextCall(null, buc)).isEqualTo(Duration.ofMinutes(12));
    }

    @ParameterizedTest(name = "{0}% → {1} ms")
    @CsvSource({
        "0, 0",
        "50, 0",
        "74, 0",
        "75, 133",   // 2000 ms * 1/15
        "82, 1066",  // 2000 ms * 8/15
        "89, 2000",
        "90, 300000",
        "100, 300000"
    })
    void should_not_pause_below_75_slow_down_in_between_and_pause_from_90(int percent, long millis) {
        assertThat(policy.pauseBeforeNextCall(new Usage(percent, null))).isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void should_pause_for_metas_estimate_even_below_the_thresholds() {
        assertThat(policy.pauseBeforeNextCall(new Usage(20, Duration.ofMinutes(4)))).isEqualTo(Duration.ofMinutes(4));
    }

    @Test
    void should_use_configured_thresholds() {
        UsageHeaders custom = new UsageHeaders(50, 60, Duration.ofSeconds(30), Duration.ofMillis(100));
        assertThat(custom.pauseBeforeNextCall(new Usage(49, null))).isZero();
        assertThat(custom.pauseBeforeNextCall(new Usage(59, null))).isEqualTo(Duration.ofMillis(100));
        assertThat(custom.pauseBeforeNextCall(new Usage(60, null))).isEqualTo(Duration.ofSeconds(30));
        assertThat(custom.pauseBeforeNextCall((Usage) null)).isZero();
        assertThatThrownBy(() -> new UsageHeaders(90, 75, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
