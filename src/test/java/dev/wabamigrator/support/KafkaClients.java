package dev.wabamigrator.support;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients, as an upstream producer and a downstream consumer would use them. */
public final class KafkaClients {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaClients() {
    }

    /** Sends commands the way any upstream system would: key = phone number, value = JSON bytes. */
    public static final class Commands implements AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final String topic;

        public Commands(String bootstrap, String topic) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            this.producer = new KafkaProducer<>(p);
            this.topic = topic;
        }

        public void send(String key, String json) {
            send(key, json.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * A {@code StartMigration} (command id {@code start-<migrationId>}) of a +1 number, keyed by its E.164 digits
         * as an upstream system keys it; returns that key.
         */
        public String start(String flow, String migrationId, String nationalNumber) {
            send("1" + nationalNumber, """
                    {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"%s",
                     "phoneNumber":{"countryCode":"1","number":"%s"}}""".formatted(migrationId, migrationId, flow,
                    nationalNumber));
            return "1" + nationalNumber;
        }

        /**
         * Sends records in one go (sent together, then awaited), so they land side by side in the log and a consumer
         * reads them in one poll.
         */
        public void sendTogether(java.util.List<Map.Entry<String, String>> records) {
            java.util.List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
            for (Map.Entry<String, String> record : records) {
                sent.add(producer.send(new ProducerRecord<>(topic, record.getKey(),
                        record.getValue().getBytes(StandardCharsets.UTF_8))));
            }
            producer.flush();
            try {
                for (java.util.concurrent.Future<?> future : sent) {
                    future.get();
                }
            } catch (Exception e) {
                throw new IllegalStateException("could not send the commands", e);
            }
        }

        public void send(String key, byte[] value) {
            try {
                producer.send(new ProducerRecord<>(topic, key, value)).get();
            } catch (Exception e) {
                throw new IllegalStateException("could not send a command", e);
            }
        }

        @Override
        public void close() {
            producer.close();
        }
    }

    /** Reads a topic from the beginning in the background and keeps every record. */
    public static final class TopicLog implements AutoCloseable {
        private final List<ConsumerRecord<String, byte[]>> records = new CopyOnWriteArrayList<>();
        private final Thread poller;
        private volatile boolean running = true;

        public TopicLog(String bootstrap, String topic) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p);
            consumer.subscribe(List.of(topic));
            poller = new Thread(() -> {
                try (consumer) {
                    while (running) {
                        consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                    }
                }
            }, "test-reader-" + topic);
            poller.setDaemon(true);
            poller.start();
        }

        public List<ConsumerRecord<String, byte[]>> records() {
            return records;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            poller.join(5000);
        }
    }

    /** The events topic as a downstream consumer sees it: CloudEvents JSON, keyed by phone number. */
    public static final class Events implements AutoCloseable {
        private final TopicLog log;

        public Events(String bootstrap, String topic) {
            this.log = new TopicLog(bootstrap, topic);
        }

        public List<JsonNode> all() {
            List<JsonNode> events = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> record : log.records()) {
                events.add(parse(record.value()));
            }
            return events;
        }

        public List<ConsumerRecord<String, byte[]>> records() {
            return log.records();
        }

        public List<JsonNode> forMigration(String migrationId) {
            return all().stream().filter(e -> migrationId.equals(e.path("data").path("migrationId").asText())).toList();
        }

        public List<JsonNode> ofType(String type) {
            return all().stream().filter(e -> type.equals(e.path("type").asText())).toList();
        }

        public List<String> typesFor(String migrationId) {
            return forMigration(migrationId).stream().map(e -> e.path("type").asText()).toList();
        }

        /** Waits until an event matching the predicate arrived, and returns it. */
        public JsonNode await(Predicate<JsonNode> predicate) {
            return await(predicate, Duration.ofSeconds(30));
        }

        public JsonNode await(Predicate<JsonNode> predicate, Duration timeout) {
            return org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(20))
                    .until(() -> all().stream().filter(predicate).findFirst(), java.util.Optional::isPresent).get();
        }

        public JsonNode awaitType(String migrationId, String type) {
            return await(e -> type.equals(e.path("type").asText())
                    && migrationId.equals(e.path("data").path("migrationId").asText()));
        }

        public JsonNode awaitRejection(String commandId) {
            return await(e -> "waba.migration.command.rejected".equals(e.path("type").asText())
                    && commandId.equals(e.path("data").path("commandId").asText()));
        }

        @Override
        public void close() throws InterruptedException {
            log.close();
        }
    }

    /** Per record key (the number), the event ids in the order a consumer first sees them (repeats dropped). */
    public static Map<String, List<String>> firstSeenByKey(List<ConsumerRecord<String, byte[]>> records) {
        Map<String, List<String>> seen = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            String id = parse(record.value()).path("id").asText();
            List<String> ids = seen.computeIfAbsent(record.key(), k -> new ArrayList<>());
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        return seen;
    }

    /**
     * The topics of the application's properties (commands, events, dead letters), as the app would create them:
     * creating them first lets a test's consumer subscribe before the app starts.
     */
    public static void createTopics(String brokers, Map<String, String> properties)
            throws InterruptedException, ExecutionException, TimeoutException {
        int partitions = Integer.parseInt(properties.get("app.kafka.topic.partitions"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            List<NewTopic> topics = List.of("app.kafka.topic.commands", "app.kafka.topic.events",
                    "app.kafka.topic.commands-dlq").stream()
                    .map(key -> new NewTopic(properties.get(key), partitions, (short) 1)).toList();
            for (var result : admin.createTopics(topics).values().values()) {
                try {
                    result.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    public static JsonNode parse(byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("not JSON on the events topic: " + new String(value, StandardCharsets.UTF_8), e);
        }
    }

    public static String json(Map<String, ?> value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

}
