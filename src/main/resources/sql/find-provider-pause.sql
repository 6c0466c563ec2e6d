SELECT provider, code, message, migration_id, paused_at FROM provider_pause WHERE provider = :provider
