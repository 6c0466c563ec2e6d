-- the lower bound keeps H2 from reading every migration not due first (NULLs lead its index; claim-due-migrations.sql)
SELECT COUNT(*) AS migrations, MIN(next_attempt_at) AS oldest FROM migration
 WHERE next_attempt_at >= TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00' AND next_attempt_at <= :now
   AND (claimed_until IS NULL OR claimed_until < :now)
