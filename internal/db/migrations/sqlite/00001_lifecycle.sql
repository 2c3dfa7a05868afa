-- +goose Up
-- Times are stored in UTC. Booleans are integers 0/1.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    time_zone     TEXT NOT NULL DEFAULT 'UTC',
    work_start    INTEGER NOT NULL DEFAULT 540,  -- minutes after local midnight
    work_end      INTEGER NOT NULL DEFAULT 1020,
    work_days     INTEGER NOT NULL DEFAULT 62,   -- bit n set: time.Weekday(n) is a working day
    digest        INTEGER NOT NULL DEFAULT 0,    -- 1: non-urgent mail as one daily digest
    operator      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    hash        TEXT PRIMARY KEY,               -- sha256 of the token, hex
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    label       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE calendars (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('local', 'ics', 'google')),
    name        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',       -- ICS URL or path, Google calendar id
    sync_token  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (kind, name)
);

-- Events of the built-in calendar as created through the API or CLI: the
-- source from which their occurrences are expanded.
CREATE TABLE local_events (
    calendar_id  INTEGER NOT NULL REFERENCES calendars(id),
    uid          TEXT NOT NULL,
    data         TEXT NOT NULL,                -- the event as JSON
    cancelled    INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (calendar_id, uid)
);

CREATE TABLE series (
    id            INTEGER PRIMARY KEY,
    calendar_id   INTEGER NOT NULL REFERENCES calendars(id),
    uid           TEXT NOT NULL,                -- the event's UID, or the master's id
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    organizer_id  INTEGER NOT NULL REFERENCES people(id),
    recurrence    TEXT NOT NULL DEFAULT '',     -- RRULE/RDATE/EXDATE lines, for display and the local calendar
    time_zone     TEXT NOT NULL DEFAULT 'UTC',
    private       INTEGER NOT NULL DEFAULT 0,   -- private or sensitive: refuses a recording
    cancelled     INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (calendar_id, uid)
);

CREATE TABLE notes_docs (
    id           INTEGER PRIMARY KEY,
    series_id    INTEGER NOT NULL UNIQUE REFERENCES series(id),
    kind         TEXT NOT NULL DEFAULT 'local', -- local: served by meetingd; google: a Google Doc
    external_id  TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE occurrences (
    id                INTEGER PRIMARY KEY,
    series_id         INTEGER NOT NULL REFERENCES series(id),
    recurrence_id     TEXT NOT NULL DEFAULT '',  -- original start (UTC, RFC 3339) of a recurring instance; '' for a single event
    title             TEXT NOT NULL,
    starts_at         TIMESTAMP NOT NULL,
    ends_at           TIMESTAMP NOT NULL,
    time_zone         TEXT NOT NULL DEFAULT 'UTC',
    cancelled         INTEGER NOT NULL DEFAULT 0,
    pre_read_state    TEXT NOT NULL DEFAULT 'pending' CHECK (pre_read_state IN ('pending', 'ready', 'late', 'missing')),
    pre_read_due_at   TIMESTAMP NOT NULL,
    pre_read_at       TIMESTAMP,                 -- when it was published
    pre_read_by       INTEGER REFERENCES people(id),
    recording_url     TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    UNIQUE (series_id, recurrence_id)
);
CREATE INDEX occurrences_starts ON occurrences (starts_at);

-- The occurrence's dated section of its series' notes doc.
CREATE TABLE notes_sections (
    occurrence_id  INTEGER PRIMARY KEY REFERENCES occurrences(id),
    pre_read       TEXT NOT NULL,
    agenda         TEXT NOT NULL,
    notes          TEXT NOT NULL,
    decisions      TEXT NOT NULL,
    action_items   TEXT NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE attendees (
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id),
    person_id      INTEGER NOT NULL REFERENCES people(id),
    role           TEXT NOT NULL CHECK (role IN ('organizer', 'speaker', 'required', 'optional')),
    rsvp           TEXT NOT NULL DEFAULT 'needs_action' CHECK (rsvp IN ('needs_action', 'accepted', 'declined', 'tentative')),
    attendance     TEXT NOT NULL DEFAULT '' CHECK (attendance IN ('', 'present', 'absent', 'async')),
    removed        INTEGER NOT NULL DEFAULT 0,  -- dropped from the event; kept for history
    PRIMARY KEY (occurrence_id, person_id)
);
CREATE INDEX attendees_person ON attendees (person_id, occurrence_id);

CREATE TABLE action_items (
    id             INTEGER PRIMARY KEY,
    occurrence_id  INTEGER REFERENCES occurrences(id),
    owner_id       INTEGER NOT NULL REFERENCES people(id),
    text           TEXT NOT NULL,
    due_at         TIMESTAMP NOT NULL,
    done_at        TIMESTAMP,
    created_by     INTEGER REFERENCES people(id),
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX action_items_owner ON action_items (owner_id, due_at);

-- Every timed step is a row. A claimed job's run_at moves to the end of its
-- lease, so a job whose worker died becomes due again by itself.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    due_at      TIMESTAMP NOT NULL,            -- when the step is meant to happen
    run_at      TIMESTAMP NOT NULL,            -- when it may next be claimed (due, lease end, or retry)
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled', 'dead')),
    attempts    INTEGER NOT NULL DEFAULT 0,   -- tries since the step was last (re)scheduled
    lease       INTEGER NOT NULL DEFAULT 0,   -- bumped by every claim and reschedule; fences stale workers
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (kind, subject)
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_subject ON jobs (subject);

-- Every email is a row keyed by (kind, subject, recipient); a job delivers it.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    subject_key   TEXT NOT NULL,
    recipient_id  INTEGER NOT NULL REFERENCES people(id),
    to_addr       TEXT NOT NULL,
    subject       TEXT NOT NULL,
    text_body     TEXT NOT NULL,
    html_body     TEXT NOT NULL,
    not_before    TIMESTAMP NOT NULL,           -- held to the recipient's working hours
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'kept', 'failed', 'digested')),
    via_digest    INTEGER NOT NULL DEFAULT 0,   -- held for the recipient's daily digest
    transport     TEXT NOT NULL DEFAULT '',     -- smtp, or local when no SMTP server is configured
    sent_at       TIMESTAMP,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (kind, subject_key, recipient_id)
);
CREATE INDEX outbox_digest ON outbox (recipient_id, via_digest, state);
CREATE INDEX outbox_to ON outbox (to_addr, id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE jobs;
DROP TABLE action_items;
DROP TABLE attendees;
DROP TABLE notes_sections;
DROP TABLE occurrences;
DROP TABLE notes_docs;
DROP TABLE series;
DROP TABLE local_events;
DROP TABLE calendars;
DROP TABLE api_tokens;
DROP TABLE people;
DROP TABLE settings;
