package dev.wabamigrator.provider.meta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Duration;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads Graph usage headers (provider-apis.md §2.11) and decides how long to wait before the next
 * call, so that waba-migrator slows down before Meta throttles it.
 *
 * <ul>
 *   <li>{@code X-App-Usage: {"call_count":28,"total_cputime":4,"total_time":9}}</li>
 *   <li>{@code X-Business-Use-Case-Usage: {"<business-object-id>":[{"type":"whatsapp_business_management",
 *       "call_count":95,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":5}]}}</li>
 * </ul>
 * Percentages are 0..100 (throttling starts at 100); {@code estimated_time_to_regain_access} is in
 * minutes. The parsers never throw: a missing or malformed header reads as 0 % and no estimate.
 *
 * <p>Decision ({@link #pauseBeforeNextCall(Usage)}): below {@code slowDownAtPercent} (default 75)
 * no pause; at or above {@code pauseAtPercent} (default 90), or whenever Meta gives a positive
 * {@code estimated_time_to_regain_access}, pause for that estimate, else for {@code defaultPause};
 * in between, a delay growing linearly from {@code maxSlowDownDelay / (pause - slow)} to
 * {@code maxSlowDownDelay}.
 */
public final class UsageHeaders {

    public static final String APP_USAGE = "X-App-Usage";
    public static final String BUSINESS_USE_CASE_USAGE = "X-Business-Use-Case-Usage";

    public static final int DEFAULT_SLOW_DOWN_AT_PERCENT = 75;
    public static final int DEFAULT_PAUSE_AT_PERCENT = 90;
    public static final Duration DEFAULT_PAUSE = Duration.ofMinutes(5);
    public static final Duration DEFAULT_MAX_SLOW_DOWN_DELAY = Duration.ofSeconds(2);

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final int slowDownAtPercent;
    private final int pauseAtPercent;
    private final Duration defaultPause;
    private final Duration maxSlowDownDelay;

    /** Defaults: slow down at 75 %, pause at 90 % for 5 min (or Meta's estimate), at most 2 s slow-down delay. */
    public UsageHeaders() {
        this(DEFAULT_SLOW_DOWN_AT_PERCENT, DEFAULT_PAUSE_AT_PERCENT, DEFAULT_PAUSE, DEFAULT_MAX_SLOW_DOWN_DELAY);
    }

    /**
     * @param slowDownAtPercent usage at which calls start being spaced out (0..100)
     * @param pauseAtPercent    usage at which calls pause ({@code >= slowDownAtPercent})
     * @param defaultPause      pause when Meta gives no {@code estimated_time_to_regain_access}
     * @param maxSlowDownDelay  delay just below {@code pauseAtPercent}
     */
    public UsageHeaders(int slowDownAtPercent, int pauseAtPercent, Duration defaultPause, Duration maxSlowDownDelay) {
        if (slowDownAtPercent < 0 || pauseAtPercent < slowDownAtPercent) {
            throw new IllegalArgumentException("need 0 <= slowDownAtPercent <= pauseAtPercent");
        }
        if (defaultPause == null || defaultPause.isNegative() || maxSlowDownDelay == null || maxSlowDownDelay.isNegative()) {
            throw new IllegalArgumentException("pauses must be non-negative");
        }
        this.slowDownAtPercent = slowDownAtPercent;
        this.pauseAtPercent = pauseAtPercent;
        this.defaultPause = defaultPause;
        this.maxSlowDownDelay = maxSlowDownDelay;
    }

    /**
     * Usage read from one response.
     *
     * @param maxPercent         highest of call_count / total_cputime / total_time over both headers (0 when absent)
     * @param timeToRegainAccess highest {@code estimated_time_to_regain_access}, or null when absent or 0
     */
    public record Usage(int maxPercent, Duration timeToRegainAccess) {

        public static final Usage NONE = new Usage(0, null);

        /** Parses the two header values (either may be null). */
        public static Usage parse(String appUsage, String businessUseCaseUsage) {
            Acc acc = new Acc();
            acc.read(parseJson(appUsage));
            JsonNode buc = parseJson(businessUseCaseUsage);
            if (buc != null && buc.isObject()) {
                buc.fields().forEachRemaining(e -> {
                    JsonNode v = e.getValue();
                    if (v.isArray()) {
                        v.forEach(acc::read);
                    } else {
                        acc.read(v);
                    }
                });
            }
            return new Usage(acc.maxPercent, acc.maxEtaMinutes > 0 ? Duration.ofMinutes(acc.maxEtaMinutes) : null);
        }

        /**
         * Reads the headers from a map with any key case (Camel headers, {@code HttpHeaders.map()}); values
         * may be strings or collections of strings (the first element is used).
         */
        public static Usage fromHeaders(Map<String, ?> headers) {
            if (headers == null) {
                return NONE;
            }
            return parse(header(headers, APP_USAGE), header(headers, BUSINESS_USE_CASE_USAGE));
        }

        private static String header(Map<String, ?> headers, String name) {
            Object v = headers.get(name);
            if (v == null) {
                for (Map.Entry<String, ?> e : headers.entrySet()) {
                    if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                        v = e.getValue();
                        break;
                    }
                }
            }
            if (v instanceof Collection<?> c) {
                Iterator<?> it = c.iterator();
                v = it.hasNext() ? it.next() : null;
            }
            return v == null ? null : v.toString();
        }
    }

    /** Parses both headers: see {@link Usage#parse(String, String)}. */
    public static Usage parse(String appUsage, String businessUseCaseUsage) {
        return Usage.parse(appUsage, businessUseCaseUsage);
    }

    /** Decision from raw header values. */
    public Duration pauseBeforeNextCall(String appUsage, String businessUseCaseUsage) {
        return pauseBeforeNextCall(Usage.parse(appUsage, businessUseCaseUsage));
    }

    /** Decision from a header map (any key case). */
    public Duration pauseBeforeNextCall(Map<String, ?> headers) {
        return pauseBeforeNextCall(Usage.fromHeaders(headers));
    }

    /** How long to wait before the next Graph call; {@link Duration#ZERO} for "go". */
    public Duration pauseBeforeNextCall(Usage usage) {
        if (usage == null) {
            return Duration.ZERO;
        }
        Duration eta = usage.timeToRegainAccess();
        if (eta != null || usage.maxPercent() >= pauseAtPercent) {
            return eta != null ? eta : defaultPause;
        }
        if (usage.maxPercent() < slowDownAtPercent) {
            return Duration.ZERO;
        }
        long steps = (long) pauseAtPercent - slowDownAtPercent;
        long position = (long) usage.maxPercent() - slowDownAtPercent + 1; // 1..steps
        return Duration.ofMillis(maxSlowDownDelay.toMillis() * position / steps); // whole milliseconds
    }

    public int slowDownAtPercent() {
        return slowDownAtPercent;
    }

    public int pauseAtPercent() {
        return pauseAtPercent;
    }

    private static JsonNode parseJson(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return MAPPER.readTree(s);
        } catch (Exception e) {
            return null;
        }
    }

    private static final class Acc {
        int maxPercent;
        long maxEtaMinutes;

        void read(JsonNode n) {
            if (n == null || !n.isObject()) {
                return;
            }
            for (String f : new String[] {"call_count", "total_cputime", "total_time"}) {
                maxPercent = Math.max(maxPercent, percent(n.get(f)));
            }
            JsonNode eta = n.get("estimated_time_to_regain_access");
            if (eta != null) {
                maxEtaMinutes = Math.max(maxEtaMinutes, (long) Math.ceil(number(eta)));
            }
        }

        private static int percent(JsonNode v) {
            double d = number(v);
            return d <= 0 ? 0 : (int) Math.min(Math.ceil(d), 1000);
        }

        private static double number(JsonNode v) {
            if (v == null || v.isNull()) {
                return 0;
            }
            if (v.isNumber()) {
                return v.doubleValue();
            }
            if (v.isTextual()) {
                try {
                    return Double.parseDouble(v.asText().trim());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
            return 0;
        }
    }
}
