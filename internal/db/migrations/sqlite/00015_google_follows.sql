-- +goose Up
-- Issue 13: the notes doc and meetingd follow each other, per-attendee
-- sharing, Drive changes, and Google Meet (calendar/google).

-- What meetingd and the doc last agreed an occurrence's section holds (JSON:
-- heading, attendees line, each heading's text), so an edit on either side
-- is told from the other's; and the dated heading's id, which links to it.
ALTER TABLE google_sections ADD COLUMN mirrored TEXT NOT NULL DEFAULT '';
ALTER TABLE google_sections ADD COLUMN heading_id TEXT NOT NULL DEFAULT '';

-- The doc's title as last set (it follows the event's), and its edits at
-- Google: noticed (changes_seen) and read back (changes_read).
ALTER TABLE google_docs ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE google_docs ADD COLUMN changes_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE google_docs ADD COLUMN changes_read INTEGER NOT NULL DEFAULT 0;

-- Where the calendar owner's Drive changes are read from next.
ALTER TABLE google_calendars ADD COLUMN drive_page_token TEXT NOT NULL DEFAULT '';

-- What a push channel watches: a calendar's events, or its owner's Drive changes.
ALTER TABLE google_channels ADD COLUMN resource TEXT NOT NULL DEFAULT 'events' CHECK (resource IN ('events', 'drive'));

-- Attendees a series' doc could not be shared with: each is tried again on
-- its own, and the organizer is told when one keeps failing.
CREATE TABLE google_share_failures (
    series_id    INTEGER NOT NULL REFERENCES series(id),
    email        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    retry_at     TIMESTAMP NOT NULL,
    reported_at  TIMESTAMP,                    -- the organizer was told; no more tries
    PRIMARY KEY (series_id, email)
);

-- Google account ids ("users/<id>" in Meet) by address.
CREATE TABLE google_accounts (
    account_id  TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- An occurrence's Google Meet conference, once read: recordings kept from
-- its notes (a 1:1, a private meeting), one a line, for the organizer's email.
CREATE TABLE google_meet (
    occurrence_id  INTEGER PRIMARY KEY REFERENCES occurrences(id),
    read_at        TIMESTAMP NOT NULL,
    withheld       TEXT NOT NULL DEFAULT ''
);

-- meetings: minutes an attendee spent in the conference, when known.
ALTER TABLE attendees ADD COLUMN minutes_joined INTEGER;
-- meetings: a link straight to the occurrence's section of an external doc.
ALTER TABLE notes_sections ADD COLUMN section_url TEXT NOT NULL DEFAULT '';
-- meetings: the notes email waits until then for the conference's recordings.
ALTER TABLE occurrences ADD COLUMN notes_held_until TIMESTAMP;
-- meetings: recordings and transcripts of an occurrence.
CREATE TABLE recordings (
    occurrence_id  INTEGER NOT NULL REFERENCES occurrences(id),
    url            TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('recording', 'transcript')),
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (occurrence_id, url)
);

-- +goose Down
DROP TABLE recordings;
ALTER TABLE occurrences DROP COLUMN notes_held_until;
ALTER TABLE notes_sections DROP COLUMN section_url;
ALTER TABLE attendees DROP COLUMN minutes_joined;
DROP TABLE google_meet;
DROP TABLE google_accounts;
DROP TABLE google_share_failures;
ALTER TABLE google_channels DROP COLUMN resource;
ALTER TABLE google_calendars DROP COLUMN drive_page_token;
ALTER TABLE google_docs DROP COLUMN changes_read;
ALTER TABLE google_docs DROP COLUMN changes_seen;
ALTER TABLE google_docs DROP COLUMN title;
ALTER TABLE google_sections DROP COLUMN heading_id;
ALTER TABLE google_sections DROP COLUMN mirrored;
