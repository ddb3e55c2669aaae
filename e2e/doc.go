// Package e2e drives authme's page in a real browser: Debian's headless Chromium,
// through chromedp, against the real server on a real port with a fresh SQLite
// database. Every step fails on a console error, an uncaught exception or a
// Content-Security-Policy violation, and a failing test leaves a screenshot of each step
// in $AUTHME_SCREENSHOTS (default ./e2e-screenshots at the repository root).
//
// Without Chromium the tests skip; with AUTHME_REQUIRE_BROWSER=1 (CI) they fail.
// AUTHME_CHROMIUM names another browser binary. Run
//
//	go test ./e2e -run TestLayout -update-images
//
// to rewrite the screenshots under images/.
package e2e
