-- Fencing for the outbox-publisher lease: a new random token each time the lease changes hands. A publisher renews
-- and marks rows published only while the row still carries its token, so one that lost the lease (a pause, a slow
-- broker) cannot extend it or mark rows that the new holder is sending. Runs unchanged on H2 and PostgreSQL.

ALTER TABLE app_lease ADD COLUMN token VARCHAR(64);
