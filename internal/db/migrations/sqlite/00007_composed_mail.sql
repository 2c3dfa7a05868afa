-- +goose Up
-- An email is composed when it is sent, from what it is about as it is
-- then: the row says what is owed to whom and when; its subject and bodies
-- are filled in as it goes out. One that no longer applies is dropped, with
-- the reason. params holds what cannot be read again at send time.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    subject_key     TEXT NOT NULL,
    recipient_id    INTEGER NOT NULL REFERENCES people(id),
    to_addr         TEXT NOT NULL,
    params          TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    text_body       TEXT NOT NULL DEFAULT '',
    html_body       TEXT NOT NULL DEFAULT '',
    not_before      TIMESTAMP NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'kept', 'failed', 'digested', 'dropped')),
    dropped_reason  TEXT NOT NULL DEFAULT '',
    via_digest      INTEGER NOT NULL DEFAULT 0,
    urgent          INTEGER NOT NULL DEFAULT 0,
    transport       TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (kind, subject_key, recipient_id)
);
INSERT INTO outbox_new (id, kind, subject_key, recipient_id, to_addr, subject, text_body, html_body, not_before,
    state, via_digest, transport, sent_at, last_error, created_at)
SELECT id, kind, subject_key, recipient_id, to_addr, subject, text_body, html_body, not_before,
    state, via_digest, transport, sent_at, last_error, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (recipient_id, state, not_before);
CREATE INDEX outbox_to ON outbox (to_addr, id);
-- Emails queued before this release were rendered then, and their jobs
-- name them one by one ("outbox:<id>"): they go as they are.

-- +goose Down
SELECT 'irreversible: emails are composed when sent';
