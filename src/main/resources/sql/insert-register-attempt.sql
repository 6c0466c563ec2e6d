INSERT INTO register_attempt (attempt_id, phone_e164, migration_id, operation, attempted_at)
VALUES (:attemptId, :phoneE164, :migrationId, :operation, :now)
