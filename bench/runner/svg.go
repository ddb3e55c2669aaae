package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The chart: one group of bars per case, one bar per target, in two panels (2xx/s and
// p99 ms), both on a log scale because the targets differ by orders of magnitude.
const (
	svgWidth   = 980
	panelH     = 290 // title 30, plot 220, case labels 40
	marginL    = 70
	marginR    = 20
	marginTop  = 60 // title and legend
	plotH      = 220
	barGap     = 4
	groupInset = 18
)

var targetColors = map[string]string{"authme": "#1f6feb", "ceiling": "#8b949e", "express": "#e3803a"}

// chartOrder is the left-to-right order of the groups and of the bars in a group.
var (
	chartCases   = []string{"hello", "csrf", "session", "login", "mixed-login", "mixed-session"}
	chartTargets = []string{"authme", "ceiling", "express"}
)

// chartSVG draws rep's results.
func chartSVG(rep *report) string {
	var targets []string
	for _, t := range chartTargets {
		for _, r := range rep.Results {
			if r.Target == t {
				targets = append(targets, t)
				break
			}
		}
	}
	height := marginTop + 2*panelH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="16" font-weight="600">authme benchmark — %s, %d cores, %s per case</text>`+"\n",
		marginL, html.EscapeString(rep.Database), rep.Cores, html.EscapeString(rep.Duration))
	// Legend.
	x := marginL
	for _, t := range targets {
		fmt.Fprintf(&b, `<rect x="%d" y="34" width="12" height="12" fill="%s"/><text x="%d" y="45">%s</text>`+"\n", x, targetColors[t], x+16, t)
		x += 30 + 8*len(t)
	}
	panel(&b, rep, targets, marginTop, "successful requests per second (log scale)", func(r result) float64 { return r.OKRPS }, fmtRate)
	panel(&b, rep, targets, marginTop+panelH, "p99 latency in ms (log scale; lower is better)", func(r result) float64 { return r.P99ms }, fmtMs)
	b.WriteString("</svg>\n")
	return b.String()
}

// panel draws one bar chart whose top edge is at y0.
func panel(b *strings.Builder, rep *report, targets []string, y0 int, title string, value func(result) float64, format func(float64) string) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rep.Results {
		if v := value(r); v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return
	}
	// Whole decades, with room below the smallest bar so it still shows.
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if math.Log10(lo)-dlo < 0.3 {
		dlo--
	}
	if dhi == math.Log10(hi) {
		dhi++
	}
	top := y0 + 30
	bottom := top + plotH
	plotW := svgWidth - marginL - marginR
	yOf := func(v float64) float64 {
		return float64(bottom) - (math.Log10(v)-dlo)/(dhi-dlo)*float64(plotH)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" font-weight="600">%s</text>`+"\n", marginL, y0+18, html.EscapeString(title))
	for d := dlo; d <= dhi; d++ {
		y := yOf(math.Pow(10, d))
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d0d7de" stroke-width="1"/>`+"\n", marginL, y, marginL+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="#57606a">%s</text>`+"\n", marginL-6, y+4, decadeLabel(d))
	}
	groupW := float64(plotW) / float64(len(chartCases))
	barW := (groupW - 2*groupInset - float64(barGap*(len(targets)-1))) / float64(len(targets))
	for gi, c := range chartCases {
		gx := float64(marginL) + float64(gi)*groupW
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", gx+groupW/2, bottom+18, html.EscapeString(caseLabels[c]))
		for ti, t := range targets {
			bx := gx + groupInset + float64(ti)*(barW+float64(barGap))
			r, ok := find(rep.Results, c, t)
			if !ok || value(r) <= 0 {
				// n/a: the target has no such route; none: it gave no answer in time.
				label := "n/a"
				if ok {
					label = "none"
				}
				fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#8c959f" font-size="10">%s</text>`+"\n", bx+barW/2, bottom-4, label)
				continue
			}
			v := value(r)
			y := yOf(v)
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`+"\n",
				bx, y, barW, float64(bottom)-y, targetColors[t], t, html.EscapeString(caseLabels[c]), format(v))
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n", bx+barW/2, y-3, compact(v))
		}
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#57606a"/>`+"\n", marginL, bottom, marginL+plotW, bottom)
}

// decadeLabel prints 10^d readably: 0.1, 1, 10, 1k, 10k…
func decadeLabel(d float64) string {
	return compact(math.Pow(10, d))
}

// compact prints a number in at most four characters or so: 0.42, 3.1, 87, 1.2k, 45k.
func compact(v float64) string {
	switch {
	case v >= 1e6:
		return trimZero(fmt.Sprintf("%.1f", v/1e6)) + "M"
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return trimZero(fmt.Sprintf("%.1f", v))
	case v >= 1:
		return trimZero(fmt.Sprintf("%.2f", v))
	}
	return trimZero(fmt.Sprintf("%.3f", v))
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
