SELECT migration_id FROM migration WHERE active_phone = :phoneE164
