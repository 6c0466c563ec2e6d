-- Claims the oldest due rows nobody holds, up to the limit, and returns them as claimed (FINAL TABLE), so no index on
-- the claim token is needed to read them back (V14).
-- The rows are chosen once: as an UPDATE ... WHERE migration_id IN (that query), H2 ran the query again for every row
-- it updated (a claim of 200 among 20,000 due rows took 120 ms instead of 30).
-- The row is checked again when it is updated, in case it changed since it was chosen.
-- The lower bound on next_attempt_at is for H2: its index keeps NULLs first, and a range with no lower bound starts
-- at them, so every claim read past every migration not due (ended, or waiting for a command): with 20,000 of those a
-- claim took 7.4 ms instead of 0.09 ms, with 100,000 (rows no longer in the cache) 747 ms instead of 0.08 ms.
SELECT * FROM FINAL TABLE (
MERGE INTO migration m
USING (SELECT migration_id FROM migration
        WHERE next_attempt_at >= TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00' AND next_attempt_at <= :now
          AND (claimed_until IS NULL OR claimed_until < :now)
        ORDER BY next_attempt_at
        LIMIT :limit) due
   ON m.migration_id = due.migration_id
 WHEN MATCHED AND m.next_attempt_at <= :now AND (m.claimed_until IS NULL OR m.claimed_until < :now) THEN
      UPDATE SET claim_owner = :owner, claim_token = :token, claimed_until = :until, version = m.version + 1)
