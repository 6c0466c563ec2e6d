package dev.wabamigrator.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.Preflight;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.progress.BatchProgress;
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

    /** The migration fields every migration event carries in {@code data}, for a row that cannot be read whole. */
    public record Snapshot(String migrationId, String flow, String countryCode, String nationalNumber, String e164,
                           String batchId, String state, String step, int attempt, Map<String, String> result) {
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

    /** An event about {@code m} as it stands now. */
    public OutboxEvent migrationEvent(String type, Migration m, Details details, Instant now) {
        ObjectNode data = migrationData(m.getMigrationId(), m.getFlow(), m.getCountryCode(), m.getNationalNumber(),
                m.getPhoneE164(), m.getState().name(), m.getStep(), m.getAttempt());
        if (m.getBatchId() != null) {
            data.put("batchId", m.getBatchId());
        }
        ObjectNode result = json.createObjectNode();
        m.forEachResult(result::put);
        if (!result.isEmpty()) {
            data.set("result", result);
        }
        return migrationEvent(type, data, details, m.getMigrationId(), m.getPhoneE164(), now);
    }

    /**
     * A step's report about {@code m} (e.g. {@code waba.migration.templates.migrated}): the migration's fields, with
     * the report's fields under {@code data.report}.
     */
    public OutboxEvent migrationReport(String type, Migration m, ObjectNode report, Instant now) {
        return migrationReport(type, m, m.getStep(), report, now);
    }

    /**
     * As {@link #migrationReport(String, Migration, ObjectNode, Instant)}, naming {@code step} as the report's step: a
     * report that trails a completed migration (ALIBABA_CHATAPP's templates) is about no step of its flow.
     */
    public OutboxEvent migrationReport(String type, Migration m, String step, ObjectNode report, Instant now) {
        ObjectNode data = migrationData(m.getMigrationId(), m.getFlow(), m.getCountryCode(), m.getNationalNumber(),
                m.getPhoneE164(), m.getState().name(), step, m.getAttempt());
        if (m.getBatchId() != null) {
            data.put("batchId", m.getBatchId());
        }
        data.set("report", report);
        return envelope(type, m.getMigrationId(), m.getPhoneE164(), data, now);
    }

    /** An event about a migration known only by these fields (a row that cannot be read as a whole). */
    public OutboxEvent migrationEvent(String type, Snapshot m, Details details, Instant now) {
        ObjectNode data = migrationData(m.migrationId(), m.flow(), m.countryCode(), m.nationalNumber(), m.e164(),
                m.state(), m.step(), m.attempt());
        if (m.batchId() != null) {
            data.put("batchId", m.batchId());
        }
        if (m.result() != null && !m.result().isEmpty()) {
            ObjectNode result = data.putObject("result");
            m.result().forEach(result::put);
        }
        return migrationEvent(type, data, details, m.migrationId(), m.e164(), now);
    }

    private ObjectNode migrationData(String migrationId, String flow, String countryCode, String nationalNumber,
                                     String e164, String state, String step, int attempt) {
        ObjectNode data = json.createObjectNode();
        data.put("migrationId", migrationId);
        data.put("flow", flow);
        ObjectNode phone = data.putObject("phoneNumber");
        phone.put("countryCode", countryCode);
        phone.put("number", nationalNumber);
        phone.put("e164", e164);
        data.put("state", state);
        data.put("step", step);
        data.put("attempt", attempt);
        return data;
    }

    private OutboxEvent migrationEvent(String type, ObjectNode data, Details details, String migrationId, String e164,
                                       Instant now) {
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
        return envelope(type, migrationId, e164, data, now);
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

    /**
     * {@code waba.migration.preflight.checked}: the answer to a {@code CheckMigration}, every check with its result.
     * Key the number's E.164 digits, subject the commandId (no migration exists).
     */
    public OutboxEvent preflightChecked(String commandId, String flow, String countryCode, String number,
                                        List<Preflight.Check> checks, Instant now) {
        ObjectNode data = json.createObjectNode();
        data.put("commandId", commandId);
        data.put("flow", flow);
        ObjectNode phone = data.putObject("phoneNumber");
        phone.put("countryCode", countryCode);
        phone.put("number", number);
        phone.put("e164", countryCode + number);
        data.put("ready", checks.stream().noneMatch(c -> c.status() == Preflight.Status.FAILED));
        ArrayNode list = data.putArray("checks");
        for (Preflight.Check c : checks) {
            ObjectNode check = list.addObject().put("name", c.name()).put("status", c.status().name())
                    .put("detail", cut(c.detail()));
            if (c.action() != null) {
                check.put("action", cut(c.action()));
            }
        }
        return envelope(EventTypes.PREFLIGHT_CHECKED, commandId, countryCode + number, data, now);
    }

    private static String cut(String text) {
        return text.length() <= 500 ? text : text.substring(0, 497) + "...";
    }

    /**
     * {@code waba.migration.operator-action}: an operator issued {@code commandType} over JMX, and what came of it.
     *
     * @param key            the number's E.164 digits (the migration's events' key), or the commandId when unknown
     * @param outcome        APPLIED or REJECTED
     * @param rejectionCode  the rejection's code when REJECTED, else null
     */
    public OutboxEvent operatorAction(String key, String migrationId, String commandId, String commandType,
                                      String user, String via, String reason, String outcome, String rejectionCode,
                                      String rejectionMessage, Instant now) {
        ObjectNode data = json.createObjectNode();
        data.put("migrationId", migrationId);
        ObjectNode operator = data.putObject("operator");
        operator.put("user", user);
        operator.put("via", via);
        data.put("reason", reason);
        ObjectNode command = data.putObject("command");
        command.put("commandId", commandId);
        command.put("type", commandType);
        data.put("outcome", outcome);
        if (rejectionCode != null) {
            ObjectNode rejection = data.putObject("rejection");
            rejection.put("code", rejectionCode);
            rejection.put("message", rejectionMessage);
        }
        return envelope(EventTypes.OPERATOR_ACTION, migrationId, key, data, now);
    }

    /**
     * {@code waba.migration.batch.progress}: where a batch stands. Key and subject are the batch id, so a batch's
     * progress events stay in order on one partition.
     */
    public OutboxEvent batchProgress(BatchProgress progress, Instant now) {
        ObjectNode data = json.createObjectNode();
        data.put("batchId", progress.batchId());
        data.put("total", progress.total());
        ObjectNode states = data.putObject("states");
        progress.states().forEach((state, count) -> states.put(state.name(), count));
        ObjectNode awaiting = data.putObject("awaiting");
        progress.awaiting().forEach((kind, count) -> awaiting.put(kind.name(), count));
        data.put("migrationsPerSecond", progress.migrationsPerSecond());
        if (progress.etaSeconds() == null) {
            data.putNull("etaSeconds");
        } else {
            data.put("etaSeconds", progress.etaSeconds());
        }
        data.put("settled", progress.settled());
        data.put("finished", progress.finished());
        return envelope(EventTypes.BATCH_PROGRESS, progress.batchId(), progress.batchId(), data, now);
    }

    /**
     * {@code waba.migration.provider-notice}: a provider's webhook about a migrated number. Its id is derived from the
     * webhook change and the migration, so the same change never makes two different events.
     *
     * @param key       the number's E.164 digits
     * @param webhookId the change's key (a hash of the webhook entry)
     * @param notice    what the provider said, without secrets
     */
    public OutboxEvent providerNotice(String key, String migrationId, String flow, String eventId, String webhookId,
                                      ObjectNode notice, Instant now) {
        ObjectNode data = json.createObjectNode();
        data.put("migrationId", migrationId);
        data.put("flow", flow);
        data.put("provider", "META");
        data.put("webhookId", webhookId);
        data.set("notice", notice);
        return envelope(eventId, EventTypes.PROVIDER_NOTICE, migrationId, key, data, now);
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
        return envelope(UUID.randomUUID().toString(), type, subject, key, data, now);
    }

    private OutboxEvent envelope(String id, String type, String subject, String key, ObjectNode data, Instant now) {
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
