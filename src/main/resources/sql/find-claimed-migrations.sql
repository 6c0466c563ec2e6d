SELECT * FROM migration WHERE claim_token = :token
