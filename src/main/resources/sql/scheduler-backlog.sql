SELECT COUNT(*) AS migrations, MIN(next_attempt_at) AS oldest FROM migration
 WHERE next_attempt_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)
