package mail

import "time"

// NextWorkingTime is the first instant at or after now inside r's working
// hours, in r's zone. A person with no working days gets now.
func NextWorkingTime(r Recipient, now time.Time) time.Time {
	if r.WorkDays&0x7f == 0 || r.WorkEnd <= r.WorkStart {
		return now
	}
	loc := r.Location()
	local := now.In(loc)
	for i := 0; i < 8; i++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+i, 0, 0, 0, 0, loc)
		if r.WorkDays&(1<<uint(day.Weekday())) == 0 {
			continue
		}
		start := atMinute(day, r.WorkStart)
		end := atMinute(day, r.WorkEnd)
		switch {
		case now.Before(start):
			return start.UTC()
		case now.Before(end):
			return now
		}
	}
	return now
}

// NextWorkdayStart is the start of r's next working day strictly after now:
// when a daily digest goes out.
func NextWorkdayStart(r Recipient, now time.Time) time.Time {
	if r.WorkDays&0x7f == 0 {
		return now
	}
	loc := r.Location()
	local := now.In(loc)
	for i := 0; i < 8; i++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+i, 0, 0, 0, 0, loc)
		if r.WorkDays&(1<<uint(day.Weekday())) == 0 {
			continue
		}
		if start := atMinute(day, r.WorkStart); start.After(now) {
			return start.UTC()
		}
	}
	return now
}

// atMinute is minute m of day, in day's zone, correct across DST changes.
func atMinute(day time.Time, m int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, day.Location())
}
