package dev.wabamigrator.event;

/** One event waiting in the outbox: its stable id, type, Kafka key and the CloudEvent JSON. */
public record OutboxEvent(String eventId, String type, String key, String payload) {
}
