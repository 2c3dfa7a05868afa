-- +goose Up
-- A person holds one position on a decision, support or objection, and
-- changes it in place (the audit trail keeps the history); comments stay
-- separate and any number. Earlier, each support was a new row: keep one
-- per person, their open objection if they have one (an objection is never
-- dropped silently), else their latest position.
DELETE FROM contributions WHERE kind IN ('support', 'object') AND id NOT IN (
    SELECT COALESCE(
        (SELECT MAX(o.id) FROM contributions o WHERE o.decision_id = c.decision_id
            AND o.author_id = c.author_id AND o.kind = 'object' AND o.objection_state = 'open'),
        MAX(c.id))
    FROM contributions c WHERE c.kind IN ('support', 'object')
    GROUP BY c.decision_id, c.author_id);
CREATE UNIQUE INDEX contributions_position ON contributions (decision_id, author_id)
    WHERE kind IN ('support', 'object');

-- Comments are read a page at a time, in order.
CREATE INDEX contributions_comments ON contributions (decision_id, id) WHERE kind = 'comment';

-- +goose Down
DROP INDEX contributions_comments;
DROP INDEX contributions_position;
