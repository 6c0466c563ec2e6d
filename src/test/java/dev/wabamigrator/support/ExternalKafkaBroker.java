package dev.wabamigrator.support;

import dev.wabamigrator.app.EmbeddedKafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.awaitility.Awaitility;

/**
 * A Kafka broker in a JVM of its own (the product's {@link EmbeddedKafkaBroker} run as a separate process), on a
 * fixed data folder and fixed ports, so a test can kill it like a real outage and start it again where it was.
 */
public final class ExternalKafkaBroker implements AutoCloseable {
    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private final Path logDir;
    private ChildJvm jvm;
    private int runs;

    public ExternalKafkaBroker(Path dataDir, int port, int controllerPort, Path logDir) {
        this.dataDir = dataDir.toAbsolutePath();
        this.port = port;
        this.controllerPort = controllerPort;
        this.logDir = logDir;
    }

    public String bootstrapServers() {
        return "localhost:" + port;
    }

    /** Starts the broker process (again, on the same data and ports) and returns once it answers. */
    public ExternalKafkaBroker start() throws Exception {
        runs++;
        jvm = ChildJvm.startMain(ExternalKafkaBroker.class, List.of(dataDir.toString(), String.valueOf(port),
                String.valueOf(controllerPort)), logDir.resolve("kafka-" + port + "-run" + runs + ".log"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            Awaitility.await("the Kafka broker on " + bootstrapServers() + " answers").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .failFast("the Kafka broker JVM died; see " + jvm.log(), () -> !jvm.isAlive())
                    .ignoreExceptions()
                    .until(() -> !admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes()
                            .get(3, TimeUnit.SECONDS).isEmpty());
        }
        return this;
    }

    /** The outage: SIGKILL, no clean shutdown. */
    public void kill() {
        jvm.kill();
    }

    public boolean isAlive() {
        return jvm != null && jvm.isAlive();
    }

    @Override
    public void close() {
        if (jvm != null) {
            jvm.close();
        }
    }

    /** Child JVM entry point: data folder, broker port, controller port. Runs until killed. */
    public static void main(String[] args) throws Exception {
        ChildJvm.haltWithParent();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(Path.of(args[0]), Integer.parseInt(args[1]),
                Integer.parseInt(args[2]), KafkaTestBroker.DEFAULT_PARTITIONS).start();
        System.out.println("Kafka broker ready on " + broker.bootstrapServers());
        Thread.currentThread().join(); // the broker's own threads do the work; this one only keeps main alive
    }
}
