package dev.wabamigrator.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.MetaSandbox;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * {@code --demo}: runs the service on its embedded defaults with the sandbox, feeds sample migrations through
 * Kafka like any upstream system would, answers the code requests like a customer would, prints the events as a
 * timeline and exits 0 once every migration is over.
 */
final class Demo {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LIMIT = Duration.ofMinutes(3);

    /**
     * One sample migration: its flow, number, what it shows, and how the "customer" behaves.
     *
     * @param pendingName the number has a display name change pending: preflight stops it until Meta approves it
     */
    private record Sample(String id, String flow, String cc, String number, String shows, boolean wrongCodeFirst,
                          boolean pendingName) {
        Sample(String id, String flow, String cc, String number, String shows, boolean wrongCodeFirst) {
            this(id, flow, cc, number, shows, wrongCodeFirst, false);
        }

        String phone() {
            return cc + number;
        }

        /** Each MPS (and preflight) sample in a source WABA of its own: the sandbox scripts outcomes per WABA too. */
        String sourceWaba() {
            return "9" + number.substring(number.length() - 4);
        }
    }

    private static final List<Sample> SAMPLES = List.of(
            new Sample("happy", "ALIBABA_CHATAPP", "86", "13900001234",
                    "happy path: code sent, submitted, verified, registered", false),
            new Sample("verified", "ALIBABA_CHATAPP", "86", "13900000001",
                    "number verified recently: the code steps are skipped", false),
            new Sample("throttled", "ALIBABA_CHATAPP", "86", "13900000002",
                    "cams throttles each operation once: the migration waits and retries", false),
            new Sample("wrong-code", "ALIBABA_CHATAPP", "86", "13900005678",
                    "a wrong code first: back to the wait, then the right one", true),
            new Sample("denied", "ALIBABA_CHATAPP", "86", "13900000003",
                    "RAM policy denies the call: parked for a person, then cancelled", false),
            new Sample("mps", "META_MPS", "1", "6505550100",
                    "off a Multi-Partner Solution: waits for the customer's acceptance, then moves the number", false),
            new Sample("mps-2fa", "META_MPS", "1", "6505551006",
                    "two-step verification still on: parked for a person, resumed once it is off", false),
            new Sample("classic", "META_CLASSIC", "55", "11987654321",
                    "WABA to WABA: migrate, code by SMS, verify, register, then its templates (one rejected twice)",
                    false),
            new Sample("preflight", "META_CLASSIC", "55", "11987650777",
                    "preflight finds a display name change pending: parked for a person, resumed once approved",
                    false, true));

    private final PrintStream out;
    private final long started = System.nanoTime();
    private final String run = UUID.randomUUID().toString().substring(0, 6);
    private final Map<String, String> states = new LinkedHashMap<>();
    /** Migrations whose templates report came: ALIBABA_CHATAPP's trails its completed event. */
    private final java.util.Set<String> reported = new java.util.HashSet<>();

    private Demo(PrintStream out) {
        this.out = out;
    }

    /** @param log where the service's log goes, named once on the terminal */
    static int run(String[] args, Path log) throws Exception {
        Path dataDir = Path.of(System.getenv().getOrDefault("DATA_DIR", "./data")).resolve("demo");
        wipe(dataDir); // the demo starts from nothing each time and leaves the service's own data alone
        Main main = Application.create();
        main.addOverrideProperty("app.data-dir", dataDir.toString());
        main.addOverrideProperty("app.jolokia.enabled", "false");
        // the sandbox's customer accepts within seconds: poll every second instead of every 30
        main.addOverrideProperty("app.provider.meta.acceptance.initial-interval-ms", "1000");
        main.addOverrideProperty("app.provider.meta.acceptance.max-interval-ms", "2000");
        System.out.println("starting the service on its embedded defaults; its log goes to " + log);
        main.start();
        try {
            return new Demo(System.out).drive(main.getCamelContext());
        } finally {
            main.stop();
        }
    }

    private int drive(CamelContext context) throws Exception {
        String brokers = context.getComponent("kafka", org.apache.camel.component.kafka.KafkaComponent.class)
                .getConfiguration().getBrokers();
        String commandsTopic = context.resolvePropertyPlaceholders("{{app.kafka.topic.commands}}");
        String eventsTopic = context.resolvePropertyPlaceholders("{{app.kafka.topic.events}}");
        AlibabaSandbox cams = context.getRegistry().lookupByNameAndType("alibabaSandbox", AlibabaSandbox.class);
        MetaSandbox meta = context.getRegistry().lookupByNameAndType("metaSandbox", MetaSandbox.class);
        if (cams == null || meta == null) {
            out.println("The demo needs the provider sandbox: unset the provider credentials or set SANDBOX=true.");
            return 2;
        }
        out.println();
        out.println("waba-migrator demo: " + SAMPLES.size() + " migrations through Kafka against the provider sandbox");
        SAMPLES.forEach(s -> out.printf("  %-24s %-16s %s%n", id(s), s.flow(), s.shows()));
        out.println();
        out.printf("%8s  %-24s %-34s %-20s %s%n", "time", "migration", "event", "step", "detail");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(clientProperties(brokers, true));
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(clientProperties(brokers, false))) {
            consumer.subscribe(List.of(eventsTopic));
            for (Sample sample : SAMPLES) {
                if (sample.flow().equals("META_MPS") || sample.pendingName()) {
                    meta.addSourceNumber(sample.sourceWaba(), sample.cc(), sample.number(), "Acme");
                }
                if (sample.id().equals("classic")) {
                    // the templates step copies what the destination lacks and reports the rest
                    meta.addSourceNumber(sample.sourceWaba(), sample.cc(), sample.number(), "Acme");
                    meta.addTemplates(sample.sourceWaba(), "order_update", 12, "APPROVED", "GREEN", 0);
                    meta.addTemplates(sample.sourceWaba(), "spring_sale", 1, "APPROVED", "RED", 0);
                    meta.addTemplates(sample.sourceWaba(), "delivery_window", 1, "APPROVED", "GREEN", 2);
                }
                if (sample.pendingName()) {
                    meta.setNumberFacts(sample.phone(), null, "PENDING_REVIEW", null, null);
                }
                send(producer, commandsTopic, sample.phone(), startCommand(sample));
            }
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (states.size() < SAMPLES.size() || states.values().stream().anyMatch(s -> !isOver(s))
                    || awaitingTemplatesReport()) {
                if (System.nanoTime() > deadline) {
                    out.println("the demo did not finish within " + LIMIT.toMinutes() + " minutes: " + states);
                    return 1;
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    react(JSON.readTree(record.value()), producer, commandsTopic, cams, meta);
                }
            }
        }
        out.println();
        states.forEach((id, state) -> out.printf("  %-24s %s%n", id, state));
        out.println("\nall " + SAMPLES.size() + " migrations are over; the service keeps the same data in "
                + "the demo folder until the next demo.");
        return 0;
    }

    private void react(JsonNode event, KafkaProducer<String, String> producer, String topic, AlibabaSandbox cams,
                       MetaSandbox meta) throws IOException {
        JsonNode data = event.path("data");
        String id = data.path("migrationId").asText(event.path("subject").asText());
        Sample sample = SAMPLES.stream().filter(s -> id(s).equals(id)).findFirst().orElse(null);
        if (sample == null) {
            return; // an event of an earlier run
        }
        String type = event.path("type").asText().replace("waba.migration.", "");
        String detail = type.equals("completed") ? data.path("result").toString() : detail(data);
        out.printf("%7.2fs  %-24s %-34s %-20s %s%n", (System.nanoTime() - started) / 1e9, id, type,
                data.path("step").asText(), detail);
        states.put(id, data.path("state").asText(type));
        if (type.equals("templates.migrated")) {
            reported.add(id);
        }
        String awaiting = data.path("awaiting").path("kind").asText();
        if ("VERIFICATION_CODE".equals(awaiting)) {
            String code = sample.flow().equals("META_CLASSIC")
                    ? meta.verificationCode(data.path("result").path("phoneNumberId").asText()).orElseThrow()
                    : cams.code(sample.phone()).orElseThrow();
            boolean firstWait = !data.path("awaiting").path("reason").asText().contains("wrong");
            String sent = sample.wrongCodeFirst() && firstWait ? (code.equals("000000") ? "111111" : "000000") : code;
            out.printf("%8s  %-24s customer submits code %s%s%n", "", id, sent, sent.equals(code) ? "" : " (wrong)");
            send(producer, topic, sample.phone(), Map.of("commandId", "code-" + id + "-" + sent,
                    "type", "SubmitVerificationCode", "migrationId", id, "code", sent));
        } else if ("HUMAN_ACTION".equals(awaiting) && sample.pendingName()) {
            out.printf("%8s  %-24s Meta approves the new display name; operator resumes%n", "", id);
            meta.setNumberFacts(sample.phone(), null, "APPROVED", null, null);
            send(producer, topic, sample.phone(), Map.of("commandId", "resume-" + id, "type", "ResumeMigration",
                    "migrationId", id));
        } else if ("HUMAN_ACTION".equals(awaiting) && sample.flow().equals("META_MPS")) {
            out.printf("%8s  %-24s the old provider turns two-step verification off; operator resumes%n", "", id);
            meta.disableTwoStep(sample.phone());
            send(producer, topic, sample.phone(), Map.of("commandId", "resume-" + id, "type", "ResumeMigration",
                    "migrationId", id));
        } else if ("HUMAN_ACTION".equals(awaiting)) {
            out.printf("%8s  %-24s operator cancels it%n", "", id);
            send(producer, topic, sample.phone(), Map.of("commandId", "cancel-" + id, "type", "CancelMigration",
                    "migrationId", id, "reason", "demo: the customer's RAM policy needs fixing first"));
        }
    }

    private Map<String, Object> startCommand(Sample sample) {
        Map<String, Object> command = new LinkedHashMap<>();
        command.put("commandId", "start-" + id(sample));
        command.put("type", "StartMigration");
        command.put("migrationId", id(sample));
        command.put("flow", sample.flow());
        command.put("phoneNumber", Map.of("countryCode", sample.cc(), "number", sample.number()));
        switch (sample.flow()) {
            case "ALIBABA_CHATAPP" -> command.put("alibaba",
                    Map.of("custSpaceId", "cams-demo", "verifyMethod", "sms", "locale", "en_US"));
            case "META_MPS" -> command.put("meta", Map.of("sourceWabaId", sample.sourceWaba(), "businessPortfolioId", "222",
                    "displayPhoneNumber", "+" + sample.phone(), "verifiedName", "Acme", "pin", "123456"));
            default -> {
                Map<String, Object> meta = new LinkedHashMap<>(Map.of("destinationWabaId", "333",
                        "displayPhoneNumber", "+" + sample.phone(), "verifiedName", "Acme BR", "codeMethod", "SMS",
                        "language", "pt_BR", "pin", "654321"));
                if (sample.pendingName() || sample.id().equals("classic")) {
                    meta.put("sourceWabaId", sample.sourceWaba()); // preflight and templates read the source WABA
                }
                command.put("meta", meta);
            }
        }
        return command;
    }

    private static String detail(JsonNode data) {
        if ("SPACE_LISTING".equals(data.path("report").path("mode").asText())) {
            JsonNode r = data.path("report");
            StringBuilder sb = new StringBuilder("cams space " + r.path("custSpaceId").asText() + ": ");
            if (!r.path("listed").asBoolean()) {
                sb.append("not listed (").append(r.path("note").asText()).append("); ");
            }
            sb.append(r.path("counts").path("listed").asInt()).append(" templates");
            r.path("byAuditStatus").fields().forEachRemaining(f -> sb.append(", ").append(f.getValue().asInt())
                    .append(' ').append(f.getKey()));
            sb.append("; one listing for ").append(r.path("migrationsSharingListing").asInt()).append(" migration(s)");
            for (JsonNode t : r.path("notApproved")) {
                if (t.has("reason")) { // the first rejected one, with cams's reason
                    sb.append("; e.g. ").append(t.path("name").asText()).append(": ").append(t.path("reason").asText());
                    break;
                }
            }
            return sb.toString();
        }
        if (data.has("report") && data.path("report").has("counts")) {
            JsonNode r = data.path("report");
            JsonNode c = r.path("counts");
            StringBuilder sb = new StringBuilder("templates: " + c.path("eligible").asInt() + " eligible, "
                    + c.path("migrated").asInt() + " migrated, " + c.path("failed").asInt() + " failed, "
                    + c.path("skipped").asInt() + " skipped");
            for (String list : List.of("failed", "skipped")) {
                r.path(list).forEach(t -> sb.append("; ").append(list).append(' ').append(t.path("name").asText())
                        .append(" (").append(t.path("reason").asText()).append(')'));
            }
            return sb.toString();
        }
        if (data.has("awaiting")) {
            return data.path("awaiting").path("kind").asText() + ": " + data.path("awaiting").path("reason").asText();
        }
        if (data.has("error")) {
            JsonNode error = data.path("error");
            return error.path("category").asText() + " " + error.path("code").asText() + " " + error.path("message").asText()
                    + (data.has("nextAttemptAt") ? " (retry at " + data.path("nextAttemptAt").asText() + ")" : "");
        }
        return "";
    }

    /** A completed ALIBABA_CHATAPP sample whose templates report (a poll after its completion) has not come yet. */
    private boolean awaitingTemplatesReport() {
        return SAMPLES.stream().anyMatch(s -> s.flow().equals("ALIBABA_CHATAPP")
                && "COMPLETED".equals(states.get(id(s))) && !reported.contains(id(s)));
    }

    private static boolean isOver(String state) {
        return state.equals("COMPLETED") || state.equals("FAILED") || state.equals("CANCELLED");
    }

    private String id(Sample sample) {
        return "demo-" + run + "-" + sample.id();
    }

    private static void send(KafkaProducer<String, String> producer, String topic, String key, Map<String, ?> command)
            throws IOException {
        try {
            producer.send(new ProducerRecord<>(topic, key, JSON.writeValueAsString(command))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("could not send a command", e.getCause());
        }
    }

    private static Properties clientProperties(String brokers, boolean producer) {
        Properties p = new Properties();
        p.put("bootstrap.servers", brokers);
        if (producer) {
            p.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
            p.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
            p.put("acks", "all");
        } else {
            p.put("group.id", "waba-demo-" + UUID.randomUUID());
            p.put("auto.offset.reset", "earliest");
            p.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
            p.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        }
        return p;
    }

    private static void wipe(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }
}
