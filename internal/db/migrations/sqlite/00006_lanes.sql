-- +goose Up
-- Steps whose timing is the product's promise (closes, deadlines, urgent
-- mail) run in their own lane, apart from bulk work (mail batches, digests,
-- calendar sync), each lane claimed by its own runners.
ALTER TABLE jobs ADD COLUMN lane TEXT NOT NULL DEFAULT 'steps';
-- The worker running a claimed job: a heartbeat renews its lease, and a
-- restarted process takes back what its predecessor held.
ALTER TABLE jobs ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
UPDATE jobs SET lane = 'bulk' WHERE kind LIKE 'email.%' OR kind LIKE 'google.%' OR kind LIKE 'calendar.%';
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (lane, state, run_at);

-- +goose Down
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (state, run_at);
ALTER TABLE jobs DROP COLUMN claimed_by;
ALTER TABLE jobs DROP COLUMN lane;
