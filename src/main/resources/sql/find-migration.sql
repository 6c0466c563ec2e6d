SELECT * FROM migration WHERE migration_id = :migrationId
