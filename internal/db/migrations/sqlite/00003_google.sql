-- +goose Up
-- Google Workspace calendars (calendar/google*.go). A Google calendar is a
-- calendars row of kind 'google' whose source is the Google calendar id;
-- its sync token lives in calendars.sync_token.

-- Why a calendar's sync stopped (a revoked or invalid credential), shown to
-- operators; NULL while it runs. Any calendar kind may use it.
ALTER TABLE calendars ADD COLUMN sync_stopped_at TIMESTAMP;
ALTER TABLE calendars ADD COLUMN sync_stopped_reason TEXT NOT NULL DEFAULT '';

-- Per-calendar sync state beyond the sync token.
CREATE TABLE google_calendars (
    calendar_id    INTEGER PRIMARY KEY REFERENCES calendars(id),
    time_zone      TEXT NOT NULL DEFAULT '',    -- the calendar's own zone, for events that name none
    synced_at      TIMESTAMP,                   -- last successful sync
    full_sync_at   TIMESTAMP,                   -- last full sync (first, or after a 410)
    expanded_at    TIMESTAMP                    -- recurring series last expanded into the horizon
);

-- OAuth user tokens, sealed with AES-GCM under the operator's key.
CREATE TABLE google_tokens (
    calendar_id  INTEGER PRIMARY KEY REFERENCES calendars(id),
    sealed       TEXT NOT NULL,                 -- base64(nonce || ciphertext) of the token's JSON
    updated_at   TIMESTAMP NOT NULL
);

-- Consents in flight: the state parameter of the OAuth web flow.
CREATE TABLE google_oauth_states (
    state_hash   TEXT PRIMARY KEY,              -- sha256 of the state, hex
    calendar     TEXT NOT NULL,                 -- the Google calendar id being connected
    expires_at   TIMESTAMP NOT NULL
);

-- The events as Google last described them, so a change to a recurring
-- master can be expanded again with its stored exceptions.
CREATE TABLE google_events (
    calendar_id  INTEGER NOT NULL REFERENCES calendars(id),
    event_id     TEXT NOT NULL,
    series_uid   TEXT NOT NULL,                 -- the master's id for exceptions, the event's own otherwise
    recurring    INTEGER NOT NULL DEFAULT 0,    -- a master with recurrence rules: expanded again as time passes
    status       TEXT NOT NULL DEFAULT '',
    etag         TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL,                 -- the event resource as JSON
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (calendar_id, event_id)
);
CREATE INDEX google_events_series ON google_events (calendar_id, series_uid);

-- Push channels (events.watch). The channel token is a secret: only its hash is kept.
CREATE TABLE google_channels (
    id           TEXT PRIMARY KEY,
    calendar_id  INTEGER NOT NULL REFERENCES calendars(id),
    resource_id  TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    stopped_at   TIMESTAMP
);
CREATE INDEX google_channels_calendar ON google_channels (calendar_id, stopped_at);

-- A series' Google Doc and what has been done to it, so every step runs once.
CREATE TABLE google_docs (
    series_id    INTEGER PRIMARY KEY REFERENCES series(id),
    doc_id       TEXT NOT NULL,
    url          TEXT NOT NULL,
    filled       INTEGER NOT NULL DEFAULT 0,    -- template placeholders replaced
    shared       TEXT NOT NULL DEFAULT '',      -- emails given access, one a line
    made_optional TEXT NOT NULL DEFAULT '',     -- attendees meetingd made optional, one a line
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

-- Occurrences whose dated section is in their series' Google Doc. A row is
-- written before the batchUpdate and confirmed after it, so a crash in
-- between is found (and the doc read) instead of adding the section twice.
CREATE TABLE google_sections (
    occurrence_id  INTEGER PRIMARY KEY REFERENCES occurrences(id),
    doc_id         TEXT NOT NULL,
    confirmed      INTEGER NOT NULL DEFAULT 0,
    inserted_at    TIMESTAMP NOT NULL
);

-- Closed decisions owed to an occurrence's Decisions section.
CREATE TABLE google_decisions (
    id             INTEGER PRIMARY KEY,
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id),
    text_hash      TEXT NOT NULL,               -- sha256 of the text, hex: writing one twice is a no-op
    text           TEXT NOT NULL,
    written_at     TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (occurrence_id, text_hash)
);

-- +goose Down
DROP TABLE google_decisions;
DROP TABLE google_sections;
DROP TABLE google_docs;
DROP TABLE google_channels;
DROP TABLE google_events;
DROP TABLE google_oauth_states;
DROP TABLE google_tokens;
DROP TABLE google_calendars;
ALTER TABLE calendars DROP COLUMN sync_stopped_reason;
ALTER TABLE calendars DROP COLUMN sync_stopped_at;
