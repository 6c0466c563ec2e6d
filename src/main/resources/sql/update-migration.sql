UPDATE migration
   SET state = :state, step = :step, attempt = :attempt, active_phone = :activePhone, secrets = :secrets,
       control = :control, result = :result, awaiting = :awaiting, awaiting_reason = :awaitingReason,
       expires_at = :expiresAt, last_error = :lastError, pending_call = :pendingCall, next_attempt_at = :nextAttemptAt,
       claim_owner = :claimOwner, claim_token = :claimToken,
       -- a worker that keeps its claim keeps the lease end its heartbeat has pushed forward
       claimed_until = CASE WHEN claim_token = :claimToken THEN claimed_until ELSE :claimedUntil END,
       -- indexed, so written only when what batch progress counts changed (V14)
       state_changed_at = CASE WHEN state = CAST(:state AS VARCHAR(20))
                                    AND awaiting IS NOT DISTINCT FROM CAST(:awaiting AS VARCHAR(30))
                               THEN state_changed_at ELSE :now END,
       version = version + 1, updated_at = :now
 WHERE migration_id = :migrationId AND version = :version
