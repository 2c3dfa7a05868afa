package web_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"meetingd/decisions"
	"meetingd/internal/mailtest"
	"meetingd/internal/people"
)

// chromiumPath finds Debian's chromium, which .ci/run installs.
func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("MEETINGD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	t.Fatal("no chromium: install Debian's chromium (.ci/run does) or set MEETINGD_CHROMIUM")
	return ""
}

// TestBrowserObjectInLastDay drives a real headless Chromium: sign in
// through the link from the SMTP server, open the decisions page, object to
// a decision in its last day, see the new close time, and sign out.
func TestBrowserObjectInLastDay(t *testing.T) {
	smtp := mailtest.Start(t)
	ta := newTestApp(t, smtp.URL(), t0)
	bg := context.Background()
	for _, e := range []string{"ana@example.com", "ben@example.com"} {
		if _, err := people.Ensure(bg, ta.DB, e, "", "UTC", t0); err != nil {
			t.Fatal(err)
		}
	}
	ta.DB.MustExec(`UPDATE people SET time_zone = 'Europe/Berlin' WHERE email = 'ben@example.com'`)
	ana, _ := people.ByEmail(bg, ta.DB, "ana@example.com")
	d, err := ta.Decisions.Create(bg, people.Actor{PersonID: ana.ID}, decisions.Input{Title: "Move standup to 10:00",
		Proposal: "Ten is kinder to the west coast.", Invitees: []string{"ben@example.com"}, Window: "72h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ta.At(d.ClosesAt.Add(-3 * time.Hour)) // its last day

	ctx, done := newBrowser(t)
	defer done()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Ask for a sign-in link.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ta.URL+"/decisions"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "ben@example.com"),
		chromedp.Submit(css("#email")),
		chromedp.WaitVisible(`//p[contains(., "on its way")]`),
	)
	if err != nil {
		t.Fatalf("ask for a sign-in link: %v", err)
	}
	ta.At(ta.Clock.Now().Add(time.Second)) // the outbox sends it over SMTP
	var link string
	for _, m := range smtp.To("ben@example.com") {
		if m.Subject == "Your meetingd sign-in link" {
			link = linkRE.FindString(m.Text)
		}
	}
	if link == "" {
		t.Fatalf("no sign-in email: %v", subjects(smtp.To("ben@example.com")))
	}

	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		// A node found just as the page it was on gave way to the next
		// one is gone by the time it is read: query again, once.
		if err != nil && strings.Contains(err.Error(), "No node with given id") {
			if err = chromedp.Do(ctx, chromedp.WaitReady(css(sel))); err == nil {
				v, err = chromedp.Run(ctx, chromedp.Text(css(sel)))
			}
		}
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(css("#confirm-signin")),
		chromedp.WaitVisible(css("#needs-input")),
		chromedp.Click(`//table[@id="needs-input"]//a[contains(., "Move standup")]`),
		chromedp.WaitVisible(css("#closes-at")),
	)
	if err != nil {
		t.Fatalf("sign in and open the decision: %v", err)
	}
	before := text("#closes-at")
	err = chromedp.Do(ctx,
		chromedp.Click(css("#kind-object")),
		chromedp.SendKeys(css("#text"), "Ten clashes with the Tokyo handover."),
		chromedp.Click(css("#send")),
		chromedp.WaitVisible(css("#done")),
	)
	if err != nil {
		t.Fatalf("object in the browser: %v", err)
	}
	after, state := text("#closes-at"), text("#state")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	wantBefore := d.ClosesAt.In(berlin).Format("Mon 2 Jan 2006, 15:04 MST")
	wantAfter := ta.Clock.Now().Add(24 * time.Hour).In(berlin).Format("Mon 2 Jan 2006, 15:04 MST")
	if before != wantBefore || after != wantAfter || state != "open" {
		t.Fatalf("close time shown %q then %q (state %s); want %q then %q", before, after, state, wantBefore, wantAfter)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css("#signout")),
		chromedp.WaitVisible(css("#email")),
	)
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
	url, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(url, "/signin") {
		t.Fatalf("after sign-out at %s", url)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(ta.URL+"/decisions"), chromedp.WaitVisible(css("#email")))
	if err != nil {
		t.Fatalf("still signed in after sign-out: %v", err)
	}
}

// newBrowser starts Debian's chromium for one test, with any extra options
// (a time zone, say); done stops it.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) (context.Context, func()) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil { // starts the browser; its life is bctx's
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, 120*time.Second)
	return ctx, func() { cancelTimeout(); cancelBrowser(); cancelAlloc() }
}
