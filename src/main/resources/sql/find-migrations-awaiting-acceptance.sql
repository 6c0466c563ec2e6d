SELECT migration_id, params FROM migration
 WHERE awaiting = 'CUSTOMER_ACCEPTANCE' AND state = 'AWAITING_INPUT' AND flow = 'META_MPS'
