-- ALIBABA_CHATAPP: a templates report owed for a completed migration, written in the transaction that records the
-- completion and deleted in the transaction that adds the report to the outbox. The listing (ListChatappTemplate,
-- 5 calls per second) runs after the migration, never on its path; a claim with a lease lets several instances
-- share the records, and a dead instance's claims run out.
CREATE TABLE template_report_due (
    migration_id   VARCHAR(64)  NOT NULL PRIMARY KEY,
    cust_space_id  VARCHAR(100) NOT NULL,
    due_at         TIMESTAMP WITH TIME ZONE NOT NULL,
    claim_owner    VARCHAR(64),
    claim_token    VARCHAR(64),
    claimed_until  TIMESTAMP WITH TIME ZONE
);

CREATE INDEX ix_template_report_due_at ON template_report_due (due_at);
CREATE INDEX ix_template_report_claim_token ON template_report_due (claim_token);
