-- +goose Up

-- A decision stays open for contributions until closes_at, then closes:
-- accepted with no open objection, contested otherwise until its owner
-- records the outcome.
CREATE TABLE decisions (
    id             INTEGER PRIMARY KEY,
    owner_id       INTEGER NOT NULL REFERENCES people(id),
    occurrence_id  INTEGER REFERENCES occurrences(id),
    title          TEXT NOT NULL,
    proposal       TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'open'
                   CHECK (state IN ('open', 'contested', 'accepted', 'rejected', 'deferred', 'withdrawn')),
    opens_at       TIMESTAMP NOT NULL,
    closes_at      TIMESTAMP NOT NULL,
    extensions     INTEGER NOT NULL DEFAULT 0,
    closed_at      TIMESTAMP,                -- when the window closed (or the owner withdrew)
    decided_at     TIMESTAMP,                -- when the outcome was final
    rationale      TEXT NOT NULL DEFAULT '', -- the owner's, for a contested outcome or a withdrawal
    source_key     TEXT UNIQUE,              -- a decision proposed in a notes doc: occurrence and line
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX decisions_state_closes ON decisions (state, closes_at, id);
CREATE INDEX decisions_closed ON decisions (closed_at, id);
CREATE INDEX decisions_occurrence ON decisions (occurrence_id);
CREATE INDEX decisions_owner ON decisions (owner_id, closes_at);

CREATE TABLE decision_invitees (
    decision_id  INTEGER NOT NULL REFERENCES decisions(id),
    person_id    INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (decision_id, person_id)
);
CREATE INDEX decision_invitees_person ON decision_invitees (person_id, decision_id);

CREATE TABLE contributions (
    id               INTEGER PRIMARY KEY,
    decision_id      INTEGER NOT NULL REFERENCES decisions(id),
    author_id        INTEGER NOT NULL REFERENCES people(id),
    kind             TEXT NOT NULL CHECK (kind IN ('support', 'object', 'comment')),
    text             TEXT NOT NULL,
    objection_state  TEXT NOT NULL DEFAULT '' CHECK (objection_state IN ('', 'open', 'withdrawn', 'resolved')),
    reply            TEXT NOT NULL DEFAULT '', -- the owner's, when resolving an objection
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX contributions_decision ON contributions (decision_id, author_id);

-- Every change to a decision before it closes, and its closing.
CREATE TABLE decision_audit (
    id           INTEGER PRIMARY KEY,
    decision_id  INTEGER NOT NULL REFERENCES decisions(id),
    actor_id     INTEGER REFERENCES people(id),
    action       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    at           TIMESTAMP NOT NULL
);
CREATE INDEX decision_audit_decision ON decision_audit (decision_id, id);

CREATE INDEX action_items_occurrence ON action_items (occurrence_id);
-- An action item written in a notes doc: occurrence and line, so sharing
-- the notes twice creates it once.
ALTER TABLE action_items ADD COLUMN source_key TEXT;
CREATE UNIQUE INDEX action_items_source ON action_items (source_key);

-- +goose Down
DROP INDEX action_items_source;
ALTER TABLE action_items DROP COLUMN source_key;
DROP INDEX action_items_occurrence;
DROP TABLE decision_audit;
DROP TABLE contributions;
DROP TABLE decision_invitees;
DROP TABLE decisions;
