UPDATE migration SET claimed_until = :until
 WHERE migration_id = :migrationId AND claim_owner = :owner AND claim_token IS NOT NULL
