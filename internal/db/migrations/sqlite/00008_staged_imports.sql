-- +goose Up
-- An import writes in short transactions, so that other writers never
-- wait long; the meetings it creates stay out of sight (stage = the
-- import's id) until it is complete, so nobody sees half an import.
ALTER TABLE occurrences ADD COLUMN stage INTEGER NOT NULL DEFAULT 0;
CREATE INDEX occurrences_stage ON occurrences (stage) WHERE stage <> 0;

-- Imports of ICS files, run in the background and reported as they go.
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    calendar     TEXT NOT NULL,                 -- the imported calendar's name
    data         BLOB NOT NULL,                 -- the file, until the import is done
    state        TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    total        INTEGER NOT NULL DEFAULT 0,    -- events in the file
    done         INTEGER NOT NULL DEFAULT 0,    -- events stored so far
    created      INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    cancelled    INTEGER NOT NULL DEFAULT 0,
    skipped      INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES people(id),
    created_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);

-- +goose Down
DROP TABLE imports;
DROP INDEX occurrences_stage;
ALTER TABLE occurrences DROP COLUMN stage;
