package replytrim

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The HTML side renders the body to text lines and remembers which DOM
// nodes each line came from. The plain-text rules then decide which lines
// belong to the reply, and the nodes of the other lines are deleted: the
// trimmed HTML and the trimmed text are the same decision, not two
// heuristics that may disagree.

// hline is one rendered line.
type hline struct {
	text   []byte
	prefix int          // length of the synthetic "> " quote prefix at the start of text
	nodes  []*html.Node // leaves (text, <br>, <img>, empty elements) rendered on this line
	force  byte         // class imposed by the markup, 0 when none
	image  bool         // holds an image: not blank even without text
}

// renderer walks a DOM and produces lines.
type renderer struct {
	lines     []hline
	cur       hline
	started   bool // cur holds content or nodes
	depth     int  // <blockquote> nesting
	pre       int  // <pre> nesting: keep white space and line breaks
	force     byte // class imposed on the lines being rendered
	forceRest byte // class imposed on everything from here to the end (Outlook)
	gapAfter  bool // a paragraph ended: put a blank line before the next one
}

// isSkipped reports whether elements a have no visible text.
func isSkipped(a atom.Atom) bool {
	switch a {
	case atom.Head, atom.Script, atom.Style, atom.Title, atom.Template, atom.Noscript,
		atom.Object, atom.Svg, atom.Math, atom.Select, atom.Iframe:
		return true
	}
	return false
}

// isBlock reports whether elements a start and end lines.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Dd,
		atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Dt, atom.Fieldset,
		atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Header, atom.Hgroup, atom.Li, atom.Main, atom.Menu,
		atom.Nav, atom.Ol, atom.P, atom.Pre, atom.Section, atom.Summary, atom.Table,
		atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr, atom.Ul, atom.Caption, atom.Body,
		atom.Html, atom.Legend:
		return true
	}
	return false
}

// start opens cur if needed: the quote prefix and the imposed class are
// those in force where the line's first content is.
func (r *renderer) start() {
	if r.started {
		return
	}
	if r.gapAfter && len(r.lines) > 0 && len(r.lines[len(r.lines)-1].text) > 0 {
		r.lines = append(r.lines, hline{})
	}
	r.gapAfter = false
	r.started = true
	if r.depth > 0 {
		r.cur.text = append(r.cur.text, strings.Repeat(">", r.depth)...)
		r.cur.text = append(r.cur.text, ' ')
		r.cur.prefix = len(r.cur.text)
	}
	r.cur.force = r.force
	if r.forceRest != 0 {
		r.cur.force = r.forceRest
	}
}

// end closes cur; an empty line is only produced when asked (<br>) or when
// cur holds nodes.
func (r *renderer) end(always bool) {
	if !r.started && !always {
		return
	}
	r.start()
	line := r.cur
	// Trailing spaces come from collapsed white space, never from the text;
	// a line of no-break spaces is Outlook's blank line (<p>&nbsp;</p>).
	if strings.TrimSpace(string(line.text[line.prefix:])) == "" {
		line.text = line.text[:line.prefix]
		if line.prefix > 0 { // an empty quote line is ">", not "> "
			line.prefix--
			line.text = line.text[:line.prefix]
		}
	}
	for len(line.text) > line.prefix && line.text[len(line.text)-1] == ' ' {
		line.text = line.text[:len(line.text)-1]
	}
	r.lines = append(r.lines, line)
	r.cur = hline{}
	r.started = false
}

func (r *renderer) addNode(n *html.Node) {
	r.start()
	r.cur.nodes = append(r.cur.nodes, n)
}

// addText adds the text of a text node, collapsing white space outside <pre>.
func (r *renderer) addText(n *html.Node) {
	s := strings.ReplaceAll(n.Data, "\x00", "")
	if r.pre > 0 {
		for i, part := range strings.Split(s, "\n") {
			if i > 0 {
				r.end(true)
			}
			r.addNode(n)
			r.cur.text = append(r.cur.text, part...)
		}
		return
	}
	collapsed := collapseHTMLSpace(s)
	if collapsed == "" {
		return
	}
	if collapsed == " " && (!r.started || len(r.cur.text) == r.cur.prefix) {
		return // white space between blocks
	}
	r.addNode(n)
	if collapsed[0] == ' ' && (len(r.cur.text) == r.cur.prefix || r.cur.text[len(r.cur.text)-1] == ' ') {
		collapsed = collapsed[1:]
	}
	r.cur.text = append(r.cur.text, collapsed...)
}

// collapseHTMLSpace replaces each run of HTML white space by one space.
// No-break spaces are content in HTML and stay.
func collapseHTMLSpace(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r', '\f':
			if !space {
				b.WriteByte(' ')
				space = true
			}
		default:
			b.WriteByte(c)
			space = false
		}
	}
	return b.String()
}

// walk renders n and its descendants.
func (r *renderer) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		r.addText(n)
		return
	case html.DocumentNode:
		r.walkChildren(n)
		return
	case html.ElementNode:
	default:
		return
	}
	if isSkipped(n.DataAtom) {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		r.addNode(n)
		r.end(true)
		return
	case atom.Img:
		r.addNode(n)
		r.cur.image = true
		return
	case atom.Hr:
		r.end(false)
		r.addNode(n)
		r.end(true)
		return
	case atom.Td, atom.Th:
		if r.started && len(r.cur.text) > r.cur.prefix {
			r.cur.text = append(r.cur.text, ' ')
		}
	}

	saveForce := r.force
	if f := markupClass(n); f != 0 {
		if f == forceRestOfMail {
			r.end(false)
			r.forceRest = clsHeader
		} else {
			r.force = f
		}
	}
	block := isBlock(n.DataAtom)
	if block {
		r.end(false)
	}
	if n.DataAtom == atom.Blockquote {
		r.depth++
	}
	if n.DataAtom == atom.Pre {
		r.pre++
	}
	if n.DataAtom == atom.Li {
		r.start()
		r.cur.text = append(r.cur.text, "- "...)
	}
	if n.FirstChild == nil {
		r.addNode(n) // an empty element goes with the line it is on
	}
	r.walkChildren(n)
	if n.DataAtom == atom.Pre {
		r.pre--
	}
	if n.DataAtom == atom.Blockquote {
		r.depth--
	}
	if block {
		r.end(false)
		// Paragraphs are separated by a blank line, except Outlook's, which
		// uses <p class=MsoNormal> for every line and writes its blank lines.
		if n.DataAtom == atom.P && !hasClass(n, "MsoNormal") {
			r.gapAfter = true
		}
	}
	r.force = saveForce
}

func (r *renderer) walkChildren(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.walk(c)
	}
}

// render returns the lines of the DOM under root.
func render(root *html.Node) []hline {
	r := &renderer{}
	r.walk(root)
	r.end(false)
	return r.lines
}

// attr returns the value of n's attribute key, "" when absent.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// hasClass reports whether n's class attribute holds class (case-insensitive).
func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if strings.EqualFold(c, class) {
			return true
		}
	}
	return false
}
