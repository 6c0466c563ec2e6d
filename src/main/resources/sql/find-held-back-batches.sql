SELECT batch_id FROM batch_progress WHERE held_back = TRUE
