package dev.wabamigrator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The upstream system and the customer: sends StartMigration commands to the commands topic, reads the events
 * topic, answers each code request with the code the sandbox "sent" (unless codes are held back), and times every
 * migration from its command to its last event.
 */
final class Driver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One migration's clock, in System.nanoTime(). */
    static final class Timing {
        final String phone;
        volatile long started;
        volatile long parked;
        volatile long codeSent;
        volatile long ended;
        volatile String outcome;

        Timing(String phone) {
            this.phone = phone;
        }
    }

    private final String commandsTopic;
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    private final Thread reader;
    private final Function<String, String> codes;
    private final Map<String, Timing> timings = new ConcurrentHashMap<>();
    private final AtomicInteger events = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final AtomicInteger parked = new AtomicInteger();
    private final AtomicLong lastEvent = new AtomicLong();
    private volatile CountDownLatch endedLatch = new CountDownLatch(0);
    private volatile CountDownLatch parkedLatch = new CountDownLatch(0);
    private volatile Semaphore window = new Semaphore(Integer.MAX_VALUE);
    private volatile boolean submitCodes = true;
    private volatile boolean running = true;

    /** @param codes phone number (CC + number) to the code the sandbox sent it */
    Driver(String brokers, String commandsTopic, String eventsTopic, Function<String, String> codes) {
        this.commandsTopic = commandsTopic;
        this.codes = codes;
        Properties p = new Properties();
        p.put("bootstrap.servers", brokers);
        p.put("client.id", "bench-commands-" + UUID.randomUUID().toString().substring(0, 6));
        p.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        p.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        p.put("acks", "all");
        p.put("linger.ms", "2");
        this.producer = new KafkaProducer<>(p);
        Properties c = new Properties();
        c.put("bootstrap.servers", brokers);
        c.put("client.id", "bench-events-" + UUID.randomUUID().toString().substring(0, 6));
        c.put("group.id", "bench-" + UUID.randomUUID());
        c.put("auto.offset.reset", "latest");
        c.put("max.poll.records", "2000");
        c.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        c.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        this.consumer = new KafkaConsumer<>(c);
        consumer.subscribe(List.of(eventsTopic));
        // join the group and fix the positions before anything is sent, so no event is missed
        while (consumer.assignment().isEmpty()) {
            consumer.poll(Duration.ofMillis(100));
        }
        consumer.assignment().forEach(consumer::position);
        this.reader = new Thread(this::read, "bench-event-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Holds back code requests (parked scenario) or answers them at once (default). */
    Driver submitCodes(boolean submit) {
        this.submitCodes = submit;
        return this;
    }

    /** Sends every StartMigration, at most {@code windowSize} migrations unfinished at once. */
    void start(List<String> phones, String flowTag, int windowSize, boolean expectParked) throws InterruptedException {
        endedLatch = new CountDownLatch(expectParked ? 0 : phones.size());
        parkedLatch = new CountDownLatch(expectParked ? phones.size() : 0);
        window = new Semaphore(windowSize);
        for (String phone : phones) {
            window.acquire();
            String id = "bench-" + flowTag + "-" + phone;
            Timing t = new Timing(phone);
            timings.put(id, t);
            t.started = System.nanoTime();
            String cc = phone.substring(0, 2);
            String number = phone.substring(2);
            send(phone, Map.of("commandId", "start-" + id, "type", "StartMigration", "migrationId", id,
                    "flow", "ALIBABA_CHATAPP", "phoneNumber", Map.of("countryCode", cc, "number", number),
                    "alibaba", Map.of("custSpaceId", "cams-bench", "verifyMethod", "sms", "locale", "en_US")));
        }
        producer.flush();
    }

    /** Sends the code of every parked migration (parked scenario); returns when all are sent. */
    void releaseParked() {
        endedLatch = new CountDownLatch(timings.size());
        submitCodes = true;
        for (Map.Entry<String, Timing> e : timings.entrySet()) {
            sendCode(e.getKey(), e.getValue());
        }
        producer.flush();
    }

    boolean awaitEnded(Duration timeout) throws InterruptedException {
        return endedLatch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean awaitParked(Duration timeout) throws InterruptedException {
        return parkedLatch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    List<Timing> timings() {
        return new ArrayList<>(timings.values());
    }

    int events() {
        return events.get();
    }

    int ended() {
        return ended.get();
    }

    int parked() {
        return parked.get();
    }

    private void read() {
        while (running) {
            try {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    events.incrementAndGet();
                    react(JSON.readTree(record.value()));
                }
            } catch (org.apache.kafka.common.errors.InterruptException | org.apache.kafka.common.errors.WakeupException e) {
                return;
            } catch (Exception e) {
                if (running) {
                    System.err.println("bench: event reader: " + e);
                }
            }
        }
    }

    private void react(JsonNode event) {
        JsonNode data = event.path("data");
        String id = data.path("migrationId").asText();
        Timing t = timings.get(id);
        if (t == null) {
            return;
        }
        long now = System.nanoTime();
        lastEvent.set(now);
        String type = event.path("type").asText();
        switch (type) {
            case "waba.migration.awaiting-input" -> {
                String kind = data.path("awaiting").path("kind").asText();
                if ("VERIFICATION_CODE".equals(kind)) {
                    if (t.parked == 0) {
                        t.parked = now;
                        parked.incrementAndGet();
                        parkedLatch.countDown();
                    }
                    if (submitCodes) {
                        sendCode(id, t);
                    }
                } else {
                    end(t, "HUMAN_ACTION", now);
                }
            }
            case "waba.migration.completed" -> end(t, "COMPLETED", now);
            case "waba.migration.failed" -> end(t, "FAILED", now);
            case "waba.migration.cancelled" -> end(t, "CANCELLED", now);
            default -> {
            }
        }
    }

    private void end(Timing t, String outcome, long now) {
        if (t.ended != 0) {
            return;
        }
        t.ended = now;
        t.outcome = outcome;
        ended.incrementAndGet();
        endedLatch.countDown();
        window.release();
    }

    private void sendCode(String id, Timing t) {
        String code = codes.apply(t.phone);
        if (code == null) {
            System.err.println("bench: no code for " + t.phone);
            return;
        }
        t.codeSent = System.nanoTime();
        send(t.phone, Map.of("commandId", "code-" + id + "-" + code, "type", "SubmitVerificationCode",
                "migrationId", id, "code", code));
    }

    private void send(String key, Map<String, ?> command) {
        try {
            producer.send(new ProducerRecord<>(commandsTopic, key, JSON.writeValueAsString(command)), (md, e) -> {
                if (e != null) {
                    System.err.println("bench: command not sent: " + e);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("could not send a command", e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        reader.join(5000);
        consumer.close(Duration.ofSeconds(2));
        producer.close(Duration.ofSeconds(5));
    }
}
