-- The batch a migration was started in (StartMigration's optional batchId): every event of the migration carries
-- it, and operators list a batch's migrations by it, often with their state. NULL for migrations started without
-- one and for rows written before this column. Runs unchanged on H2 and PostgreSQL.

ALTER TABLE migration ADD COLUMN batch_id VARCHAR(64);

CREATE INDEX ix_migration_batch_state ON migration (batch_id, state);
