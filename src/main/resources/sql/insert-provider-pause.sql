INSERT INTO provider_pause (provider, code, message, migration_id, paused_at)
VALUES (:provider, :code, :message, :migrationId, :now)
