-- What a step remembers across runs that is not a secret: counters and flags such as the wrong verification codes in
-- a row, a code request whose answer was lost, or the step to come back to after a new business token. A plain JSON
-- object that operators can read; only real secrets (PIN, code, business token) stay sealed in `secrets`. NULL in
-- rows written before this column: those rows still carry such values in `secrets`, and the store moves them here
-- on the row's next write. Runs unchanged on H2 and PostgreSQL.

ALTER TABLE migration ADD COLUMN control VARCHAR(4000);
