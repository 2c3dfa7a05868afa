package google

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"google.golang.org/api/drive/v3"

	"meetingd/internal/db"
	"meetingd/internal/jobs"
)

// meetingd follows the doc: edits people make in a notes doc are seen
// through the calendar owner's Drive changes (the owner made every doc, so
// every edit of one is a change there). A page token says where the
// changes were read up to; a push channel on them (changes.watch), or a
// poll every DocPoll without push, makes reading them due. A change to a
// series' doc marks it edited and makes the series' doc work due, which
// reads the doc back into meetingd: within a minute of the edit.

// drivePageToken is where the calendar's Drive changes are read from,
// asked of Google the first time.
func (g *Source) drivePageToken(ctx context.Context, cal calRow, cl *googleClient) (string, error) {
	var tok string
	err := g.DB.GetContext(ctx, &tok, g.DB.Rebind(`SELECT drive_page_token FROM google_calendars WHERE calendar_id = ?`), cal.ID)
	if err != nil && !db.IsNoRows(err) {
		return "", fmt.Errorf("drive page token of calendar %d: %w", cal.ID, err)
	}
	if tok != "" {
		return tok, nil
	}
	err = g.call(ctx, cl, "changes.getStartPageToken", func() error {
		t, err := cl.drive.Changes.GetStartPageToken().Context(ctx).Do()
		if err == nil {
			tok = t.StartPageToken
		}
		return err
	})
	if err != nil {
		return "", err
	}
	_, err = g.DB.ExecContext(ctx, g.DB.Rebind(`UPDATE google_calendars SET drive_page_token = ? WHERE calendar_id = ? AND drive_page_token = ''`),
		tok, cal.ID)
	if err != nil {
		return "", fmt.Errorf("store drive page token of calendar %d: %w", cal.ID, err)
	}
	return tok, nil
}

func (g *Source) runDrive(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "gcal:")
	if err != nil {
		return err
	}
	return g.ReadDriveChanges(ctx, id)
}

func (g *Source) runDrivePoll(ctx context.Context, j jobs.Job) error {
	id, err := jobs.SubjectID(j.Subject, "gcal:")
	if err != nil {
		return err
	}
	cal, err := g.calendarRow(ctx, g.DB, id)
	if err != nil || !g.watched(cal) {
		return err // no longer configured: polling ends
	}
	now := g.Clock.Now()
	if err := jobs.ScheduleIn(ctx, g.DB, now, jobs.Bulk, drivePollKind(otherVariant(j)), j.Subject, now.Add(g.drivePollInterval())); err != nil {
		return err
	}
	return g.ReadDriveChanges(ctx, id)
}

// ReadDriveChanges reads a calendar owner's Drive changes since the last
// read, and makes the doc work of each series whose doc changed due.
func (g *Source) ReadDriveChanges(ctx context.Context, calID int64) error {
	// Its own lock: reading changes must not wait for a long sync.
	unlock, err := g.hold(ctx, jobs.Subject("gdrive:", calID))
	if err != nil {
		return err
	}
	defer unlock()
	cal, err := g.calendarRow(ctx, g.DB, calID)
	if err != nil || cal.StoppedAt != nil || !g.watched(cal) {
		return err
	}
	var docs int
	err = g.DB.GetContext(ctx, &docs, g.DB.Rebind(`SELECT COUNT(*) FROM google_docs d JOIN series s ON s.id = d.series_id
		WHERE s.calendar_id = ?`), calID)
	if err != nil {
		return fmt.Errorf("docs of calendar %d: %w", calID, err)
	}
	if docs == 0 {
		return nil // no doc to follow: no call
	}
	cl, err := g.client(ctx, cal)
	if err != nil {
		return err
	}
	tok, err := g.drivePageToken(ctx, cal, cl)
	if err != nil {
		return g.stopIfRevoked(ctx, cal, err)
	}
	changed, next, err := g.driveChanges(ctx, cl, tok)
	if err != nil {
		return g.stopIfRevoked(ctx, cal, err)
	}
	now := g.Clock.Now()
	var series []int64
	err = db.InTx(ctx, g.DB, func(tx *sqlx.Tx) error {
		for start := 0; start < len(changed); start += 500 {
			query, args, err := sqlx.In(`UPDATE google_docs SET changes_seen = changes_seen + 1
				WHERE doc_id IN (?) AND series_id IN (SELECT id FROM series WHERE calendar_id = ?) RETURNING series_id`,
				changed[start:min(start+500, len(changed))], calID)
			if err != nil {
				return err
			}
			var ids []int64
			if err := tx.SelectContext(ctx, &ids, tx.Rebind(query), args...); err != nil {
				return fmt.Errorf("mark docs edited: %w", err)
			}
			series = append(series, ids...)
		}
		for _, id := range series {
			if err := jobs.Rearm(ctx, tx, now, jobs.Bulk, JobDoc, seriesSubject(id)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE google_calendars SET drive_page_token = ? WHERE calendar_id = ?`), next, calID)
		if err != nil {
			return fmt.Errorf("store drive page token of calendar %d: %w", calID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(series) > 0 {
		g.wake()
		g.Log.InfoContext(ctx, "Google notes docs edited", "calendar", cal.GoogleID, "series", len(series))
	}
	return nil
}

// driveChanges lists the files changed since tok, every page, and the
// token to read from next.
func (g *Source) driveChanges(ctx context.Context, cl *googleClient, tok string) (files []string, next string, err error) {
	seen := map[string]bool{}
	for range maxPages {
		var page *drive.ChangeList
		err := g.call(ctx, cl, "changes.list", func() (err error) {
			page, err = cl.drive.Changes.List(tok).PageSize(1000).RestrictToMyDrive(true).Spaces("drive").
				Fields("nextPageToken", "newStartPageToken", "changes(fileId,removed)").Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, "", err
		}
		for _, c := range page.Changes {
			if c.FileId != "" && !seen[c.FileId] {
				seen[c.FileId] = true
				files = append(files, c.FileId)
			}
		}
		if page.NextPageToken == "" {
			if page.NewStartPageToken == "" {
				return nil, "", fmt.Errorf("google changes.list: last page has no newStartPageToken")
			}
			return files, page.NewStartPageToken, nil
		}
		tok = page.NextPageToken
	}
	return nil, "", fmt.Errorf("google changes.list: more than %d pages", maxPages)
}
