package dev.wabamigrator.app;

import java.sql.Connection;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness: the database answers, within about a second (its own one-connection pool, see DatabaseConfiguration). */
final class DatabaseHealthCheck extends AbstractHealthCheck {
    private final DataSource dataSource;

    DatabaseHealthCheck(DataSource dataSource) {
        super("waba", "database");
        this.dataSource = dataSource;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try (Connection connection = dataSource.getConnection()) {
            if (connection.isValid(1)) {
                builder.up();
            } else {
                builder.down().message("database connection is not valid");
            }
        } catch (Exception e) {
            builder.down().error(e).message("database unreachable: " + e.getMessage());
        }
    }
}
