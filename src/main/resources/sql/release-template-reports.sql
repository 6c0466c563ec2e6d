UPDATE template_report_due SET claim_owner = NULL, claim_token = NULL, claimed_until = NULL WHERE claim_token = :token
