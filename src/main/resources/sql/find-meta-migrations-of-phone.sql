SELECT migration_id, flow, phone_e164, params, result FROM migration
 WHERE phone_e164 = :phoneE164 AND flow IN ('META_MPS', 'META_CLASSIC')
