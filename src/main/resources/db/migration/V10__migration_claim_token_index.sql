-- The scheduler reads back the rows it just claimed by their claim token (find-claimed-migrations.sql); without an
-- index on it that read scanned every row, finished ones included, on each claim. No query filters on claim_owner
-- alone, so its index goes: the two columns change together, and the writes keep one index to maintain, not two.
-- Runs unchanged on H2 and PostgreSQL.
DROP INDEX ix_migration_claim_owner;

CREATE INDEX ix_migration_claim_token ON migration (claim_token);
