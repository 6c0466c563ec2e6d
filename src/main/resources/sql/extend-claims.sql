UPDATE migration SET claimed_until = :until WHERE claim_owner = :owner AND claim_token IS NOT NULL
