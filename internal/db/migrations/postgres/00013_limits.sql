-- +goose Up
-- Rate limits that hold across restarts and replicas: a counter per key
-- (what is limited, and for whom) over a fixed window.
CREATE TABLE rate_limits (
    key           TEXT PRIMARY KEY,
    window_start  TIMESTAMPTZ NOT NULL,
    hits          INTEGER NOT NULL
);

-- People an operator added (or made operators): with --domains set, only
-- they and the organisation's domains are invited or emailed.
ALTER TABLE people ADD COLUMN vouched BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE people DROP COLUMN vouched;
DROP TABLE rate_limits;
