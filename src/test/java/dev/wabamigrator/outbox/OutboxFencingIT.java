package dev.wabamigrator.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.store.Outbox;
import dev.wabamigrator.store.Sql;
import dev.wabamigrator.support.KafkaClients;
import dev.wabamigrator.support.KafkaClients.TopicLog;
import dev.wabamigrator.support.KafkaTestBroker;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fenced outbox lease (ADR 0005) with two publishers on one real database and one real broker, and a clock the
 * test moves by hand to force the lease out of a publisher's hands at the worst moments: between reading a batch
 * and sending it, and between Kafka's acknowledgement and marking the rows. The stale publisher neither publishes
 * nor marks, and a consumer sees every number's events in the order they were recorded.
 */
class OutboxFencingIT {
    private static final Duration LEASE = Duration.ofSeconds(10);
    private static final Duration SEND_BOUND = Duration.ofSeconds(3);
    private static final Duration CLOCK_MARGIN = Duration.ofSeconds(1);
    private static final String CLOUDEVENTS_JSON = "application/cloudevents+json";

    /**
     * One instance: its publisher and a Camel context whose Kafka producer is set up as in the route
     * {@code outbox-publish-events}. Its methods are that route's steps, so the test can stop between them.
     */
    private final class Instance implements AutoCloseable {
        private final OutboxPublisher publisher;
        private final CamelContext camel = new DefaultCamelContext();
        private final ProducerTemplate template;

        Instance(String owner) {
            publisher = new OutboxPublisher(new Outbox(sql), clock, owner, 100,
                    new OutboxPublisher.Timing(LEASE, SEND_BOUND, CLOCK_MARGIN));
            camel.getComponent("kafka", KafkaComponent.class).getConfiguration()
                    .setBrokers(KafkaTestBroker.bootstrapServers());
            camel.start();
            template = camel.createProducerTemplate();
        }

        /** nextBatch: renew or take the lease, read the next batch. */
        Exchange read() {
            Exchange exchange = new DefaultExchange(camel);
            exchange.getMessage().setBody(publisher.nextBatch(exchange));
            return exchange;
        }

        /** mayPublish, then the Kafka producer; true when the batch went out (and Kafka acknowledged it). */
        boolean send(Exchange exchange) {
            if (!publisher.mayPublish(exchange)) {
                return false;
            }
            template.send("kafka:" + topic + "?enableIdempotence=true&requestRequiredAcks=all&lingerMs=5"
                    + "&batchWithIndividualHeaders=true&maxBlockMs=1000&requestTimeoutMs=1500&deliveryTimeoutMs=2000",
                    exchange);
            assertThat(exchange.getException()).as("Kafka send").isNull();
            return true;
        }

        int mark(Exchange exchange) {
            return publisher.markPublished(exchange);
        }

        @Override
        public void close() {
            camel.stop();
        }
    }

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    private final List<AutoCloseable> open = new ArrayList<>();
    private final String topic = "waba.migration.events.v1.fencing-" + TestApp.uniqueSuffix();
    private HikariDataSource dataSource;
    private Sql sql;
    private TopicLog topicLog;
    /** Every recorded event id per phone number, in recording order. */
    private final Map<String, List<String>> recorded = new LinkedHashMap<>();

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private void start(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.url());
        config.setUsername(database.user());
        config.setPassword(database.password());
        config.setMaximumPoolSize(4);
        dataSource = new HikariDataSource(config);
        open.add(dataSource);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        sql = new Sql(dataSource);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestBroker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
        topicLog = new TopicLog(KafkaTestBroker.bootstrapServers(), topic);
        open.add(topicLog);
    }

    private Instance instance(String owner) {
        Instance instance = new Instance(owner);
        open.add(instance);
        return instance;
    }

    /** Records events for a number in the outbox, as a step's transaction would. */
    private void record(String phone, int count) {
        for (int i = 0; i < count; i++) {
            String id = UUID.randomUUID().toString();
            recorded.computeIfAbsent(phone, k -> new ArrayList<>()).add(id);
            String payload = KafkaClients.json(Map.of("specversion", "1.0", "id", id, "source", "urn:waba-migrator",
                    "type", EventTypes.STEP_SUCCEEDED, "subject", "m-" + phone, "datacontenttype", "application/json",
                    "data", Map.of("migrationId", "m-" + phone)));
            sql.update("insert-outbox-event", Map.of("eventId", id, "eventType", EventTypes.STEP_SUCCEEDED,
                    "kafkaKey", phone, "payload", payload, "now", clock.instant()));
        }
    }

    private int recordedCount() {
        return recorded.values().stream().mapToInt(List::size).sum();
    }

    private int unpublished() throws Exception {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private String leaseToken() throws Exception {
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT token FROM app_lease WHERE name = 'outbox-publisher'")) {
            rows.next();
            return rows.getString(1);
        }
    }

    /** Waits until the topic holds this many records, and returns them. */
    private List<ConsumerRecord<String, byte[]>> awaitRecords(int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> topicLog.records().size() >= count);
        return List.copyOf(topicLog.records());
    }


    private static String contentType(ConsumerRecord<String, byte[]> record) {
        Header header = record.headers().lastHeader("content-type");
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_hold_back_a_batch_when_a_pause_ate_the_lease_before_the_send(String kind) throws Exception {
        start(kind);
        Instance a = instance("instance-a");
        Instance b = instance("instance-b");
        record("16505550001", 3);
        record("16505550002", 2);

        Exchange stale = a.read();
        assertThat(stale.getMessage().getBody(List.class)).hasSize(5);
        clock.advance(LEASE.minus(SEND_BOUND)); // A pauses after reading: a send could now outlive its lease
        assertThat(a.send(stale)).as("A sends with too little lease left").isFalse();

        clock.advance(SEND_BOUND.plusMillis(1)); // A's lease has run out: B takes it over with a new token
        String tokenOfA = leaseToken();
        Exchange batch = b.read();
        assertThat(leaseToken()).isNotEqualTo(tokenOfA);
        assertThat(b.send(batch)).isTrue();
        assertThat(b.mark(batch)).isEqualTo(5);

        assertThat(a.mark(stale)).as("rows A marks with its stale token").isZero();
        assertThat(a.read().getMessage().getBody(List.class)).as("A's batch while B holds the lease").isEmpty();
        record("16505550001", 1);
        assertThat(a.read().getMessage().getBody(List.class)).as("A's batch while B holds the lease").isEmpty();

        awaitRecords(5);
        await("nothing more than B's batch on the topic").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> topicLog.records().size() == 5);
        List<ConsumerRecord<String, byte[]>> records = List.copyOf(topicLog.records());
        assertThat(KafkaClients.firstSeenByKey(records)).isEqualTo(Map.of(
                "16505550001", recorded.get("16505550001").subList(0, 3),
                "16505550002", recorded.get("16505550002")));
        assertThat(records).allSatisfy(r -> assertThat(contentType(r)).isEqualTo(CLOUDEVENTS_JSON));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_not_let_a_publisher_that_lost_the_lease_after_its_send_mark_the_rows_or_break_the_order(String kind)
            throws Exception {
        start(kind);
        Instance a = instance("instance-a");
        Instance b = instance("instance-b");
        record("16505550001", 3);
        record("16505550002", 2);

        Exchange sentByA = a.read();
        assertThat(a.send(sentByA)).isTrue(); // acknowledged by Kafka ...
        clock.advance(LEASE.plusMillis(1)); // ... then A pauses before marking, past its lease
        record("16505550001", 2); // more events for the same number meanwhile

        Exchange takenOver = b.read();
        assertThat(takenOver.getMessage().getBody(List.class)).as("B's batch: A's unmarked rows and the new ones")
                .hasSize(7);
        assertThat(a.mark(sentByA)).as("rows A marks after losing the lease").isZero();
        assertThat(unpublished()).isEqualTo(7);
        assertThat(b.send(takenOver)).isTrue();
        assertThat(b.mark(takenOver)).isEqualTo(7);
        assertThat(unpublished()).isZero();

        // A comes back: it cannot renew, take over or send while B renews its lease
        clock.advance(LEASE.dividedBy(2));
        assertThat(a.read().getMessage().getBody(List.class)).isEmpty();
        record("16505550002", 1);
        Exchange next = b.read();
        assertThat(b.send(next)).isTrue();
        assertThat(b.mark(next)).isEqualTo(1);

        List<ConsumerRecord<String, byte[]>> records = awaitRecords(5 + recordedCount());
        assertThat(records).as("A's 5, then B's 7 + 1").hasSize(13);
        assertThat(KafkaClients.firstSeenByKey(records)).as("per number, first deliveries in recording order").isEqualTo(recorded);
        assertThat(records).allSatisfy(r -> assertThat(contentType(r)).isEqualTo(CLOUDEVENTS_JSON));
        for (ConsumerRecord<String, byte[]> record : records) {
            JsonNode event = KafkaClients.parse(record.value());
            assertThat(recorded.get(record.key())).contains(event.path("id").asText());
        }
    }
}
