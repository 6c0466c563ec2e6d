INSERT INTO step_history (migration_id, kind, step, attempt, outcome, state, error_category, error_code, error_message,
                          request_id, command_id, command_type, actor, reason, started_at, ended_at)
VALUES (:migrationId, :kind, :step, :attempt, :outcome, :state, :errorCategory, :errorCode, :errorMessage,
        :requestId, :commandId, :commandType, :actor, :reason, :startedAt, :endedAt)
