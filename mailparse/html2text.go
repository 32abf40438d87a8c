package mailparse

import (
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Bounds for the HTML→text converter. It walks the token stream once and
// keeps no element tree, so memory and time are linear in the input and
// independent of nesting depth; only the list stack is kept, and capped.
const (
	maxListDepth  = 32
	maxQuoteShown = 10
)

// textWriter accumulates readable text with collapsed whitespace, pending
// line breaks and "> " prefixes for blockquotes.
type textWriter struct {
	b      strings.Builder
	limit  int
	full   bool
	nl     int  // line breaks wanted before the next text: 1 newline, 2 blank line
	trail  int  // newlines already at the end of b
	space  bool // a space is wanted before the next word on this line
	col    int
	quote  int
	bullet string // list marker waiting for the item's first text
}

// brk asks for at least n line breaks before the next text.
func (w *textWriter) brk(n int) {
	if n > w.nl {
		w.nl = n
	}
	w.space = false
}

// lineBreak is <br>: one more line break than is already pending, at most a
// blank line.
func (w *textWriter) lineBreak() {
	cur := w.nl
	if w.trail > cur {
		cur = w.trail
	}
	if cur < 2 {
		cur++
	}
	w.nl = cur
	w.space = false
}

func (w *textWriter) quoteMarks() string {
	q := w.quote
	if q > maxQuoteShown {
		q = maxQuoteShown
	}
	return strings.Repeat(">", q)
}

func (w *textWriter) flush() {
	if w.b.Len() == 0 {
		w.nl = 0
		return
	}
	for w.trail < w.nl {
		if w.trail >= 1 && w.quote > 0 {
			w.b.WriteString(w.quoteMarks()) // blank line inside a quote
		}
		w.b.WriteByte('\n')
		w.trail++
		w.col = 0
	}
	w.nl = 0
}

// raw writes s (no newlines) as the next piece of the current line.
func (w *textWriter) raw(s string, sep bool) {
	if w.full || s == "" {
		return
	}
	w.flush()
	if w.col == 0 {
		if w.quote > 0 {
			m := w.quoteMarks() + " "
			w.b.WriteString(m)
			w.col += len(m)
		}
		if w.bullet != "" {
			w.b.WriteString(w.bullet)
			w.b.WriteByte(' ')
			w.col += len(w.bullet) + 1
			w.bullet = ""
		}
	} else if sep && w.space {
		w.b.WriteByte(' ')
		w.col++
	}
	w.space = false
	w.b.WriteString(s)
	w.col += len(s)
	w.trail = 0
	if w.b.Len() >= w.limit {
		w.full = true
	}
}

// hardNewline ends the current line (inside <pre>).
func (w *textWriter) hardNewline() {
	if w.full {
		return
	}
	w.flush()
	w.b.WriteByte('\n')
	w.trail++
	w.col = 0
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// text writes flowing text with whitespace collapsed (HTML §4.4 rendering of
// normal white-space).
func (w *textWriter) text(s string) {
	start := -1
	for i := 0; i <= len(s) && !w.full; i++ {
		if i == len(s) || isHTMLSpace(s[i]) {
			if start >= 0 {
				w.raw(s[start:i], true)
				start = -1
			}
			if i < len(s) {
				w.space = true
			}
		} else if start < 0 {
			start = i
		}
	}
}

// preText writes preformatted text, keeping line breaks and spaces.
func (w *textWriter) preText(s string) {
	for !w.full {
		i := strings.IndexByte(s, '\n')
		line := s
		if i >= 0 {
			line = s[:i]
		}
		w.raw(strings.TrimRight(line, "\r"), false)
		if i < 0 {
			return
		}
		w.hardNewline()
		s = s[i+1:]
	}
}

type listState struct {
	ordered bool
	n       int
}

// paragraph elements get a blank line around them, line elements a newline.
func blockBreak(a atom.Atom) int {
	switch a {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table,
		atom.Dl, atom.Hr, atom.Figure, atom.Center, atom.Address, atom.Fieldset:
		return 2
	case atom.Div, atom.Tr, atom.Dt, atom.Dd, atom.Section, atom.Article, atom.Header,
		atom.Footer, atom.Nav, atom.Aside, atom.Main, atom.Caption, atom.Details,
		atom.Summary, atom.Option, atom.Legend, atom.Form, atom.Tbody, atom.Thead, atom.Tfoot:
		return 1
	}
	return 0
}

// hiddenRaw are raw-text elements whose content is not for reading.
func hiddenRaw(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Title, atom.Noscript, atom.Iframe, atom.Noembed, atom.Noframes, atom.Template:
		return true
	}
	return false
}

// htmlToText renders HTML as readable plain text: paragraphs and line
// breaks, list items ("- ", "1. "), blockquotes as "> ", link targets kept
// as "text (url)", script/style/head content dropped. Output stops after
// about limit bytes; truncated reports that.
func htmlToText(src string, limit int) (string, bool) {
	z := html.NewTokenizer(strings.NewReader(src))
	w := &textWriter{limit: limit}
	// The text is rarely longer than its HTML and never much longer than the
	// limit: sized once, it is not copied over and over as it grows.
	w.b.Grow(min(len(src), limit) + 64)
	var lists []listState
	overflow, pre, hidden := 0, 0, 0
	inHead := false
	href, hrefStart := "", -1
	for !w.full {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if hidden > 0 || inHead {
				continue
			}
			// The text writer copies what it keeps, so the tokenizer's
			// buffer is read in place rather than copied to a string first.
			if t := z.Text(); pre > 0 {
				w.preText(unsafeString(t))
			} else {
				w.text(unsafeString(t))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			var attrHref, attrAlt string
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "href":
					attrHref = string(v)
				case "alt":
					attrAlt = string(v)
				}
			}
			if hiddenRaw(a) {
				// The tokenizer reads these as raw text even when written
				// self-closing, so count those too (except template).
				if tt == html.StartTagToken || a != atom.Template {
					hidden++
				}
				continue
			}
			if hidden > 0 {
				continue
			}
			switch a {
			case atom.Head:
				inHead = tt == html.StartTagToken
			case atom.Body:
				inHead = false
			case atom.Br:
				w.lineBreak()
			case atom.Ul, atom.Ol:
				if len(lists) < maxListDepth {
					lists = append(lists, listState{ordered: a == atom.Ol})
				} else {
					overflow++
				}
				if len(lists) == 1 && overflow == 0 {
					w.brk(2)
				} else {
					w.brk(1)
				}
			case atom.Li:
				w.brk(1)
				bullet := "-"
				indent := 0
				if len(lists) > 0 {
					l := &lists[len(lists)-1]
					indent = len(lists) - 1
					if l.ordered {
						l.n++
						bullet = strconv.Itoa(l.n) + "."
					}
				}
				w.bullet = strings.Repeat("  ", indent) + bullet
			case atom.Blockquote:
				w.brk(2)
				w.flush() // the blank line before the quote carries no ">"
				w.quote++
			case atom.Pre, atom.Xmp, atom.Listing, atom.Plaintext:
				w.brk(2)
				pre++
			case atom.Td, atom.Th:
				w.space = true
			case atom.A:
				href, hrefStart = strings.TrimSpace(attrHref), w.b.Len()
			case atom.Img:
				if alt := strings.TrimSpace(attrAlt); alt != "" {
					w.text(alt)
					w.space = true
				}
			default:
				if n := blockBreak(a); n > 0 {
					w.brk(n)
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if hiddenRaw(a) {
				if hidden > 0 {
					hidden--
				}
				continue
			}
			if hidden > 0 {
				continue
			}
			switch a {
			case atom.Head:
				inHead = false
			case atom.Ul, atom.Ol:
				if overflow > 0 {
					overflow--
				} else if len(lists) > 0 {
					lists = lists[:len(lists)-1]
				}
				w.bullet = ""
				if len(lists) == 0 {
					w.brk(2)
				} else {
					w.brk(1)
				}
			case atom.Li:
				w.brk(1)
				w.bullet = ""
			case atom.Blockquote:
				w.brk(2)
				if w.quote > 0 {
					w.quote--
				}
			case atom.Pre, atom.Xmp, atom.Listing:
				if pre > 0 {
					pre--
				}
				w.brk(2)
			case atom.A:
				if href != "" && hrefStart >= 0 && hrefStart <= w.b.Len() {
					anchor := w.b.String()[hrefStart:]
					if showHref(anchor, href) {
						w.space = true
						w.raw("("+href+")", true)
					}
				}
				href, hrefStart = "", -1
			default:
				if n := blockBreak(a); n > 0 {
					w.brk(n)
				}
			}
		}
	}
	out := w.b.String()
	if strings.ContainsAny(out, invisibleRunes) {
		out = invisibleReplacer.Replace(out)
	}
	out = strings.TrimRight(strings.TrimLeft(out, "\n"), " \t\n")
	return cleanString(out), w.full
}

// invisibleRunes are the characters that do not survive as themselves in
// the text: no-break space becomes a space, the invisible ones are dropped.
const invisibleRunes = "\u00a0\u00ad\u200b\ufeff\u034f"

var invisibleReplacer = strings.NewReplacer("\u00a0", " ", "\u00ad", "", "\u200b", "", "\ufeff", "", "\u034f", "")

// unsafeString views b as a string for as long as b is not written to; the
// callers only copy from it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// showHref decides whether a link target adds information beyond the anchor
// text: not for fragments, scripts, inline images, or when the text already
// is the URL or address.
func showHref(anchor, href string) bool {
	lh := strings.ToLower(href)
	for _, p := range []string{"#", "javascript:", "cid:", "data:", "about:"} {
		if strings.HasPrefix(lh, p) {
			return false
		}
	}
	text := strings.ToLower(strings.Join(strings.Fields(anchor), " "))
	if text == "" {
		return false
	}
	norm := func(s string) string {
		for _, p := range []string{"mailto:", "tel:", "http://", "https://", "www."} {
			s = strings.TrimPrefix(s, p)
		}
		return strings.TrimRight(s, "/")
	}
	return norm(text) != norm(lh)
}
