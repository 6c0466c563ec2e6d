UPDATE template_report_due
   SET claim_owner = :owner, claim_token = :token, claimed_until = :until
 WHERE migration_id IN (SELECT migration_id FROM template_report_due
                         WHERE due_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)
                         ORDER BY due_at
                         LIMIT :limit
                         FOR UPDATE SKIP LOCKED)
