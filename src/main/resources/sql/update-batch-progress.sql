UPDATE batch_progress SET counts = :counts, settled = :settled, finished = :finished, published_at = :now,
       held_back = FALSE
 WHERE batch_id = :batchId
