UPDATE migration SET claim_owner = NULL, claim_token = NULL, claimed_until = NULL
 WHERE migration_id = :migrationId AND claim_token = :token
