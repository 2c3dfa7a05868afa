package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The whole dashboard flow in Debian's chromium: Ana creates a weekly
// meeting with Ben and a decision from it; Ben signs in through his emailed
// link and objects; Ana sees the summary change, holds the next occurrence
// async, and opens insights. Every page fits both a 1280 px and a 390 px
// wide window without scrolling sideways.
func TestBrowserWholeFlow(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Person("ana@example.com")
	ta.Person("ben@example.com")
	ctx, done := newBrowser(t)
	defer done()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	fits := func(what string) {
		t.Helper()
		for _, width := range []int64{1280, 390} {
			js := `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](js))
			if err != nil || len(w) != 2 || int64(w[1]) != width || w[0] > w[1] {
				t.Errorf("%s scrolls sideways at %d px: widths %v (%v)", what, width, w, err)
			}
		}
	}
	// Every field has a label (or an aria-label) and every table headers.
	accessible := func(what string) {
		t.Helper()
		js := `(() => {
			const bad = [];
			for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=submit]), select, textarea')) {
				const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest('label') ||
					el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
				if (!labelled) bad.push((el.name || el.id || el.tagName) + ' has no label');
			}
			for (const tb of document.querySelectorAll('table')) {
				if (!tb.querySelector('th')) bad.push('table ' + (tb.id || '') + ' has no headers');
			}
			return bad;
		})()`
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js))
		if err != nil || len(bad) > 0 {
			t.Errorf("%s: %v %v", what, bad, err)
		}
	}
	signIn := func(email string) {
		t.Helper()
		link := ta.signInLink(t, browser(), email) // the link the email carries
		if err := chromedp.Do(ctx, chromedp.Navigate(link),
			chromedp.Click(css("#confirm-signin")), chromedp.WaitVisible(css("#me"))); err != nil {
			t.Fatalf("sign in as %s: %v", email, err)
		}
	}

	signOut := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(ta.URL+"/me"), chromedp.Click(css("#signout")), chromedp.WaitVisible(css("#email"))); err != nil {
			t.Fatalf("sign out: %v", err)
		}
	}

	// 1. Ana creates a weekly meeting with Ben.
	signIn("ana@example.com")
	err := chromedp.Do(ctx,
		chromedp.Navigate(ta.URL+"/meetings/new"), chromedp.WaitVisible(css("#meeting-form")),
		chromedp.SendKeys(css("#title"), "Weekly planning"),
		chromedp.SetValue(css("#date"), t0.Add(72*time.Hour).Format("2006-01-02")),
		chromedp.SetValue(css("#time"), "10:00"),
		chromedp.SetValue(css("#duration"), "30"),
		chromedp.SetValue(css("#repeat"), "weekly"),
		chromedp.SendKeys(css("#attendees"), "ben@example.com, required"),
	)
	if err != nil {
		t.Fatalf("fill the meeting form: %v", err)
	}
	fits("the new meeting form")
	accessible("the new meeting form")
	if err := chromedp.Do(ctx, chromedp.Click(css("#save")), chromedp.WaitVisible(css("#hold-async"))); err != nil {
		t.Fatalf("create the meeting: %v", err)
	}
	fits("the meeting page")
	accessible("the meeting page")
	meetingURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	// 2. A decision from it.
	err = chromedp.Do(ctx,
		chromedp.Click(css("#new-decision")), chromedp.WaitVisible(css("#decision-form")),
		chromedp.SendKeys(css("#title"), "Move planning to Tuesdays"),
		chromedp.SendKeys(css("#proposal"), "Mondays are full."),
	)
	if err != nil {
		t.Fatalf("fill the decision form: %v", err)
	}
	fits("the new decision form")
	accessible("the new decision form")
	if err := chromedp.Do(ctx, chromedp.Click(css("#open-decision")), chromedp.WaitVisible(css("#summary"))); err != nil {
		t.Fatalf("open the decision: %v", err)
	}
	decisionURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	decisionURL, _, _ = strings.Cut(decisionURL, "?")
	fits("the decision page")
	accessible("the decision page")

	// 3. Ben signs in through his emailed link and objects.
	signOut()
	signIn("ben@example.com")
	err = chromedp.Do(ctx,
		chromedp.Navigate(decisionURL), chromedp.WaitVisible(css("#contribute-form")),
		chromedp.Click(css("#kind-object")),
		chromedp.SendKeys(css("#text"), "Tuesdays clash with the release."),
		chromedp.Click(css("#send")), chromedp.WaitVisible(css("#done")),
	)
	if err != nil {
		t.Fatalf("Ben objects: %v", err)
	}

	// 4. Ana sees the summary change.
	signOut()
	signIn("ana@example.com")
	if err := chromedp.Do(ctx, chromedp.Navigate(decisionURL), chromedp.WaitVisible(css("#summary"))); err != nil {
		t.Fatal(err)
	}
	objecting, err := chromedp.Run(ctx, chromedp.Text(css("#n-object")))
	if err != nil || objecting != "1" {
		t.Fatalf("the summary shows %q objecting (%v), want 1", objecting, err)
	}

	// 5. She holds the meeting async.
	err = chromedp.Do(ctx, chromedp.Navigate(meetingURL), chromedp.Click(css("#hold-async")), chromedp.WaitVisible(css("#held-async")))
	if err != nil {
		t.Fatalf("hold it async: %v", err)
	}
	fits("the meeting held async")

	// 6. Insights.
	if err := chromedp.Do(ctx, chromedp.Navigate(ta.URL+"/insights"), chromedp.WaitVisible(css("h1"))); err != nil {
		t.Fatalf("open insights: %v", err)
	}
	fits("insights")
	accessible("insights")
	title, _ := chromedp.Run(ctx, chromedp.Title())
	if !strings.Contains(title, "Insights") {
		t.Errorf("insights page title %q", title)
	}
	for _, page := range []string{"/decisions", "/meetings", "/me", "/settings"} { // /admin: TestBrowserAdminOnAPhone
		if err := chromedp.Do(ctx, chromedp.Navigate(ta.URL+page), chromedp.WaitVisible(css("nav"))); err != nil {
			t.Fatalf("open %s: %v", page, err)
		}
		fits(page)
		accessible(page)
	}
}
