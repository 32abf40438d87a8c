package mailparse

import (
	"strings"
	"testing"
	"time"
)

func TestHTMLToText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"paragraphs", "<p>One</p><p>Two\n  lines</p>", "One\n\nTwo lines"},
		{"br", "a<br>b<br/><br>c", "a\nb\n\nc"},
		{"divs", "<div>a</div><div>b</div>text", "a\nb\ntext"},
		{"entities", "<p>Fish &amp; chips &lt;3&nbsp;&nbsp;x &#8364;</p>", "Fish & chips <3  x €"},
		{"inline", "a<b>b</b> <i>c</i>", "ab c"},
		{"script style head", "<html><head><title>T</title><style>x{}</style></head><body><script>var a='<p>';</script>Hi</body></html>", "Hi"},
		{"self-closing script", "<script/>alert(1)</script>ok", "ok"},
		{"link", `<a href="https://x.y/z">docs</a>`, "docs (https://x.y/z)"},
		{"link same as text", `<a href="https://x.y/">https://x.y</a>`, "https://x.y"},
		{"mailto", `<a href="mailto:a@b.c">a@b.c</a> and <a href="mailto:a@b.c">write</a>`, "a@b.c and write (mailto:a@b.c)"},
		{"anchor and js", `<a href="#top">up</a> <a href="javascript:x()">run</a>`, "up run"},
		{"empty link", `<a href="https://t.example/pixel"></a>end`, "end"},
		{"ul", "<ul><li>one</li><li>two</li></ul>after", "- one\n- two\n\nafter"},
		{"ol nested", "<ol><li>a<ul><li>x</li></ul></li><li>b</li></ol>", "1. a\n  - x\n2. b"},
		{"blockquote", "<p>reply</p><blockquote><p>quoted</p><p>more</p></blockquote><p>end</p>", "reply\n\n> quoted\n>\n> more\n\nend"},
		{"pre", "<pre>  code\n    indented</pre>after", "  code\n    indented\n\nafter"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "a b\nc d"},
		{"img alt", `<img src="x.png" alt="Logo"> text`, "Logo text"},
		{"hidden chars", "a\u200bb\u00adc", "abc"},
		{"unclosed", "<div><p>open <b>bold", "open bold"},
		{"comment", "a<!-- <p>hidden</p> -->b", "ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, trunc := htmlToText(tc.in, maxHTMLText)
			eq(t, "text", got, tc.want)
			eq(t, "truncated", trunc, false)
		})
	}
}

func TestHTMLToTextDeepAndLarge(t *testing.T) {
	// Deep nesting must not recurse or go quadratic.
	const n = 50000
	deep := strings.Repeat("<div><blockquote><ul><li>", n) + "core" + strings.Repeat("</li></ul></blockquote></div>", n)
	start := time.Now()
	got, _ := htmlToText(deep, maxHTMLText)
	t.Logf("deep HTML: %v", time.Since(start))
	if !strings.Contains(got, "core") {
		t.Errorf("lost text in deep HTML")
	}
	// Output is capped.
	big := strings.Repeat("<p>"+strings.Repeat("word ", 100)+"</p>", 5000)
	got, trunc := htmlToText(big, 1<<16)
	eq(t, "truncated", trunc, true)
	if len(got) > 1<<16+1024 {
		t.Errorf("output %d bytes, cap 64 KiB", len(got))
	}
}

func TestHTMLTextCapInMessage(t *testing.T) {
	body := strings.Repeat("<p>"+strings.Repeat("lorem ipsum ", 100)+"</p>\n", 1200)
	m := parseOK(t, []byte("Content-Type: text/html\n\n"+body))
	if len(m.Text) > maxHTMLText+1024 {
		t.Errorf("Text is %d bytes", len(m.Text))
	}
	wantProblem(t, m, "truncated")
	eq(t, "HTML kept whole", len(m.HTML), len(body))
}
