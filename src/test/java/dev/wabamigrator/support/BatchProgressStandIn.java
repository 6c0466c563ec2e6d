package dev.wabamigrator.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes {@code waba.migration.batch.progress} events on a real events topic, as the contract describes them
 * (key and subject = batch id; counts by state and awaiting kind; settled, finished), from the migration events
 * of that topic. For tests of what reads those reports, on a service that does not publish them itself.
 */
public final class BatchProgressStandIn implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> STATES = List.of("RUNNING", "AWAITING_INPUT", "COMPLETED", "FAILED", "CANCELLED");
    private static final List<String> AWAITING = List.of("VERIFICATION_CODE", "CUSTOMER_ACCEPTANCE", "HUMAN_ACTION");

    private final Thread thread;
    private volatile boolean running = true;

    public BatchProgressStandIn(String brokers, String eventsTopic) {
        thread = new Thread(() -> run(brokers, eventsTopic), "batch-progress-stand-in");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(String brokers, String topic) {
        Properties c = new Properties();
        c.put("bootstrap.servers", brokers);
        c.put("group.id", "batch-progress-stand-in-" + UUID.randomUUID());
        c.put("auto.offset.reset", "earliest");
        c.put("key.deserializer", StringDeserializer.class.getName());
        c.put("value.deserializer", StringDeserializer.class.getName());
        Properties p = new Properties();
        p.put("bootstrap.servers", brokers);
        p.put("acks", "all");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        Map<String, Map<String, JsonNode>> batches = new HashMap<>(); // batch → migration → latest data
        Set<String> changed = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c);
             KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    JsonNode data = KafkaClients.parse(record.value().getBytes()).path("data");
                    String batch = data.path("batchId").asText(null);
                    if (batch != null && data.has("migrationId") && data.has("state")) {
                        batches.computeIfAbsent(batch, b -> new HashMap<>()).put(data.path("migrationId").asText(), data);
                        changed.add(batch);
                    }
                }
                for (String batch : changed) {
                    producer.send(new ProducerRecord<>(topic, batch, report(batch, batches.get(batch)).toString()));
                }
                changed.clear();
            }
        }
    }

    private static ObjectNode report(String batch, Map<String, JsonNode> migrations) {
        ObjectNode data = JSON.createObjectNode();
        data.put("batchId", batch);
        data.put("total", migrations.size());
        ObjectNode states = data.putObject("states");
        STATES.forEach(s -> states.put(s, migrations.values().stream().filter(m -> s.equals(m.path("state").asText())).count()));
        ObjectNode awaiting = data.putObject("awaiting");
        AWAITING.forEach(a -> awaiting.put(a, migrations.values().stream()
                .filter(m -> a.equals(m.path("awaiting").path("kind").asText())
                        && "AWAITING_INPUT".equals(m.path("state").asText())).count()));
        data.put("migrationsPerSecond", 1.5);
        data.putNull("etaSeconds");
        data.put("settled", states.path("RUNNING").asLong() == 0);
        data.put("finished", states.path("RUNNING").asLong() == 0 && states.path("AWAITING_INPUT").asLong() == 0);
        ObjectNode event = JSON.createObjectNode();
        event.put("specversion", "1.0");
        event.put("id", UUID.randomUUID().toString());
        event.put("source", "/waba-migrator");
        event.put("type", "waba.migration.batch.progress");
        event.put("subject", batch);
        event.put("time", Instant.now().toString());
        event.put("datacontenttype", "application/json");
        event.set("data", data);
        return event;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
