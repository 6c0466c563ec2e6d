-- Claims the oldest due rows nobody holds and returns them as claimed (no index on the claim token, V14).
UPDATE migration
   SET claim_owner = :owner, claim_token = :token, claimed_until = :until, version = version + 1
 WHERE migration_id IN (SELECT migration_id FROM migration
                         WHERE next_attempt_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)
                         ORDER BY next_attempt_at
                         LIMIT :limit
                         FOR UPDATE SKIP LOCKED)
RETURNING *
