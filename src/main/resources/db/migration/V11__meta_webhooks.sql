-- Meta webhooks (waba.webhooks.meta.v1). Each change of a webhook that was applied, by a hash of its entry: Meta
-- delivers a webhook again when it saw no 200, and a record is read again after a crash, and neither may wake a
-- migration or publish a notice twice.
CREATE TABLE meta_webhook_change (
    change_key  VARCHAR(64)  NOT NULL PRIMARY KEY,
    field       VARCHAR(60)  NOT NULL,
    applied_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

-- a PARTNER_ADDED looks for the migrations waiting for the customer's acceptance, a phone_number_name_update for the
-- migrations of its number
CREATE INDEX ix_migration_awaiting ON migration (awaiting);
CREATE INDEX ix_migration_phone ON migration (phone_e164);
