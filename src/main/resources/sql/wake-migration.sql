UPDATE migration SET next_attempt_at = :now
 WHERE migration_id = :migrationId AND awaiting = 'CUSTOMER_ACCEPTANCE' AND state = 'AWAITING_INPUT'
   AND next_attempt_at > :now AND (claimed_until IS NULL OR claimed_until < :now)
