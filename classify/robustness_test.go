package classify

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/mailparse"
)

// TestCorpusRobustness runs Classify over every other corpus message (MIME
// torture tests, parser stress cases, mboxes): none may panic or take
// long. The kind distribution is logged; reports among them are listed so
// a reviewer can eyeball them.
func TestCorpusRobustness(t *testing.T) {
	root := corpusDir(t)
	dirs := []string{"mimekit-testdata", filepath.Join("cpython-email-testdata", "data"), filepath.Join("mailparser-node", "fixtures")}
	dist := map[Kind]int{}
	total := 0
	var slowest time.Duration
	var slowestName string
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			if strings.HasSuffix(path, "LICENSE") || strings.HasSuffix(path, "-summary.txt") {
				return nil
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			msgs := [][]byte{raw}
			if strings.HasSuffix(path, ".mbox.txt") {
				msgs = splitMbox(raw)
			}
			rel, _ := filepath.Rel(root, path)
			for i, msg := range msgs {
				name := rel
				if len(msgs) > 1 {
					name = fmt.Sprintf("%s#%d", rel, i+1)
				}
				start := time.Now()
				r := classifyRaw(msg, "sender@example.org")
				if el := time.Since(start); el > slowest {
					slowest, slowestName = el, name
				}
				total++
				dist[r.Kind]++
				if r.Kind == "" || r.Reason == "" {
					t.Errorf("%s: empty verdict %+v", name, r)
				}
				if r.Kind != Human {
					t.Logf("  %s: %s (%s) recipients=%d id=%q", name, r.Kind, r.Reason, len(r.Recipients), r.OriginalMessageID)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var kinds []string
	for k, n := range dist {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	t.Logf("other corpora: %d messages classified without panic; kinds: %s; slowest %s (%v)", total, strings.Join(kinds, " "), slowestName, slowest)
}

// splitMbox splits an mbox (RFC 4155) at its "From " separator lines.
func splitMbox(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for off := 0; off < len(b); {
		end := bytes.IndexByte(b[off:], '\n')
		next := len(b)
		if end >= 0 {
			next = off + end + 1
		}
		if bytes.HasPrefix(b[off:], []byte("From ")) {
			if start >= 0 {
				out = append(out, b[start:off])
			}
			start = next
		}
		off = next
	}
	if start >= 0 && start < len(b) {
		out = append(out, b[start:])
	}
	if len(out) == 0 {
		out = append(out, b)
	}
	return out
}

// TestPathologicalInputs: hostile shapes, parsed and classified as intake
// does, get the verdict they should, stay within the parser's bounds, and
// cost work linear in their size. Work is counted, not timed: the bytes
// and the number of allocations per input byte, for each shape at n and at
// 4n repetitions, must not grow (a quadratic step would multiply them by
// four; caps reached make them fall). Allocation counts do not depend on
// the machine's load, so the test cannot flake.
func TestPathologicalInputs(t *testing.T) {
	want := map[string]struct {
		kind       Kind
		reason     string
		recipients int
	}{
		"one line of many addresses":     {Bounce, "mailer-daemon sender", 1},
		"many distinct addresses":        {Bounce, "mailer-daemon sender", 100}, // scanRecipients' cap
		"header folded over many lines":  {AutoReply, "null reverse-path", 0},
		"delivery-status folded forever": {Bounce, "multipart/report delivery-status", 1},
		"deeply nested multiparts":       {Bounce, "mailer-daemon sender", 0},
		"many parts":                     {Bounce, "mailer-daemon sender", 0},
		"huge base64 attachment":         {Bounce, "mailer-daemon sender", 0},
	}
	type work struct{ bytes, allocs float64 }
	run := func(raw []byte) (work, *mailparse.Message, Result) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		pm := mailparse.Parse(raw)
		r := Classify(pm, "")
		runtime.ReadMemStats(&after)
		n := float64(len(raw))
		return work{float64(after.TotalAlloc-before.TotalAlloc) / n, float64(after.Mallocs-before.Mallocs) / n}, pm, r
	}
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			w, ok := want[c.name]
			if !ok {
				t.Fatal("no expected verdict")
			}
			var per [2]work
			for i, n := range []int{c.n, 4 * c.n} {
				var pm *mailparse.Message
				var r Result
				per[i], pm, r = run([]byte(c.gen(n)))
				if r.Kind != w.kind || r.Reason != w.reason || len(r.Recipients) != w.recipients {
					t.Errorf("n=%d: got %s (%s) with %d recipients, want %s (%s) with %d", n, r.Kind, r.Reason, len(r.Recipients), w.kind, w.reason, w.recipients)
				}
				for _, rc := range r.Recipients {
					if len(rc.Diagnostic) > 300 || !strings.Contains(rc.Address, "@") {
						t.Errorf("n=%d: recipient %q with a %d-byte diagnostic", n, rc.Address, len(rc.Diagnostic))
					}
				}
				// mailparse's bounds hold on the parsed path.
				if len(pm.Parts) > 1000 {
					t.Errorf("n=%d: %d MIME parts kept, more than mailparse's cap", n, len(pm.Parts))
				}
				depth := 0
				for _, p := range pm.Parts {
					depth = max(depth, p.Depth)
				}
				if depth > 32 {
					t.Errorf("n=%d: descended %d levels, deeper than mailparse's cap", n, depth)
				}
			}
			t.Logf("per input byte at n and 4n: %.2f and %.2f bytes, %.4f and %.4f allocations", per[0].bytes, per[1].bytes, per[0].allocs, per[1].allocs)
			if per[1].bytes > 2*per[0].bytes+1 {
				t.Errorf("allocated bytes per input byte grow with size: %.2f at n, %.2f at 4n", per[0].bytes, per[1].bytes)
			}
			if per[1].allocs > 2*per[0].allocs+0.001 {
				t.Errorf("allocations per input byte grow with size: %.4f at n, %.4f at 4n", per[0].allocs, per[1].allocs)
			}
		})
	}
}

// hostileCases are messages built to make a careless parser or classifier
// quadratic or unbounded, each generated at a size n (a count of the unit
// repeated).
var hostileCases = []struct {
	name string
	gen  func(n int) string
	n    int
}{
	{"one line of many addresses", func(n int) string {
		return hostileDaemon + "\r\n" + strings.Repeat("contact user@example.com x1@a.example x2@b.example ", n)
	}, 15000},
	{"many distinct addresses", func(n int) string {
		var b strings.Builder
		b.WriteString(hostileDaemon + "\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "<u%d@example.com>: 550 5.1.1 unknown\n", i)
		}
		return b.String()
	}, 12500},
	{"header folded over many lines", func(n int) string {
		return "Subject: x\r\nTo: a@b\r\n" + strings.Repeat("\t=?utf-8?q?abc?=\r\n", n) + "\r\nbody"
	}, 25000},
	{"delivery-status folded forever", func(n int) string {
		return hostileDaemon + "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n" +
			"Final-Recipient: rfc822; a@b.example\r\nDiagnostic-Code: smtp; 550\r\n" + strings.Repeat(" more text\r\n", n) + "--B--\r\n"
	}, 50000},
	{"deeply nested multiparts", func(n int) string {
		var b strings.Builder
		b.WriteString(hostileDaemon + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
		}
		return b.String()
	}, 500},
	{"many parts", func(n int) string {
		return hostileDaemon + "Content-Type: multipart/mixed; boundary=z\r\n\r\n" + strings.Repeat("--z\r\nContent-Type: text/plain\r\n\r\nbounce\r\n", n)
	}, 25000},
	{"huge base64 attachment", func(n int) string {
		return hostileDaemon + "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("QUJD", n) + "\r\n--z--\r\n"
	}, 500_000},
}

const hostileDaemon = "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
