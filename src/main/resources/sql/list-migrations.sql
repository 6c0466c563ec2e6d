SELECT migration_id, flow, phone_e164, batch_id, state, step, attempt, awaiting, awaiting_reason, last_error, updated_at
  FROM migration
 WHERE (CAST(:state AS VARCHAR(20)) IS NULL OR state = CAST(:state AS VARCHAR(20)))
   AND (CAST(:awaiting AS VARCHAR(30)) IS NULL OR awaiting = CAST(:awaiting AS VARCHAR(30)))
   AND (CAST(:flow AS VARCHAR(40)) IS NULL OR flow = CAST(:flow AS VARCHAR(40)))
   AND (CAST(:step AS VARCHAR(40)) IS NULL OR step = CAST(:step AS VARCHAR(40)))
   AND (CAST(:phone AS VARCHAR(20)) IS NULL OR phone_e164 = CAST(:phone AS VARCHAR(20)))
   AND (CAST(:batch AS VARCHAR(64)) IS NULL OR batch_id = CAST(:batch AS VARCHAR(64)))
 ORDER BY updated_at DESC, migration_id
 LIMIT :limit
