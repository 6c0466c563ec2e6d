package dev.wabamigrator.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM.
 * Started by the application when {@code KAFKA_BROKERS} is unset, and used by the integration tests.
 * Data in {@code dataDir} survives restarts.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final int brokerPort;
    private final int controllerPort;
    private final int defaultPartitions;
    private KafkaRaftServer server;

    /**
     * @param dataDir           log and metadata directory; formatted on first use only
     * @param brokerPort        PLAINTEXT port, 0 to pick a free one
     * @param controllerPort    KRaft controller port, 0 to pick a free one
     * @param defaultPartitions {@code num.partitions} for topics created without an explicit count
     */
    public EmbeddedKafkaBroker(Path dataDir, int brokerPort, int controllerPort, int defaultPartitions) {
        this.dataDir = dataDir.toAbsolutePath();
        // Concrete ports are needed up front: the controller quorum and the advertised listener name them.
        this.brokerPort = brokerPort == 0 ? freePort() : brokerPort;
        this.controllerPort = controllerPort == 0 ? freePort() : controllerPort;
        this.defaultPartitions = defaultPartitions;
    }

    /** Starts the broker and returns once it answers a describeCluster request. */
    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            return this;
        }
        // Kafka's fault handlers end the process on a fatal broker error; inside an application or a test
        // JVM an exception that start() (or the failing Kafka thread) reports is the better outcome.
        Exit.setExitProcedure((code, message) -> {
            throw new IllegalStateException("Embedded Kafka broker failed (exit " + code + "): " + message);
        });
        Exit.setHaltProcedure((code, message) -> {
            throw new IllegalStateException("Embedded Kafka broker failed (halt " + code + "): " + message);
        });
        Properties properties = brokerProperties();
        formatIfNeeded(properties);
        KafkaConfig config = KafkaConfig.fromProps(properties, false);
        server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
            awaitReady();
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        LOG.info("Embedded Kafka broker ready on {} with data in {}", bootstrapServers(), dataDir);
        return this;
    }

    public String bootstrapServers() {
        return "localhost:" + brokerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public synchronized void close() {
        if (server == null) {
            return;
        }
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            server = null;
        }
    }

    private Properties brokerProperties() {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        p.put("num.partitions", String.valueOf(defaultPartitions));
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        // One node: 50 partitions (the default) of the internal topics only slow down start-up and the first group join.
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("min.insync.replicas", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        return p;
    }

    /**
     * Formatting writes a new cluster id, which Kafka refuses on a folder that already holds one.
     * Kafka's Formatter class lives in kafka-metadata, a runtime-only dependency of kafka_2.13, so the
     * format goes through StorageTool's command line entry point, which reads the broker config from a file.
     */
    private void formatIfNeeded(Properties brokerProperties) {
        if (Files.exists(dataDir.resolve("meta.properties"))) {
            return;
        }
        Path configFile = null;
        try {
            Files.createDirectories(dataDir);
            configFile = Files.createTempFile("kafka-format-", ".properties");
            try (Writer out = Files.newBufferedWriter(configFile)) {
                brokerProperties.store(out, null);
            }
            String[] args = {"format", "--cluster-id", Uuid.randomUuid().toString(), "--config", configFile.toString()};
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int exitCode = StorageTool.execute(args, new PrintStream(output, true, StandardCharsets.UTF_8));
            if (exitCode != 0) {
                throw new IllegalStateException("Cannot format Kafka data folder " + dataDir + ": " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (configFile != null) {
                configFile.toFile().delete();
            }
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            while (true) {
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) {
                    throw new IllegalStateException("Embedded Kafka broker not ready on " + bootstrapServers()
                            + " after " + START_TIMEOUT);
                }
                // Each call blocks (with the client's own retry back-off) until the broker answers or the timeout expires.
                int callTimeoutMs = (int) Math.min(remainingMs, 5_000);
                try {
                    if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(callTimeoutMs))
                            .nodes().get(callTimeoutMs + 1_000L, TimeUnit.MILLISECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    LOG.debug("Embedded Kafka broker not ready yet: {}", e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for the embedded Kafka broker", e);
                }
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
