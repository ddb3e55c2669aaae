package mail

import (
	"strings"
	"unicode"
)

// maxRawAgent is how many characters of an unrecognised User-Agent a mail shows.
const maxRawAgent = 120

// DescribeUserAgent turns a User-Agent header into a short description such as "Chrome on
// Linux". One it does not recognise is shown as sent, without control or formatting
// characters (which could fake lines or reorder text) and cut to 120 characters. The result is
// still text the client chose: escape it wherever it goes.
func DescribeUserAgent(ua string) string {
	browser, os := browserName(ua), osName(ua)
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	}
	clean := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, ua)), " ")
	if r := []rune(clean); len(r) > maxRawAgent {
		clean = string(r[:maxRawAgent-1]) + "…"
	}
	if clean == "" {
		return "an unknown browser"
	}
	return clean
}

// browserName recognises the common browsers; order matters, since Edge and Opera also say
// Chrome and Safari, and Chrome also says Safari.
func browserName(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"Chromium/", "Chromium"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"},
		{"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	return ""
}

// osName recognises the common systems; Android before Linux, iOS before macOS (iPads say
// "like Mac OS X").
func osName(ua string) string {
	for _, o := range []struct{ token, name string }{
		{"Windows", "Windows"}, {"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"},
		{"CrOS", "ChromeOS"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			return o.name
		}
	}
	return ""
}
