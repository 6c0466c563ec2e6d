UPDATE migration
   SET state = 'AWAITING_INPUT', awaiting = 'HUMAN_ACTION', awaiting_reason = :awaitingReason, expires_at = NULL,
       last_error = :lastError, next_attempt_at = NULL, claim_owner = NULL, claim_token = NULL, claimed_until = NULL,
       version = version + 1, updated_at = :now, state_changed_at = :now
 WHERE migration_id = :migrationId AND version = :version
