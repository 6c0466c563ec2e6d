SELECT migration_id, params, next_attempt_at, claimed_until FROM migration
 WHERE awaiting = 'CUSTOMER_ACCEPTANCE' AND state = 'AWAITING_INPUT' AND flow = 'META_MPS'
