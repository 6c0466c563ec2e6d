package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * A META_MPS migration carries a PIN in its command and fetches a business token: neither may show in a log line,
 * an event, or anything JMX can dump (the backlog tracer, which would keep message bodies, is not even installed).
 */
class SecretsStayOutOfSightIT {
    private static final String PIN = "428571";

    @Test
    void should_keep_the_pin_and_the_business_token_out_of_logs_events_and_jmx() throws Exception {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeStream(originalErr, captured), true, StandardCharsets.UTF_8));
        String logs;
        String events;
        try {
            Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), null);
            properties.put("app.sandbox.enabled", "true");
            properties.put("app.provider.meta.acceptance.initial-interval-ms", "50");
            properties.put("app.provider.meta.acceptance.max-interval-ms", "100");
            try (TestApp app = TestApp.start(properties);
                 Commands commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
                 Events log = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"))) {
                app.bean("metaSandbox", MetaSandbox.class).addSourceNumber("4242", "1", "6505557777", "Acme");
                commands.send("16505557777", """
                        {"commandId":"secret-1","type":"StartMigration","migrationId":"m-secret","flow":"META_MPS",
                         "phoneNumber":{"countryCode":"1","number":"6505557777"},
                         "meta":{"sourceWabaId":"4242","businessPortfolioId":"777","displayPhoneNumber":"+1 650-555-7777",
                                 "verifiedName":"Acme","pin":"%s"}}""".formatted(PIN));
                log.awaitType("m-secret", "waba.migration.completed");
                events = log.all().toString();
                assertThat(ManagementFactory.getPlatformMBeanServer()
                        .queryNames(new ObjectName("org.apache.camel:type=tracer,*"), null))
                        .noneMatch(name -> name.toString().contains("BacklogTracer"));
            }
        } finally {
            System.setErr(originalErr);
        }
        logs = captured.toString(StandardCharsets.UTF_8);

        assertThat(logs).contains("m-secret"); // the capture did see the migration's log lines
        assertThat(logs).doesNotContain(PIN).doesNotContain("sandbox-business-token").doesNotContain(MetaSandbox.SYSTEM_TOKEN);
        assertThat(events).contains("m-secret").doesNotContain(PIN).doesNotContain("sandbox-business-token");
    }

    /** Copies everything written to two streams. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        TeeStream(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public synchronized void write(int b) throws java.io.IOException {
            first.write(b);
            second.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
            first.write(b, off, len);
            second.write(b, off, len);
        }
    }
}
