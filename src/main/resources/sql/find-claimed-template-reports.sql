SELECT migration_id, cust_space_id FROM template_report_due WHERE claim_token = :token ORDER BY due_at
