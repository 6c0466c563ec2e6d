package dev.wabamigrator.engine;

import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness {@code provider-<name>}: DOWN while every call to the provider is paused ({@link ProviderPauses}). */
public final class ProviderPauseHealthCheck extends AbstractHealthCheck {
    private final ProviderPauses pauses;
    private final String provider;

    public ProviderPauseHealthCheck(ProviderPauses pauses, String provider) {
        super("waba", "provider-" + provider);
        this.pauses = pauses;
        this.provider = provider;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            pauses.active(provider).ifPresentOrElse(pause -> builder.down()
                            .message("every " + provider + " call is paused: " + pause.code() + " met by migration "
                                    + pause.migrationId() + " at " + pause.since()
                                    + "; fix the credentials, then ResumeMigration it or restart")
                            .detail("code", pause.code()).detail("migrationId", pause.migrationId())
                            .detail("since", pause.since().toString()),
                    builder::up);
        } catch (RuntimeException e) {
            builder.down().error(e).message("cannot read the " + provider + " pause: " + e.getMessage());
        }
    }
}
