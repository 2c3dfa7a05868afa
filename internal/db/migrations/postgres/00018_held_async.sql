-- +goose Up
-- An occurrence its organizer chose to hold asynchronously instead of
-- meeting: attendees read the pre-read and contribute in the notes doc and
-- to its decisions.
ALTER TABLE occurrences ADD COLUMN held_async BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE occurrences DROP COLUMN held_async;
