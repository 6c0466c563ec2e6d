-- A provider whose credentials or request signer failed (Alibaba SignatureDoesNotMatch, InvalidAccessKeyId.*):
-- every call to it would fail the same way, so all of them are held until a person fixes the cause. One row per
-- provider, in the shared database so that every instance holds its calls. ResumeMigration of the migration that
-- hit the failure, or a restart, deletes the row. Runs unchanged on H2 and PostgreSQL.

CREATE TABLE provider_pause (
    provider      VARCHAR(20)   NOT NULL PRIMARY KEY,
    code          VARCHAR(80)   NOT NULL,
    message       VARCHAR(1000) NOT NULL,
    migration_id  VARCHAR(64)   NOT NULL,
    paused_at     TIMESTAMP WITH TIME ZONE NOT NULL
);
