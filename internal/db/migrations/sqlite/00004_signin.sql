-- +goose Up

-- A sign-in link sent by email: single use, expiring.
CREATE TABLE signin_links (
    id          TEXT PRIMARY KEY,      -- random; the signed link names it
    person_id   INTEGER NOT NULL REFERENCES people(id),
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    hash        TEXT PRIMARY KEY,      -- sha256 of the cookie value
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,         -- the token every form of this session carries
    expires_at  TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX sessions_person ON sessions (person_id);

-- The secret in a person's calendar feed URL.
ALTER TABLE people ADD COLUMN feed_token TEXT;
CREATE UNIQUE INDEX people_feed_token ON people (feed_token);

-- +goose Down
DROP INDEX people_feed_token;
ALTER TABLE people DROP COLUMN feed_token;
DROP TABLE sessions;
DROP TABLE signin_links;
