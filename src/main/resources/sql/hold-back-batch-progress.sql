UPDATE batch_progress SET held_back = :heldBack WHERE batch_id = :batchId AND held_back <> :heldBack
