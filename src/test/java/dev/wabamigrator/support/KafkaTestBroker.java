package dev.wabamigrator.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import dev.wabamigrator.app.EmbeddedKafkaBroker;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The one real Kafka broker shared by all integration tests of this JVM, started on first use.
 * The in-process KRaft broker by default; a Testcontainers broker with {@code -Dapp.test.kafka=testcontainers}
 * when Docker is available.
 */
public final class KafkaTestBroker {

    public static final int DEFAULT_PARTITIONS = 3;
    private static final String KAFKA_IMAGE = "apache/kafka:3.9.1";

    private static String bootstrapServers;

    private KafkaTestBroker() {
    }

    public static synchronized String bootstrapServers() {
        if (bootstrapServers == null) {
            bootstrapServers = useTestcontainers() ? startContainer() : startEmbedded();
        }
        return bootstrapServers;
    }

    private static boolean useTestcontainers() {
        // Property first: probing Docker is slow and logs an error when Docker is absent.
        return "testcontainers".equals(System.getProperty("app.test.kafka"))
                && DockerClientFactory.instance().isDockerAvailable();
    }

    private static String startContainer() {
        KafkaContainer container = new KafkaContainer(KAFKA_IMAGE);
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "kafka-test-container-stop"));
        return container.getBootstrapServers();
    }

    private static String startEmbedded() {
        try {
            Path dataDir = Files.createTempDirectory("waba-kafka-test-");
            EmbeddedKafkaBroker broker;
            try {
                broker = new EmbeddedKafkaBroker(dataDir, 0, 0, DEFAULT_PARTITIONS).start();
            } catch (RuntimeException e) {
                deleteRecursively(dataDir);
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                broker.close();
                deleteRecursively(dataDir);
            }, "kafka-test-broker-stop"));
            return broker.bootstrapServers();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: it is a temp folder
        }
    }
}
