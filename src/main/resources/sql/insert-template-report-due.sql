INSERT INTO template_report_due (migration_id, cust_space_id, due_at) VALUES (:migrationId, :custSpaceId, :dueAt)
