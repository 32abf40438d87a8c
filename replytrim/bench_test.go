package replytrim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// thread builds a realistic reply: a top-posted answer with a signature
// above a thread of depth quoted mails, each with its header, a few
// paragraphs and a footer, as Gmail quotes them.
func thread(depth int) string {
	var b strings.Builder
	b.WriteString("Hi Anna,\n\nthanks for the quick answer. The export works now, but the totals\nin the CSV are rounded to whole euros. Is that expected?\n\nBest regards,\nBob\n\n-- \nBob Example | ACME Corp | +49 30 1234567\n\n")
	for d := 1; d <= depth; d++ {
		q := strings.Repeat(">", d-1)
		if d > 1 {
			q += " "
		}
		fmt.Fprintf(&b, "%sOn Mon, Mar %d, 2024 at 10:%02d AM Support <help@example.com> wrote:\n%s\n", q, d, d, strings.TrimSpace(q))
		p := strings.Repeat(">", d) + " "
		for para := 0; para < 4; para++ {
			for line := 0; line < 4; line++ {
				fmt.Fprintf(&b, "%sThis is line %d of paragraph %d of message %d in the thread, wrapped.\n", p, line, para, d)
			}
			b.WriteString(strings.TrimSpace(p) + "\n")
		}
		fmt.Fprintf(&b, "%sTicket #%d — reply to this mail to answer.\n%s\n", p, 1000+d, strings.TrimSpace(p))
	}
	return b.String()
}

func BenchmarkText(b *testing.B) {
	body := thread(7) // about 10 KB
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		Text(body)
	}
}

func BenchmarkHTMLGmail(b *testing.B) {
	body := htmlCases[0].body
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		HTML(body)
	}
}

// TestLargeBody checks that cost stays linear: a 1 MB body, of prose and of
// header-like lines, must be trimmed well within a second.
func TestLargeBody(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	if n := len(thread(7)); n < 9000 || n > 12000 {
		t.Errorf("benchmark thread is %d bytes, want about 10 KB", n)
	}
	bodies := map[string]string{
		"thread":  strings.Repeat(thread(7), 100),
		"headers": strings.Repeat("On Mon, Mar 4, 2024 at 10:00 AM Bob <b@example.org>\nFrom: x\n2016-10-24 15:36 GMT+02:00 Foo <\n> wrote:\n", 12000),
		"long":    strings.Repeat("word ", 220000),
		"quotes":  strings.Repeat(">", 1<<20),
		// lines near maxHeaderLen holding every keyword the header patterns
		// look for, so that every pattern runs on every line
		"keywords": strings.Repeat(strings.Repeat("On 1, 2024 <a@b.c> wrote schrieb am skrev napisał(a) написал kirjoitti escribió a écrit schreef via 写道 gmt ", 5)[:560]+" <x@y.z> wrote:\n", 1800),
	}
	for name, body := range bodies {
		// Best of three, in CPU time (see cpuTime): the cost of the code,
		// not the load of the machine.
		best := time.Duration(1<<63 - 1)
		for range 3 {
			start := cpuTime()
			Text(body)
			HTML(body)
			best = min(best, cpuTime()-start)
		}
		// Logged, not failed: speed targets live in benchmarks (BenchmarkText), not in timed tests.
		t.Logf("Text+HTML(%s, %d KB): %v CPU", name, len(body)>>10, best)
	}
}

// BenchmarkCorpus trims every mail of the shared discourse corpus once per
// iteration and reports the cost per mail (ns/mail): the number to compare
// before and after a change of the patterns or the rules.
func BenchmarkCorpus(b *testing.B) {
	skipWithoutCorpus(b)
	emails := readCorpus(b, "emails")
	bodies := make([]string, 0, len(emails))
	size := 0
	for _, name := range sortedKeys(emails) {
		bodies = append(bodies, emails[name])
		size += len(emails[name])
	}
	b.SetBytes(int64(size))
	start := cpuTime()
	for b.Loop() {
		for _, body := range bodies {
			Text(body, "##- Please type your reply above this line -##")
		}
	}
	// CPU time as well as wall time: on a shared machine the wall clock
	// measures the neighbours' load more than this code.
	n := float64(b.N * len(bodies))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/mail")
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/n, "cpu-ns/mail")
}
