package dev.wabamigrator.app;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/** Readiness: the Kafka cluster answers a metadata request. */
final class KafkaHealthCheck extends AbstractHealthCheck {
    /**
     * Well inside a readiness probe's timeout: with the broker down the request would otherwise wait the admin
     * client's 60 s default (the probe gives up first and never sees DOWN) and each probe would leave one more
     * request pending.
     */
    static final int TIMEOUT_MS = 1500;
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
            int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS)).nodes()
                    .get(TIMEOUT_MS + 500L, TimeUnit.MILLISECONDS).size();
            builder.up().detail("brokers", nodes);
        } catch (Exception e) {
            builder.down().error(e).message("Kafka unreachable: " + e.getMessage());
        }
    }
}
