package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// On a 390 px phone, in a browser whose zone is Tokyo, the settings page
// fits the width, offers the browser's zone, and saves it; a refused form
// fits too.
func TestBrowserSettingsOnAPhone(t *testing.T) {
	ta := newTestApp(t, "", t0)
	ta.Token("ana@example.com")
	link := ta.signInLink(t, browser(), "ana@example.com")

	ctx, done := newBrowser(t, chromedp.Env("TZ=Asia/Tokyo"))
	defer done()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	fits := func(what string) {
		t.Helper()
		js := `document.documentElement.scrollWidth > document.documentElement.clientWidth`
		if scrolls, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil || scrolls {
			t.Errorf("%s scrolls sideways at 390 px (%v)", what, err)
		}
	}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(link),
		chromedp.Click(css("#confirm-signin")),
		chromedp.WaitVisible(css("#me")),
		chromedp.Navigate(ta.URL+"/settings"),
		chromedp.WaitVisible(css("#zone-suggest button")),
	)
	if err != nil {
		t.Fatalf("open settings: %v", err)
	}
	suggestion, err := chromedp.Run(ctx, chromedp.Text(css("#zone-suggest button")))
	if err != nil {
		t.Fatalf("read the suggestion: %v", err)
	}
	if !strings.Contains(suggestion, "Asia/Tokyo") {
		t.Errorf("suggested %q, want the browser's Asia/Tokyo", suggestion)
	}
	fits("the settings page")
	err = chromedp.Do(ctx,
		chromedp.Click(css("#zone-suggest button")),
		chromedp.Click(css("#save")),
		chromedp.WaitVisible(css("#done")),
	)
	if err != nil {
		t.Fatalf("take the suggestion and save: %v", err)
	}
	if got := settingsPrefs(t, ta, "ana@example.com").TimeZone; got != "Asia/Tokyo" {
		t.Errorf("saved zone %q", got)
	}
	// A refused form (no working day) fits too, with its message shown.
	untick := `document.querySelectorAll('input[name=work_days]').forEach(b => b.checked = false); true`
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](untick))
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(css("#save")), chromedp.WaitVisible(css("#work_days-error")))
	}
	if err != nil {
		t.Fatalf("refused form: %v", err)
	}
	fits("the refused settings form")
}
