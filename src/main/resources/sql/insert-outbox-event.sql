INSERT INTO outbox_event (event_id, event_type, kafka_key, payload, created_at)
VALUES (:eventId, :eventType, :kafkaKey, :payload, :now)
