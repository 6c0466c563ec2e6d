package dev.wabamigrator.support;

import dev.wabamigrator.app.Application;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

/**
 * The real application, in this JVM, on the shared test broker and a test database, with topics and a consumer
 * group of its own. Test seams are properties only: short polls, zero redelivery delays, the test flows.
 */
public final class TestApp implements AutoCloseable {
    private final Main main;
    private final Map<String, String> properties;

    private TestApp(Main main, Map<String, String> properties) {
        this.main = main;
        this.properties = properties;
    }

    /** The properties every test app gets: isolated topics, fast polls, no real delays, test flows. */
    public static Map<String, String> defaults(TestDatabase database, String topicSuffix, String stepUrl) throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("app.kafka.brokers", KafkaTestBroker.bootstrapServers());
        p.put("app.kafka.topic.commands", "waba.migration.commands.v1." + topicSuffix);
        p.put("app.kafka.topic.events", "waba.migration.events.v1." + topicSuffix);
        p.put("app.kafka.topic.commands-dlq", "waba.migration.commands.dlq.v1." + topicSuffix);
        p.put("app.kafka.topic.webhooks-meta", "waba.webhooks.meta.v1." + topicSuffix);
        // the webhook server of each test app on a port of its own
        p.put("app.webhook.port", String.valueOf(freePort()));
        p.put("app.kafka.topic.partitions", "3");
        p.put("app.kafka.consumer-group", "waba-migrator-" + topicSuffix);
        p.put("app.kafka.poll-timeout-ms", "100");
        p.put("app.db.url", database.url());
        p.put("app.db.user", database.user());
        p.put("app.db.password", database.password());
        p.put("app.data-dir", Files.createTempDirectory("waba-test").toString());
        p.put("app.secrets.key", "test-secrets-key");
        p.put("app.jolokia.enabled", "false");
        // the CLI connector writes ~/.camel/<pid>-status.json every second; CliConnectorIT turns it on
        p.put("app.cli.enabled", "false");
        p.put("app.sandbox.port", "0");
        p.put("camel.management.enabled", "false");
        p.put("app.management.port", "0");
        p.put("app.scheduler.poll-interval-ms", "20");
        p.put("app.scheduler.lease-ms", "3000");
        p.put("app.scheduler.heartbeat-ms", "1000");
        p.put("app.outbox.poll-interval-ms", "20");
        p.put("app.outbox.lease-ms", "2000");
        // a batch is sent with at least 200 + 1000 + 200 ms of the 2 s lease left (ADR 0005); a shorter lease needs
        // shorter send bounds, and a delivery timeout much under 1 s expires batches on a busy test machine
        p.put("app.outbox.send.max-block-ms", "200");
        p.put("app.outbox.send.request-timeout-ms", "700");
        p.put("app.outbox.send.delivery-timeout-ms", "1000");
        p.put("app.outbox.clock-margin-ms", "200");
        p.put("app.retry.provider.redelivery-delay-ms", "0");
        p.put("app.retry.provider.max-delay-ms", "0");
        p.put("app.retry.park.initial-delay-ms", "0");
        p.put("app.retry.park.max-delay-ms", "0");
        p.put("app.retry.intake.redelivery-delay-ms", "10");
        p.put("camel.main.routes-include-pattern", "classpath:routes/*.camel.yaml,classpath:test-routes/*.camel.yaml");
        p.put("app.test.step-url", stepUrl == null ? "http://127.0.0.1:9" : stepUrl);
        return p;
    }

    public static TestApp start(Map<String, String> properties) {
        return start(properties, Map.of());
    }

    /** With beans bound before the configurations run (e.g. an OpenTelemetry that keeps spans in memory). */
    public static TestApp start(Map<String, String> properties, Map<String, Object> beans) {
        Main main = Application.create();
        main.configure().addConfiguration(TestConfiguration.class);
        beans.forEach(main::bind);
        properties.forEach(main::addOverrideProperty);
        try {
            main.start();
        } catch (Exception e) {
            throw new IllegalStateException("application did not start", e);
        }
        return new TestApp(main, properties);
    }

    public static String uniqueSuffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * A port free now, below Linux's ephemeral range (32768-60999): a port the system hands out for {@code bind(0)} is
     * also one it gives to outgoing connections (Kafka, HTTP), which took such a port between this check and the
     * service's bind more than once.
     */
    public static int freePort() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 32_000);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException taken) {
                // another one
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public String property(String key) {
        return properties.get(key);
    }

    public <T> T bean(String name, Class<T> type) {
        return context().getRegistry().lookupByNameAndType(name, type);
    }

    public Path dataDir() {
        return Path.of(properties.get("app.data-dir"));
    }

    @Override
    public void close() {
        main.stop();
    }
}
