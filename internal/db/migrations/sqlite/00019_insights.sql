-- +goose Up
-- /insights counts, and takes the median time to close of, every decision
-- whose window closed in a quarter: an operator's view reads tens of
-- thousands of them. With their state and times in the index it reads
-- no table row; only closed decisions are in it.
CREATE INDEX decisions_closed_insights ON decisions (closed_at, state, opens_at, occurrence_id)
    WHERE closed_at IS NOT NULL;

-- +goose Down
DROP INDEX decisions_closed_insights;
