SELECT DISTINCT batch_id FROM migration WHERE state_changed_at > :since AND batch_id IS NOT NULL
