SELECT * FROM step_history WHERE migration_id = :migrationId ORDER BY seq
