-- Every Graph register/deregister call made for a number, recorded before the call is sent: Meta allows 10 per
-- number per 72 h moving window (then 133016 and a 72 h lock), so the budget must outlive restarts and migrations.
-- Runs unchanged on H2 and PostgreSQL.

CREATE TABLE register_attempt (
    attempt_id    VARCHAR(64)  NOT NULL PRIMARY KEY,
    phone_e164    VARCHAR(20)  NOT NULL,
    migration_id  VARCHAR(64)  NOT NULL,
    -- register or deregister: both count in the same budget
    operation     VARCHAR(20)  NOT NULL,
    attempted_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    -- OK, a Graph code such as 133005 or 133016, or NULL while the answer is outstanding (or was lost)
    outcome       VARCHAR(40)
);

CREATE INDEX ix_register_attempt_phone ON register_attempt (phone_e164, attempted_at);
