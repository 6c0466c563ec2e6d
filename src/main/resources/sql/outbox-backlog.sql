SELECT COUNT(*) AS events, MIN(created_at) AS oldest FROM outbox_event WHERE published_at IS NULL
