DELETE FROM template_report_due WHERE migration_id = :migrationId AND claim_token = :token
