package dev.wabamigrator.app;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.kafka.clients.admin.Admin;

/** Readiness: the Kafka cluster answers a metadata request. */
final class KafkaHealthCheck extends AbstractHealthCheck {
    private final Admin admin;

    KafkaHealthCheck(Admin admin) {
        super("waba", "kafka");
        this.admin = admin;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            int nodes = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
            builder.up().detail("brokers", nodes);
        } catch (Exception e) {
            builder.down().error(e).message("Kafka unreachable: " + e.getMessage());
        }
    }
}
