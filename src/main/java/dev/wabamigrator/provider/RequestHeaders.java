package dev.wabamigrator.provider;

import org.apache.camel.Message;

/** The headers a provider request starts from. */
public final class RequestHeaders {
    private static final String REDELIVERY_PREFIX = "CamelRedeliver";

    private RequestHeaders() {
    }

    /**
     * Removes every header but the redelivery counters (the step's error handler counts attempts with them), so that
     * nothing of the exchange reaches the provider. A plain prefix check: {@code removeHeaders("*", "CamelRedeliver*")}
     * tries every header against the pattern as a wildcard and then as a regular expression, about 2% of a worker's
     * CPU at bulk rates.
     */
    public static void keepOnlyRedeliveryCounters(Message message) {
        message.getHeaders().keySet().removeIf(name -> !name.regionMatches(true, 0, REDELIVERY_PREFIX, 0,
                REDELIVERY_PREFIX.length()));
    }
}
