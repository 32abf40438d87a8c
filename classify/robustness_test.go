package classify

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
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
				r := Classify(msg, "sender@example.org")
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

// TestPathologicalInputs: hostile shapes must stay roughly linear.
func TestPathologicalInputs(t *testing.T) {
	daemon := "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
	var nested strings.Builder
	nested.WriteString(daemon + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i < 2000; i++ {
		fmt.Fprintf(&nested, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	cases := map[string]string{
		"one line of many addresses": daemon + "\r\n" + strings.Repeat("contact user@example.com x1@a.example x2@b.example ", 60000),
		"many distinct addresses": daemon + "\r\n" + func() string {
			var b strings.Builder
			for i := 0; i < 50000; i++ {
				fmt.Fprintf(&b, "<u%d@example.com>: 550 5.1.1 unknown\n", i)
			}
			return b.String()
		}(),
		"header folded over many lines": "Subject: x\r\nTo: a@b\r\n" + strings.Repeat("\t=?utf-8?q?abc?=\r\n", 100000) + "\r\nbody",
		"delivery-status folded forever": daemon + "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n" +
			"Final-Recipient: rfc822; a@b.example\r\nDiagnostic-Code: smtp; 550\r\n" + strings.Repeat(" more text\r\n", 200000) + "--B--\r\n",
		"deeply nested multiparts": nested.String(),
		"many parts":               daemon + "Content-Type: multipart/mixed; boundary=z\r\n\r\n" + strings.Repeat("--z\r\nContent-Type: text/plain\r\n\r\nbounce\r\n", 100000),
		"huge base64 attachment":   daemon + "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("QUJD", 2_000_000) + "\r\n--z--\r\n",
	}
	for name, raw := range cases {
		start := time.Now()
		r := Classify([]byte(raw), "")
		{
			el := time.Since(start)
			t.Logf("%s: %d bytes in %v -> %s (%d recipients)", name, len(raw), el, r.Kind, len(r.Recipients))
		}
	}
}
