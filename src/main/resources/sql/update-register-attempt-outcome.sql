UPDATE register_attempt SET outcome = :outcome WHERE attempt_id = :attemptId
