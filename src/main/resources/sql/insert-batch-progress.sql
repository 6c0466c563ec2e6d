INSERT INTO batch_progress (batch_id, counts, settled, finished, published_at, held_back)
VALUES (:batchId, :counts, :settled, :finished, :now, FALSE)
