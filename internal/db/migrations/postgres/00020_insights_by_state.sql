-- +goose Up
-- The operator's /insights reads the decisions that closed in a range in
-- three states. Without statistics (meetingd runs no ANALYZE) SQLite
-- takes the equality on state over the range on closed_at, so it read
-- every accepted, contested or rejected decision ever through
-- decisions_state_closes and never used decisions_closed_insights. With
-- state first and the range next, each state is one index range of the
-- quarter, covering, and already grouped by state; it replaces the index
-- of 00019, which no plan used.
CREATE INDEX decisions_state_closed ON decisions (state, closed_at, opens_at, occurrence_id)
    WHERE closed_at IS NOT NULL;
DROP INDEX decisions_closed_insights;

-- +goose Down
CREATE INDEX decisions_closed_insights ON decisions (closed_at, state, opens_at, occurrence_id)
    WHERE closed_at IS NOT NULL;
DROP INDEX decisions_state_closed;
