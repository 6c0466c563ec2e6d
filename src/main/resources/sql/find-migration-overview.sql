SELECT migration_id, flow, phone_e164, batch_id, state, step, attempt, awaiting, awaiting_reason, expires_at, last_error,
       pending_call, next_attempt_at, result, control, created_at, updated_at
  FROM migration
 WHERE migration_id = :migrationId
