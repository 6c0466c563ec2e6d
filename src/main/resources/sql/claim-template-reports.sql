-- As claim-due-migrations: the due reports are chosen once, not again for every row updated.
MERGE INTO template_report_due r
USING (SELECT migration_id FROM template_report_due
        WHERE due_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)
        ORDER BY due_at
        LIMIT :limit) due
   ON r.migration_id = due.migration_id
 WHEN MATCHED AND r.due_at <= :now AND (r.claimed_until IS NULL OR r.claimed_until < :now) THEN
      UPDATE SET claim_owner = :owner, claim_token = :token, claimed_until = :until
