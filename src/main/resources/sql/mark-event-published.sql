UPDATE outbox_event SET published_at = :now WHERE seq = :seq
