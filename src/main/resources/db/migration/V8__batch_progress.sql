-- Batch progress (waba.migration.batch.progress). The publisher finds the batches that changed from the migration
-- rows' update time, so steps write nothing more than before: the index lets it read only the rows changed since
-- its last look. What it last published per batch, and how far it has looked, live here, so that another instance
-- (or this one after a restart) goes on where it stopped and a batch's last "finished" publication is never lost.
-- Runs unchanged on H2 and PostgreSQL.

CREATE INDEX ix_migration_updated_at ON migration (updated_at);

CREATE TABLE batch_progress (
    batch_id      VARCHAR(64)   NOT NULL PRIMARY KEY,
    -- the counts of the last publication (total, by state, by awaiting kind), as the event's JSON carries them
    counts        VARCHAR(1000) NOT NULL,
    settled       BOOLEAN       NOT NULL,
    finished      BOOLEAN       NOT NULL,
    published_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    -- the counts changed after the last publication, which the minimum interval held back: publish when it is over
    held_back     BOOLEAN       NOT NULL
);

-- How far the publisher has read migration changes: one row. NULL before the first look (then it reads them all).
CREATE TABLE batch_progress_scan (
    name          VARCHAR(40)   NOT NULL PRIMARY KEY,
    scanned_until TIMESTAMP WITH TIME ZONE
);

INSERT INTO batch_progress_scan (name, scanned_until) VALUES ('migration-updates', NULL);

-- exactly one instance at a time publishes batch progress
INSERT INTO app_lease (name, owner, held_until) VALUES ('batch-progress', NULL, NULL);
