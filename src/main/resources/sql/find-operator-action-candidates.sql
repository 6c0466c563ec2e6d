SELECT migration_id
  FROM migration
 WHERE (CAST(:state AS VARCHAR(20)) IS NULL OR state = CAST(:state AS VARCHAR(20)))
   AND (CAST(:awaiting AS VARCHAR(30)) IS NULL OR awaiting = CAST(:awaiting AS VARCHAR(30)))
   AND (CAST(:flow AS VARCHAR(40)) IS NULL OR flow = CAST(:flow AS VARCHAR(40)))
   AND (CAST(:step AS VARCHAR(40)) IS NULL OR step = CAST(:step AS VARCHAR(40)))
   AND ((CAST(:action AS VARCHAR(10)) = 'resume'
         AND (state = 'FAILED' OR (state = 'AWAITING_INPUT' AND awaiting = 'HUMAN_ACTION')))
     OR (CAST(:action AS VARCHAR(10)) = 'cancel' AND state IN ('RUNNING', 'AWAITING_INPUT')))
 ORDER BY updated_at, migration_id
 LIMIT :limit
