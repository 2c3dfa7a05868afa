package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// On a 390 px phone every /admin page fits the width, with people, mail,
// steps and an import to show, and with a refused form's message.
func TestBrowserAdminOnAPhone(t *testing.T) {
	ta := newTestApp(t, "", t0)
	seedMeeting(t, ta)
	ta.Person("a.person.with.a.rather.long.address@subdivision.example.com")
	ta.signInLink(t, browser(), "ben@example.com")
	link := ta.signInLink(t, browser(), "ops@example.com")

	ctx, done := newBrowser(t)
	defer done()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(link),
		chromedp.Click(css("#confirm-signin")), chromedp.WaitVisible(css("#me")))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	fits := func(what string) {
		t.Helper()
		js := `document.documentElement.scrollWidth > document.documentElement.clientWidth`
		if scrolls, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil || scrolls {
			t.Errorf("%s scrolls sideways at 390 px (%v)", what, err)
		}
	}
	for _, p := range append(adminPaths, "/outbox") {
		if err := chromedp.Do(ctx, chromedp.Navigate(ta.URL+p), chromedp.WaitVisible(css("h1"))); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		fits(p)
	}
	// A refused add form keeps the address and shows why beside it.
	err = chromedp.Do(ctx, chromedp.Navigate(ta.URL+"/admin/people"), chromedp.SendKeys(css("input[name=email]"), "ops@example.com"),
		chromedp.Click(css("form[action='/admin/people'] button")), chromedp.WaitVisible(css("#add-error")))
	if err != nil {
		t.Fatalf("refused add form: %v", err)
	}
	fits("a refused add form")
}
