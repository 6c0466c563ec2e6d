SELECT migration_id, flow, phone_e164, params, result FROM migration
 WHERE flow IN ('META_MPS', 'META_CLASSIC') AND (result LIKE :pattern OR params LIKE :pattern)
