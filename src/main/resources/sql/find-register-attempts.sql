SELECT attempted_at, outcome FROM register_attempt WHERE phone_e164 = :phoneE164 AND attempted_at > :since
