-- +goose Up
-- An operator can deactivate a person: they can no longer sign in and are
-- emailed nothing, but what they contributed stays (so no row is deleted).
-- NULL is active, so every existing person stays so.
ALTER TABLE people ADD COLUMN deactivated_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE people DROP COLUMN deactivated_at;
