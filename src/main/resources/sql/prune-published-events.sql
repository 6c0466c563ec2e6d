DELETE FROM outbox_event WHERE published_at < :cutoff
