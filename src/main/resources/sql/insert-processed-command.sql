INSERT INTO processed_command (command_id, command_type, migration_id, outcome, processed_at)
VALUES (:commandId, :commandType, :migrationId, :outcome, :now)
