SELECT counts, settled, finished, published_at, held_back FROM batch_progress WHERE batch_id = :batchId
