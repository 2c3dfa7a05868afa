package people

import (
	"context"
	"fmt"

	"meetingd/internal/clock"
	"meetingd/internal/db"
	"meetingd/internal/errs"
)

// A person's time zone is their own setting; someone meetingd meets first
// in a calendar, an invitation or a token gets the installation's default
// (--time-zone), not the zone of whatever introduced them, so everyone new
// starts alike and the footer of each email says which zone it uses.

// SetDefaultZone makes tz the zone of people not yet known.
func SetDefaultZone(ctx context.Context, q db.Queryer, tz string) error {
	if _, err := clock.Zone(tz); err != nil {
		return errs.Errorf(errs.Invalid, "time zone %q is not an IANA name such as Europe/Berlin", tz)
	}
	_, err := q.ExecContext(ctx, q.Rebind(`INSERT INTO settings (name, value) VALUES ('time_zone', ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`), tz)
	if err != nil {
		return fmt.Errorf("default time zone: %w", err)
	}
	return nil
}

// DefaultZone is the zone of people not yet known: the operator's setting,
// else UTC.
func DefaultZone(ctx context.Context, q db.Queryer) (string, error) {
	var tz []string
	if err := q.SelectContext(ctx, &tz, `SELECT value FROM settings WHERE name = 'time_zone'`); err != nil {
		return "", fmt.Errorf("default time zone: %w", err)
	}
	if len(tz) == 0 {
		return "UTC", nil
	}
	return tz[0], nil
}

// zoneOr is tz when it names a zone, else the default ("" asks for it).
func zoneOr(ctx context.Context, q db.Queryer, tz string) (string, error) {
	if tz != "" {
		if _, err := clock.Zone(tz); err == nil {
			return tz, nil
		}
	}
	return DefaultZone(ctx, q)
}
