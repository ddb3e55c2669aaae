package e2e

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

var updateImages = flag.Bool("update-images", false, "write the page's screenshots under images/")

// The page is usable by keyboard, labelled, and fits a phone.
func TestLayout(t *testing.T) {
	tb := openTab(t)
	srv := startServer(t)

	tb.must("EveryInputHasALabel", func(t *testing.T) {
		tb.do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("view-guest")))
		unlabelled := eval[[]string](t, tb, `Array.from(document.querySelectorAll("input, button"))
			.filter((el) => el.type !== "hidden" && (el.labels?.length ?? 0) === 0 && el.innerText.trim() === "")
			.map((el) => el.id || el.outerHTML)`)
		if len(unlabelled) > 0 {
			t.Errorf("without a label: %v", unlabelled)
		}
		if lang := eval[string](t, tb, `document.documentElement.lang`); lang != "en" {
			t.Errorf("lang = %q", lang)
		}
	})

	tb.must("TabOrderFollowsTheForms", func(t *testing.T) {
		want := []string{"skip-link", "brand", "login-credential", "login-password", "login-button", "passkey-login", "forgot-open",
			"demo-button", "signup-username", "signup-email", "signup-password", "signup-button"}
		eval[chromedp.Void](t, tb, `document.activeElement.blur()`)
		var got []string
		for range want {
			tb.do(t, chromedp.KeyEvent(kb.Tab))
			got = append(got, eval[string](t, tb, `document.activeElement.id || document.activeElement.className`))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("Tab goes through\n%v\nwant\n%v", got, want)
		}
	})

	tb.must("DesktopScreenshot", func(t *testing.T) {
		tb.do(t, chromedp.EmulateViewport(1280, 860), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-guest")))
		shot(t, tb, "authme-page.png")
	})

	tb.must("DesktopLoggedInScreenshot", func(t *testing.T) {
		tb.do(t, chromedp.EmulateViewport(1280, 640),
			chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		tb.waitFor(t, `!document.getElementById("logout-button").hasAttribute("aria-disabled")`)
		shot(t, tb, "authme-page-logged-in.png")
		tb.do(t, chromedp.Click(chromedp.ID("logout-button")), chromedp.WaitVisible(chromedp.ID("view-guest")))
	})

	tb.must("PhoneFitsWithoutSideways", func(t *testing.T) {
		tb.do(t,
			chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch),
			chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-guest")))
		fitsPhone(t, tb)
		small := eval[[]string](t, tb, `Array.from(document.querySelectorAll("input, button"))
			.filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().height < 44).map((el) => el.id)`)
		if len(small) > 0 {
			t.Errorf("touch targets under 44px tall: %v", small)
		}
		shot(t, tb, "authme-page-phone.png")
	})

	tb.must("PhoneLoggedInFits", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("demo-button")), chromedp.WaitVisible(chromedp.ID("view-user")))
		fitsPhone(t, tb)
	})

	tb.must("PhoneAccountSectionsFit", func(t *testing.T) {
		// One at a time: a section that loads pushes the toggles below it down, so a click
		// on one of them waits until the one above has loaded.
		for _, s := range []struct{ toggle, loaded string }{
			{"devices-toggle", `document.querySelectorAll("#devices-list li").length > 0`},
			{"activity-toggle", `document.querySelectorAll("#activity-list li").length > 0`},
			{"password-toggle", `!document.getElementById("password-body").hidden`},
			{"totp-toggle", `!document.getElementById("totp-actions").hidden`},
			{"export-toggle", `!document.getElementById("export-body").hidden`},
			{"delete-toggle", `!document.getElementById("delete-body").hidden`},
		} {
			tb.do(t, chromedp.Click(chromedp.ID(s.toggle)))
			tb.waitFor(t, s.loaded)
		}
		fitsPhone(t, tb)
		small := eval[[]string](t, tb, `Array.from(document.querySelectorAll("#view-user input, #view-user button"))
			.filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().height < 44).map((el) => el.id)`)
		if len(small) > 0 {
			t.Errorf("touch targets under 44px tall: %v", small)
		}
		unlabelled := eval[[]string](t, tb, `Array.from(document.querySelectorAll("#view-user input, #view-user button"))
			.filter((el) => (el.labels?.length ?? 0) === 0 && el.innerText.trim() === "").map((el) => el.id || el.outerHTML)`)
		if len(unlabelled) > 0 {
			t.Errorf("without a label: %v", unlabelled)
		}
		shot(t, tb, "authme-page-phone-account.png")
	})
}

// fitsPhone fails when the page is wider than the screen.
func fitsPhone(t *testing.T, tb *tab) {
	t.Helper()
	if w := eval[int](t, tb, `window.innerWidth`); w != 390 {
		t.Fatalf("viewport is %dpx wide, want 390", w)
	}
	if sw := eval[int](t, tb, `document.documentElement.scrollWidth`); sw > 390 {
		t.Errorf("the page is %dpx wide on a 390px screen: it scrolls sideways", sw)
	}
}

// shot takes a full-page screenshot and, with -update-images, writes it to images/name.
func shot(t *testing.T, tb *tab, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !*updateImages {
		return
	}
	path := filepath.Join("..", "images", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
