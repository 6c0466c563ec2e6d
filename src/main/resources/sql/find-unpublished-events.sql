SELECT seq, event_id, kafka_key, payload FROM outbox_event WHERE published_at IS NULL ORDER BY seq LIMIT :limit
