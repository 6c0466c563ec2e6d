package dev.wabamigrator.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.ProviderError;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Builds the CloudEvents 1.0 (structured mode) events that go to the outbox. Event ids are fixed here, so a
 * re-publication carries the same id. With tracing on, each event also carries the W3C trace context it was made
 * in, as the CloudEvents distributed-tracing extension {@code traceparent}: it is part of the stored event, so the
 * publisher, however much later and whichever instance, sends it unchanged.
 */
public final class MigrationEvents {
    private final ObjectMapper json;
    private final String source;
    /** From a migration id (null for none) to the traceparent of the work making its event, or null. */
    private final UnaryOperator<String> traceparent;

    public MigrationEvents(ObjectMapper json, String source) {
        this(json, source, migrationId -> null);
    }

    public MigrationEvents(ObjectMapper json, String source, UnaryOperator<String> traceparent) {
        this.json = json;
        this.source = source;
        this.traceparent = traceparent;
    }

    /** The migration fields every migration event carries in {@code data}. */
    public record Snapshot(String migrationId, String flow, String countryCode, String nationalNumber, String e164,
                           String state, String step, int attempt, Map<String, String> result) {
    }

    /** Extra, optional parts of one event's {@code data}. */
    public static final class Details {
        String commandId;
        ProviderError error;
        Awaiting awaiting;
        String reason;
        Instant expiresAt;
        Instant nextAttemptAt;

        public static Details none() {
            return new Details();
        }

        public Details commandId(String value) {
            this.commandId = value;
            return this;
        }

        public Details error(ProviderError value) {
            this.error = value;
            return this;
        }

        public Details awaiting(Awaiting kind, String why, Instant expires) {
            this.awaiting = kind;
            this.reason = why;
            this.expiresAt = expires;
            return this;
        }

        public Details nextAttemptAt(Instant value) {
            this.nextAttemptAt = value;
            return this;
        }
    }

    public OutboxEvent migrationEvent(String type, Snapshot m, Details details, Instant now) {
        ObjectNode data = json.createObjectNode();
        data.put("migrationId", m.migrationId());
        data.put("flow", m.flow());
        ObjectNode phone = data.putObject("phoneNumber");
        phone.put("countryCode", m.countryCode());
        phone.put("number", m.nationalNumber());
        phone.put("e164", m.e164());
        data.put("state", m.state());
        data.put("step", m.step());
        data.put("attempt", m.attempt());
        if (m.result() != null && !m.result().isEmpty()) {
            ObjectNode result = data.putObject("result");
            m.result().forEach(result::put);
        }
        if (details.commandId != null) {
            data.put("commandId", details.commandId);
        }
        if (details.nextAttemptAt != null) {
            data.put("nextAttemptAt", timestamp(details.nextAttemptAt));
        }
        if (details.error != null) {
            data.set("error", error(details.error));
        }
        if (details.awaiting != null) {
            ObjectNode awaiting = data.putObject("awaiting");
            awaiting.put("kind", details.awaiting.name());
            awaiting.put("reason", details.reason == null || details.reason.isBlank() ? "waiting for " + details.awaiting : details.reason);
            if (details.expiresAt != null) {
                awaiting.put("expiresAt", timestamp(details.expiresAt));
            }
        }
        return envelope(type, m.migrationId(), m.e164(), data, now);
    }

    /** {@code waba.migration.command.rejected}: the command could not be applied, and why. */
    public OutboxEvent rejected(String key, String commandId, String commandType, String migrationId,
                                String reasonCode, String message, List<String> violations, Instant now) {
        ObjectNode data = json.createObjectNode();
        data.put("commandId", commandId);
        if (commandType != null) {
            data.put("commandType", commandType);
        }
        if (migrationId != null) {
            data.put("migrationId", migrationId);
        }
        ObjectNode reason = data.putObject("reason");
        reason.put("code", reasonCode);
        reason.put("message", message);
        if (violations != null && !violations.isEmpty()) {
            ArrayNode list = reason.putArray("violations");
            violations.forEach(list::add);
        }
        return envelope(EventTypes.COMMAND_REJECTED, migrationId, key, data, now);
    }

    public ObjectNode error(ProviderError error) {
        ObjectNode node = json.createObjectNode();
        node.put("category", error.errorClass().name());
        node.put("provider", error.provider());
        node.put("code", error.code());
        node.put("message", error.message());
        node.put("retryable", error.retryable());
        if (error.traceId() != null) {
            node.put("traceId", error.traceId());
        }
        return node;
    }

    private OutboxEvent envelope(String type, String subject, String key, ObjectNode data, Instant now) {
        String id = UUID.randomUUID().toString();
        ObjectNode event = json.createObjectNode();
        event.put("specversion", "1.0");
        event.put("id", id);
        event.put("source", source);
        event.put("type", type);
        if (subject != null && !subject.isEmpty()) {
            event.put("subject", subject);
        }
        event.put("time", timestamp(now));
        event.put("datacontenttype", "application/json");
        String trace = traceparent.apply(subject == null || subject.isEmpty() ? null : subject);
        if (trace != null) {
            event.put("traceparent", trace);
        }
        event.set("data", data);
        return new OutboxEvent(id, type, key, event.toString());
    }

    private static String timestamp(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
