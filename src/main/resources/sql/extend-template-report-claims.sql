UPDATE template_report_due SET claimed_until = :until WHERE claim_token = :token
