-- +goose Up
-- A person's decision lists (open by close time, needs my input, recently
-- closed) read one index each, whatever share of all decisions they are
-- invited to: the decision's state and times are copied onto its invitees
-- and kept in step by the decisions package.
ALTER TABLE decision_invitees ADD COLUMN state TEXT NOT NULL DEFAULT 'open';
ALTER TABLE decision_invitees ADD COLUMN closes_at TIMESTAMP;
ALTER TABLE decision_invitees ADD COLUMN closed_at TIMESTAMP;
UPDATE decision_invitees SET
    state = (SELECT state FROM decisions d WHERE d.id = decision_invitees.decision_id),
    closes_at = (SELECT closes_at FROM decisions d WHERE d.id = decision_invitees.decision_id),
    closed_at = (SELECT closed_at FROM decisions d WHERE d.id = decision_invitees.decision_id);
CREATE INDEX decision_invitees_open ON decision_invitees (person_id, state, closes_at, decision_id);
CREATE INDEX decision_invitees_closed ON decision_invitees (person_id, closed_at, decision_id);

-- +goose Down
DROP INDEX decision_invitees_closed;
DROP INDEX decision_invitees_open;
ALTER TABLE decision_invitees DROP COLUMN closed_at;
ALTER TABLE decision_invitees DROP COLUMN closes_at;
ALTER TABLE decision_invitees DROP COLUMN state;
