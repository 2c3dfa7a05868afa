-- +goose Up
-- Calendars that meetingd polls: ICS subscriptions (an https or webcal
-- URL, calendar/subscriptions*.go) and CalDAV collections (calendar/caldav).
ALTER TABLE calendars DROP CONSTRAINT calendars_kind_check;
ALTER TABLE calendars ADD CONSTRAINT calendars_kind_check CHECK (kind IN ('local', 'ics', 'google', 'caldav'));

-- How a polled calendar is doing: failed polls back off the next one, and
-- a calendar failing for a day is reported to the operators once.
CREATE TABLE feed_health (
    calendar_id    BIGINT PRIMARY KEY REFERENCES calendars(id),
    failures       INTEGER NOT NULL DEFAULT 0,   -- failed polls in a row
    failing_since  TIMESTAMPTZ,                  -- the first of them; NULL while it works
    last_error     TEXT NOT NULL DEFAULT '',     -- why the last one failed, with no secret in it
    reported_at    TIMESTAMPTZ,                  -- operators told of this run of failures
    checked_at     TIMESTAMPTZ,                  -- last poll the source answered
    next_poll_at   TIMESTAMPTZ
);

-- The series a polled calendar last described, each by a digest of its
-- events in the window: a poll syncs only the series whose digest changed,
-- and cancels those the calendar no longer has.
CREATE TABLE feed_series (
    calendar_id  BIGINT NOT NULL REFERENCES calendars(id),
    uid          TEXT NOT NULL,
    digest       TEXT NOT NULL,                  -- sha256 of the events, hex
    PRIMARY KEY (calendar_id, uid)
);

-- ICS subscriptions. The URL is a secret (whoever has it reads the
-- calendar): kept as given, shown and logged only redacted.
CREATE TABLE ics_subscriptions (
    calendar_id    BIGINT PRIMARY KEY REFERENCES calendars(id),
    url            TEXT NOT NULL,
    poll_seconds   INTEGER NOT NULL,
    etag           TEXT NOT NULL DEFAULT '',     -- of the last body applied, for If-None-Match
    last_modified  TEXT NOT NULL DEFAULT '',     -- of the last body applied, for If-Modified-Since
    read_at        TIMESTAMPTZ,                  -- last body read whole (recurring series re-expanded)
    created_by     BIGINT REFERENCES people(id),
    created_at     TIMESTAMPTZ NOT NULL
);

-- CalDAV calendars: one collection on a server, read with the user's app
-- password, sealed with AES-GCM under the operator's key. The sync token
-- (RFC 6578) lives in calendars.sync_token.
CREATE TABLE caldav_calendars (
    calendar_id    BIGINT PRIMARY KEY REFERENCES calendars(id),
    server_url     TEXT NOT NULL,
    username       TEXT NOT NULL,
    password       TEXT NOT NULL,                -- base64(nonce || ciphertext)
    collection     TEXT NOT NULL,                -- the calendar collection's URL
    sync_mode      TEXT NOT NULL DEFAULT 'sync-token' CHECK (sync_mode IN ('sync-token', 'ctag')),
    ctag           TEXT NOT NULL DEFAULT '',     -- without sync tokens: the collection's last getctag
    poll_seconds   INTEGER NOT NULL,
    expanded_at    TIMESTAMPTZ,                  -- recurring series last expanded into the horizon
    created_at     TIMESTAMPTZ NOT NULL
);

-- The calendar objects as the server last served them (or as meetingd
-- last wrote them), with their etags: what changed is what has another
-- etag, and a write is conditional on the stored one.
CREATE TABLE caldav_objects (
    calendar_id    BIGINT NOT NULL REFERENCES calendars(id),
    href           TEXT NOT NULL,
    uid            TEXT NOT NULL DEFAULT '',
    etag           TEXT NOT NULL DEFAULT '',
    data           TEXT NOT NULL,
    made_optional  TEXT NOT NULL DEFAULT '',     -- attendees meetingd made optional, one a line
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (calendar_id, href)
);
CREATE INDEX caldav_objects_uid ON caldav_objects (calendar_id, uid);

-- +goose Down
DROP TABLE caldav_objects;
DROP TABLE caldav_calendars;
DROP TABLE ics_subscriptions;
DROP TABLE feed_series;
DROP TABLE feed_health;
ALTER TABLE calendars DROP CONSTRAINT calendars_kind_check;
ALTER TABLE calendars ADD CONSTRAINT calendars_kind_check CHECK (kind IN ('local', 'ics', 'google'));
