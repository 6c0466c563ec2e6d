SELECT DISTINCT batch_id FROM migration WHERE updated_at > :since AND batch_id IS NOT NULL
