package dev.wabamigrator.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.store.Outbox;
import dev.wabamigrator.store.Sql;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on verified Meta webhooks read from {@code waba.webhooks.meta.v1} (routes/meta-webhook-apply.camel.yaml):
 * <ul>
 * <li>{@code account_update} {@code PARTNER_ADDED} / {@code PARTNER_APP_INSTALLED} makes the META_MPS migrations that
 * wait for that customer's acceptance due now. The webhook decides nothing: the intent poll that then runs does.</li>
 * <li>{@code account_update} about the destination WABA of a migrated number, and {@code phone_number_name_update}
 * about a migrated number, become {@code waba.migration.provider-notice} events.</li>
 * </ul>
 * Each change is applied once: its key (a hash of the entry's id and time and the change) is recorded in the same
 * transaction as what it did, so a delivery Meta repeats, or a record read again, changes nothing.
 */
public final class MetaWebhooks {
    private static final Logger LOG = LoggerFactory.getLogger(MetaWebhooks.class);
    /** Events that say a customer shared a WABA with our app (provider-apis.md §2.12: Meta sends either). */
    static final Set<String> PARTNER_JOINED = Set.of("PARTNER_ADDED", "PARTNER_APP_INSTALLED");
    static final String ACCOUNT_UPDATE = "account_update";
    static final String NAME_UPDATE = "phone_number_name_update";

    private final Sql sql;
    private final Outbox outbox;
    private final MigrationEvents events;
    private final ObjectMapper json;
    private final Clock clock;

    public MetaWebhooks(Sql sql, Outbox outbox, MigrationEvents events, ObjectMapper json, Clock clock) {
        this.sql = sql;
        this.outbox = outbox;
        this.events = events;
        this.json = json;
        this.clock = clock;
    }

    /** What one record changed, for the log and the tests. */
    public record Applied(int changes, int repeated, List<String> woken, int notices) {
    }

    /** Applies every change of one webhook body; a body that is not Meta's JSON changes nothing. */
    public Applied apply(byte[] body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (IOException notJson) {
            LOG.warn("Meta webhook of {} bytes is not JSON; nothing to apply", body.length);
            return new Applied(0, 0, List.of(), 0);
        }
        int changes = 0;
        int repeated = 0;
        int notices = 0;
        List<String> woken = new ArrayList<>();
        for (JsonNode entry : root.path("entry")) {
            for (JsonNode change : entry.path("changes")) {
                changes++;
                Applied one = sql.inTransaction(connection -> applyChange(connection, entry, change));
                repeated += one.repeated();
                woken.addAll(one.woken());
                notices += one.notices();
            }
        }
        if (changes > 0) {
            LOG.info("Meta webhook: {} change(s), {} seen before, woke {}, {} notice(s)", changes, repeated, woken,
                    notices);
        }
        return new Applied(changes, repeated, woken, notices);
    }

    private Applied applyChange(Connection connection, JsonNode entry, JsonNode change) throws SQLException {
        String field = change.path("field").asText("");
        String key = changeKey(entry, change);
        if (!sql.query(connection, "find-meta-webhook-change", Map.of("changeKey", key), row -> row.getString(1))
                .isEmpty()) {
            return new Applied(1, 1, List.of(), 0);
        }
        Instant now = clock.instant();
        sql.update(connection, "insert-meta-webhook-change", Map.of("changeKey", key,
                "field", field.length() > 60 ? field.substring(0, 60) : field, "now", now));
        JsonNode value = change.path("value");
        String entryId = entry.path("id").asText("");
        List<String> woken = new ArrayList<>();
        List<OutboxEvent> notices = new ArrayList<>();
        if (ACCOUNT_UPDATE.equals(field)) {
            String event = value.path("event").asText("");
            JsonNode wabaInfo = value.path("waba_info");
            String wabaId = wabaInfo.path("waba_id").asText(entryId);
            if (PARTNER_JOINED.contains(event)) {
                woken.addAll(wake(connection, wabaId, entryId, wabaInfo.path("owner_business_id").asText(""), now));
            }
            for (Candidate m : migratedInWaba(connection, new java.util.LinkedHashSet<>(List.of(wabaId, entryId)))) {
                notices.add(notice(m, key, field, entryId, entry, value, now));
            }
        } else if (NAME_UPDATE.equals(field)) {
            String digits = value.path("display_phone_number").asText("").replaceAll("\\D", "");
            for (Candidate m : migratedNumber(connection, digits, entryId)) {
                notices.add(notice(m, key, field, entryId, entry, value, now));
            }
        }
        outbox.add(connection, notices, now);
        return new Applied(1, 0, woken, notices.size());
    }

    /**
     * The META_MPS migrations waiting for this customer's acceptance, made due now. Matched on the source WABA or
     * the business portfolio: Meta does not say which WABA a PARTNER_ADDED names after a move through Meta Business
     * Suite, and a wrong match costs one extra poll, never a wrong step.
     */
    private List<String> wake(Connection connection, String wabaId, String entryId, String businessId, Instant now)
            throws SQLException {
        List<String> woken = new ArrayList<>();
        List<Waiting> waiting = sql.query(connection, "find-migrations-awaiting-acceptance", Map.of(),
                row -> new Waiting(row.getString("migration_id"), read(row.getString("params")),
                        Sql.instant(row, "next_attempt_at"), Sql.instant(row, "claimed_until")));
        for (Waiting m : waiting) {
            String source = m.params().path("meta").path("sourceWabaId").asText("");
            String business = m.params().path("meta").path("businessPortfolioId").asText("");
            boolean same = (!source.isEmpty() && (source.equals(wabaId) || source.equals(entryId)))
                    || (!business.isEmpty() && business.equals(businessId));
            if (!same || m.nextAttemptAt() == null || !m.nextAttemptAt().isAfter(now)) {
                continue; // not this customer's, or already due
            }
            if (m.claimedUntil() != null && m.claimedUntil().isAfter(now)) {
                throw new WakeDeferred(m.migrationId());
            }
            if (sql.update(connection, "wake-migration", Map.of("migrationId", m.migrationId(), "now", now)) == 1) {
                woken.add(m.migrationId());
            }
        }
        return woken;
    }

    /** Migrations whose number was moved (a phone number id is recorded) into one of these WABAs. */
    private List<Candidate> migratedInWaba(Connection connection, Set<String> wabaIds) throws SQLException {
        List<Candidate> found = new ArrayList<>();
        for (String wabaId : wabaIds) {
            if (!wabaId.matches("[0-9]{1,30}")) {
                continue; // Meta's ids are digits; anything else cannot name one of our WABAs
            }
            for (Candidate m : sql.query(connection, "find-meta-migrations-of-waba", Map.of("pattern", "%" + wabaId + "%"),
                    MetaWebhooks.this::candidate)) {
                if (wabaId.equals(m.destinationWabaId()) && m.migrated() && found.stream()
                        .noneMatch(f -> f.migrationId().equals(m.migrationId()))) {
                    found.add(m);
                }
            }
        }
        return found;
    }

    /** Migrations that moved this number into the webhook's WABA. */
    private List<Candidate> migratedNumber(Connection connection, String digits, String wabaId) throws SQLException {
        if (digits.isEmpty()) {
            return List.of();
        }
        return sql.query(connection, "find-meta-migrations-of-phone", Map.of("phoneE164", digits), this::candidate)
                .stream().filter(m -> m.migrated() && wabaId.equals(m.destinationWabaId())).toList();
    }

    private OutboxEvent notice(Candidate m, String key, String field, String entryId, JsonNode entry, JsonNode value,
                               Instant now) {
        ObjectNode notice = json.createObjectNode();
        notice.put("field", field);
        notice.put("wabaId", entryId);
        if (entry.path("time").canConvertToLong()) {
            notice.put("time", Instant.ofEpochSecond(entry.path("time").asLong()).toString());
        }
        copyText(value, "event", notice, "event");
        copyText(value, "display_phone_number", notice, "displayPhoneNumber");
        copyText(value, "decision", notice, "decision");
        copyText(value, "requested_verified_name", notice, "requestedVerifiedName");
        copyText(value, "rejection_reason", notice, "rejectionReason");
        return events.providerNotice(m.phoneE164(), m.migrationId(), m.flow(), java.util.UUID.nameUUIDFromBytes(
                (key + "|" + m.migrationId()).getBytes(StandardCharsets.UTF_8)).toString(),
                key, notice, now);
    }

    private static void copyText(JsonNode from, String name, ObjectNode to, String as) {
        JsonNode v = from.path(name);
        if (v.isValueNode() && !v.isNull() && !v.asText().isBlank()) {
            String text = v.asText();
            to.put(as, text.length() > 200 ? text.substring(0, 200) : text);
        }
    }

    private Candidate candidate(java.sql.ResultSet row) throws SQLException {
        return new Candidate(row.getString("migration_id"), row.getString("flow"), row.getString("phone_e164"),
                read(row.getString("params")), read(row.getString("result")));
    }

    private JsonNode read(String text) {
        try {
            return text == null ? json.createObjectNode() : json.readTree(text);
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }

    /** sha256 of the entry's id and time and the change as parsed: the same delivery gives the same key. */
    static String changeKey(JsonNode entry, JsonNode change) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            String text = entry.path("id").asText("") + "|" + entry.path("time").asText("") + "|" + change;
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Waiting(String migrationId, JsonNode params, Instant nextAttemptAt, Instant claimedUntil) {
    }

    private record Candidate(String migrationId, String flow, String phoneE164, JsonNode params, JsonNode result) {
        /** META_MPS: the accepted intent's destination; META_CLASSIC: the command's. */
        String destinationWabaId() {
            String fromIntent = result == null ? "" : result.path("destinationWabaId").asText("");
            return fromIntent.isEmpty() ? params.path("meta").path("destinationWabaId").asText("") : fromIntent;
        }

        boolean migrated() {
            return result != null && !result.path("phoneNumberId").asText("").isEmpty();
        }
    }
}
