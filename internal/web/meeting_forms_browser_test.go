package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// On a 390 px phone with JavaScript off, a weekly meeting and a decision
// about it are created with the forms, every page fits the width, and a
// refused form comes back with its message.
func TestBrowserCreateMeetingAndDecisionOnAPhone(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ben@example.com")
	ta.inZone(t, "ana@example.com", "Europe/Berlin")
	link := ta.signInLink(t, browser(), "ana@example.com")

	ctx, done := newBrowser(t)
	defer done()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	fits := func(what string) {
		t.Helper()
		// Both widths, so that a page that cannot be measured fails too.
		js := `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`
		w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](js))
		if err != nil || len(w) != 2 || w[1] != 390 || w[0] > w[1] {
			t.Errorf("%s scrolls sideways at 390 px: widths %v (%v)", what, w, err)
		}
	}
	noScript := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844), noScript,
		chromedp.Navigate(link),
		chromedp.Click(css("#confirm-signin")),
		chromedp.WaitVisible(css("#me")),
		chromedp.Navigate(ta.URL+"/meetings"),
		chromedp.Click(css("#new-meeting")),
		chromedp.WaitVisible(css("#meeting-form")),
	)
	if err != nil {
		t.Fatalf("open the new meeting form: %v", err)
	}
	fits("the new meeting form")
	// Refused: no duration. The form comes back with the message.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css("#title"), "Weekly planning"),
		chromedp.SetValue(css("#duration"), "0"),
		chromedp.SetValue(css("#repeat"), "weekly"),
		chromedp.SendKeys(css("#attendees"), "ben@example.com, speaker"),
		chromedp.Click(css("#save")),
		chromedp.WaitVisible(css("#duration-error")),
	)
	if err != nil {
		t.Fatalf("refused form: %v", err)
	}
	fits("the refused new meeting form")
	err = chromedp.Do(ctx,
		chromedp.SetValue(css("#duration"), "30"),
		chromedp.Click(css("#save")),
		chromedp.WaitVisible(css("#edit-meeting")),
	)
	if err != nil {
		t.Fatalf("create the meeting: %v", err)
	}
	fits("the meeting page")
	if n := ta.count(t, `SELECT COUNT(*) FROM series WHERE title = 'Weekly planning' AND recurrence = 'RRULE:FREQ=WEEKLY'`); n != 1 {
		t.Fatalf("the weekly meeting was not created")
	}
	meetingURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css("#edit-meeting")),
		chromedp.WaitVisible(css("#meeting-form")),
	)
	if err != nil {
		t.Fatalf("open the edit form: %v", err)
	}
	fits("the edit form")
	err = chromedp.Do(ctx,
		chromedp.Navigate(meetingURL),
		chromedp.Click(css("#new-decision")),
		chromedp.WaitVisible(css("#decision-form")),
	)
	if err != nil {
		t.Fatalf("open the decision form: %v", err)
	}
	fits("the new decision form")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css("#title"), "Move planning to Tuesdays"),
		chromedp.SendKeys(css("#proposal"), "Mondays are full."),
		chromedp.Click(css("#open-decision")),
		chromedp.WaitVisible(css("#state")),
	)
	if err != nil {
		t.Fatalf("open the decision: %v", err)
	}
	fits("the decision page")
	var invited string
	ta.DB.Get(&invited, `SELECT p.email FROM decision_invitees i JOIN people p ON p.id = i.person_id WHERE p.email <> 'ana@example.com'`)
	if !strings.Contains(invited, "ben@example.com") {
		t.Errorf("the decision from the meeting did not invite its attendee: %q", invited)
	}
}
