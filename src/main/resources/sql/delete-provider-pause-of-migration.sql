DELETE FROM provider_pause WHERE migration_id = :migrationId
