package dev.wabamigrator.app;

import java.time.Duration;
import org.apache.camel.CamelContext;

/** Typed reads of the {@code app.*} properties (application.properties, overridden by environment and -D). */
final class Settings {
    private final CamelContext context;

    Settings(CamelContext context) {
        this.context = context;
    }

    String get(String key, String fallback) {
        return context.getPropertiesComponent().resolveProperty(key).map(String::trim).orElse(fallback);
    }

    String require(String key) {
        return context.getPropertiesComponent().resolveProperty(key).map(String::trim)
                .orElseThrow(() -> new IllegalStateException("missing property " + key));
    }

    int integer(String key) {
        return Integer.parseInt(require(key));
    }

    boolean flag(String key) {
        return Boolean.parseBoolean(require(key));
    }

    Duration millis(String key) {
        return Duration.ofMillis(Long.parseLong(require(key)));
    }
}
