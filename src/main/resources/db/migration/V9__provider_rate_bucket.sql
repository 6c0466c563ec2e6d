-- Rate buckets shared by every instance that calls a provider with the same account (one row per AccessKey and
-- operation). The state is bucket4j's serialized bucket, read and written under SELECT ... FOR UPDATE by the
-- bucket4j-postgresql proxy manager, so instances on one PostgreSQL never exceed the provider's limit together.
-- Used on PostgreSQL only: on H2 (one instance) the buckets stay in memory. Runs unchanged on H2 and PostgreSQL.

CREATE TABLE provider_rate_bucket (
    id     VARCHAR(200) NOT NULL PRIMARY KEY,
    state  BYTEA
);
