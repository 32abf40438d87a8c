package replytrim

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// forceRestOfMail is what markupClass returns for the start of Outlook's
// copied message: unlike the other containers it does not enclose the
// history, which follows it as siblings, so everything after it is history.
const forceRestOfMail = 'R'

// markupClass returns the class the markup imposes on the lines inside n,
// 0 when none. Mail clients mark their quotes and signatures, and those
// marks are more reliable than any reading of the text:
//
//   - Gmail: div.gmail_attr (the "On … wrote:" line inside div.gmail_quote),
//     div.gmail_signature; the quote itself is a blockquote.gmail_quote,
//     rendered as "> " lines like every blockquote;
//   - Apple Mail: blockquote type=cite, rendered as "> " lines;
//   - Thunderbird: div.moz-cite-prefix (the attribution) before its
//     blockquote, .moz-signature;
//   - Outlook: div#divRplyFwdMsg (web), div#appendonsend (web, before the
//     <hr> that opens the copy), the border-top div holding "From: … Sent:"
//     (desktop), #Signature;
//   - Yahoo: div.yahoo_quoted, which does not use blockquote.
func markupClass(n *html.Node) byte {
	if n.Type != html.ElementNode {
		return 0
	}
	id := attr(n, "id")
	switch {
	case hasClass(n, "gmail_attr"), hasClass(n, "moz-cite-prefix"):
		return clsHeader
	case hasClass(n, "gmail_signature"), attr(n, "data-smartmail") == "gmail_signature",
		hasClass(n, "moz-signature"), strings.EqualFold(id, "Signature"),
		id == "AppleMailSignature":
		return clsSignature
	case hasClass(n, "yahoo_quoted"), strings.HasPrefix(id, "yahoo_quoted"):
		return clsQuote
	case id == "divRplyFwdMsg", id == "appendonsend":
		return forceRestOfMail
	case n.DataAtom == atom.Div && isOutlookHeaderBox(n):
		return forceRestOfMail
	}
	return 0
}

// isOutlookHeaderBox recognises Outlook desktop's header box: a div with a
// top border whose text starts with a header field ("From: Bob",
// "Von: Bob", "De : Bob"…).
func isOutlookHeaderBox(n *html.Node) bool {
	style := strings.ToLower(attr(n, "style"))
	if !strings.Contains(style, "border-top") {
		return false
	}
	var b strings.Builder
	var text func(*html.Node)
	text = func(c *html.Node) {
		for ; c != nil && b.Len() < 200; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
			text(c.FirstChild)
		}
	}
	text(n.FirstChild)
	return isHeaderField(strings.TrimSpace(collapseHTMLSpace(b.String())))
}

// HTML trims an HTML body the way mail clients quote: Gmail `div.gmail_quote`/`blockquote.gmail_quote`,
// Apple Mail `blockquote type=cite`, Outlook `div#divRplyFwdMsg`/`#appendonsend`/the border-top "From:" div,
// Thunderbird `div.moz-cite-prefix` + blockquote, Yahoo `div.yahoo_quoted`, generic trailing <blockquote>,
// and signatures (`div.gmail_signature`, `.moz-signature`, `#Signature`). Returns the trimmed HTML (well-formed,
// rendered back with x/net/html) and the same trimming applied to the text rendering.
//
// The body is rendered to text lines (blockquotes as "> " lines, the
// clients' quote and signature containers imposing the class of their
// lines), the plain-text rules decide which lines are the reply, and the
// nodes of the other lines are deleted. So inline answers between quotes
// are kept exactly as in Text. A full document (with <html>, <head> or
// <body>) is rendered back whole; a fragment is rendered as a fragment.
// A body the parser refuses (elements nested beyond its limit) is trimmed
// as plain text, and the HTML returned is that text, escaped.
func HTML(body string, markers ...string) (trimmedHTML string, text Result) {
	body = strings.ReplaceAll(strings.ToValidUTF8(body, ""), "\x00", "")
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		// The parser refuses elements nested deeper than it allows (512):
		// trim the body as text and return that as HTML, rather than nothing.
		text = Text(body, markers...)
		return strings.ReplaceAll(html.EscapeString(text.Reply), "\n", "<br/>"), text
	}
	root := findElement(doc, atom.Body)
	if root == nil {
		root = doc // a frameset document
	}

	hl := render(root)
	raw := make([]string, len(hl))
	for i := range hl {
		raw[i] = string(hl[i].text)
	}
	lines, span := prepare(raw)
	force := make([]byte, len(lines))
	for i, k := 0, 0; i < len(lines); k, i = k+span[i], i+1 {
		for j := k; j < k+span[i]; j++ {
			if hl[j].force != 0 {
				force[i] = hl[j].force
			} else if hl[j].image && strings.TrimSpace(lines[i]) == "" {
				force[i] = clsText // an image is content even without text
			}
		}
	}
	cls := classify(lines, force)
	keep := decide(lines, cls, markers)
	text = assemble(lines, keep)
	if len(text.Reply) > len(body) {
		// Only for deep quote nesting: the synthetic "> " prefixes made the
		// reply longer than the input. Drop them.
		text.Reply = assembleUnprefixed(hl, span, keep)
	}

	// Back to the DOM: a node stays if any line it is on stays. Blank lines
	// at the edges of the reply go too (the <br>s left above a cut quote).
	first, last := -1, -1
	for i := range lines {
		if keep[i] && cls[i] != clsEmpty {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	kept := make(map[*html.Node]bool)
	for i, k := 0, 0; i < len(lines); k, i = k+span[i], i+1 {
		for j := k; j < k+span[i]; j++ {
			for _, n := range hl[j].nodes {
				kept[n] = kept[n] || keep[i] && i >= first && i <= last
			}
		}
	}
	touched := make(map[*html.Node]bool)
	for n, k := range kept {
		if k || n.Parent == nil {
			continue
		}
		for p := n.Parent; p != nil; p = p.Parent {
			touched[p] = true
		}
		n.Parent.RemoveChild(n)
	}
	prune(root, touched)

	var buf bytes.Buffer
	if isDocument(body, doc) {
		_ = html.Render(&buf, doc) // a bytes.Buffer never fails
	} else {
		for c := root.FirstChild; c != nil; c = c.NextSibling {
			_ = html.Render(&buf, c)
		}
	}
	return buf.String(), text
}

// assembleUnprefixed builds the reply from the kept lines without their
// synthetic quote prefixes.
func assembleUnprefixed(hl []hline, span []int, keep []bool) string {
	var reply []string
	for i, k := 0, 0; i < len(span); k, i = k+span[i], i+1 {
		if !keep[i] {
			continue
		}
		parts := make([]string, 0, span[i])
		for j := k; j < k+span[i]; j++ {
			parts = append(parts, string(hl[j].text[hl[j].prefix:]))
		}
		reply = append(reply, strings.Join(parts, " "))
	}
	return trimBlankLines(reply)
}

// prune removes the elements under n that lost nodes and have nothing
// visible left. It reports whether n still has content.
func prune(n *html.Node, touched map[*html.Node]bool) bool {
	content := false
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch c.Type {
		case html.TextNode:
			if strings.TrimSpace(strings.ReplaceAll(c.Data, "\u00a0", " ")) != "" {
				content = true
			}
		case html.ElementNode:
			if prune(c, touched) {
				content = true
			} else if touched[c] {
				n.RemoveChild(c)
			}
		}
		c = next
	}
	if n.Type == html.ElementNode && n.FirstChild == nil && !touched[n] {
		return true // an element that was empty from the start, like <img>
	}
	return content
}

// findElement returns the first element a under n, depth first.
func findElement(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}

// isDocument reports whether body is a whole document (to render back
// whole) rather than a fragment: it names <html>, <head> or <body>, or
// has something the parser put in the head (<style>, <meta>), which
// rendering the body alone would lose.
func isDocument(body string, doc *html.Node) bool {
	lower := strings.ToLower(body)
	if strings.Contains(lower, "<html") || strings.Contains(lower, "<head") || strings.Contains(lower, "<body") {
		return true
	}
	head := findElement(doc, atom.Head)
	return head != nil && head.FirstChild != nil
}
