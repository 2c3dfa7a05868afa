-- +goose Up
-- Named locks that hold across replicas: work on one Google calendar or
-- one series' doc runs in one place at a time. A holder renews its lock
-- while it works; a crashed holder's lock lapses at held_until.
CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    held_until  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE locks;
