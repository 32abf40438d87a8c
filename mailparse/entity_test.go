package mailparse

import (
	"encoding/base64"
	"strings"
	"testing"
	"unsafe"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// A bounce's parts, as the classifier reads them from the tree: the report
// text, the delivery-status fields and the returned header, each decoded
// once by Parse.
func TestEntityTreeOfReport(t *testing.T) {
	m := parseOK(t, crlf(`From: MAILER-DAEMON@mx.example
Content-Type: multipart/report; report-type=delivery-status; boundary=r

--r
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Die Nachricht ist unzustellbar: =FCberpr=FCfen Sie die Adresse.
--r
Content-Type: message/delivery-status
Content-Transfer-Encoding: base64

`+b64("Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@x.example\r\nAction: failed\r\n")+`
--r
Content-Type: text/rfc822-headers


Message-ID: <orig@helpdesk.example>
To: a@x.example
--r
Content-Type: message/disposition-notification

Original-Message-ID: <mdn@helpdesk.example>
Disposition: automatic-action/MDN-sent-automatically; displayed
--r--
`))
	root := m.Root
	if root == nil || root.Type != "multipart/report" || root.Params["report-type"] != "delivery-status" || len(root.Children) != 4 {
		t.Fatalf("root = %+v", root)
	}
	text, ds, hdrs, mdn := root.Children[0], root.Children[1], root.Children[2], root.Children[3]
	eq(t, "text", text.Text, "Die Nachricht ist unzustellbar: überprüfen Sie die Adresse.")
	eq(t, "text enclosed", text.Enclosed == nil, true)
	eq(t, "delivery-status type", ds.Type, "message/delivery-status")
	if !strings.Contains(string(ds.Data), "Final-Recipient: rfc822; a@x.example") {
		t.Errorf("delivery-status data = %q", ds.Data)
	}
	eq(t, "delivery-status enclosed", ds.Enclosed == nil, true) // several blocks: its reader splits them
	if hdrs.Enclosed == nil {
		t.Fatal("text/rfc822-headers without its header")
	}
	eq(t, "returned Message-ID", hdrs.Enclosed.Get("Message-Id"), "<orig@helpdesk.example>")
	eq(t, "returned To", hdrs.Enclosed.Get("To"), "a@x.example")
	if mdn.Enclosed == nil {
		t.Fatal("disposition notification without its fields")
	}
	eq(t, "MDN original", mdn.Enclosed.Get("Original-Message-Id"), "<mdn@helpdesk.example>")
	eq(t, "entity header", ds.Header.Get("Content-Transfer-Encoding"), "base64")
}

// An attached message gives its header as Enclosed and its bytes as Data;
// the entities inside it are not built (Parts has their outline).
func TestEntityOfAttachedMessage(t *testing.T) {
	raw := crlf(`Content-Type: multipart/mixed; boundary=o

--o
Content-Type: text/plain

see below
--o
Content-Type: message/rfc822

Message-ID: <inner@example.org>
Content-Type: multipart/alternative; boundary=i

--i
Content-Type: text/plain

inner
--i--
--o--
`)
	m := parseOK(t, raw)
	att := m.Root.Children[1]
	eq(t, "type", att.Type, "message/rfc822")
	eq(t, "enclosed id", att.Enclosed.Get("Message-Id"), "<inner@example.org>")
	eq(t, "children", len(att.Children), 0)
	if !strings.HasPrefix(string(att.Data), "Message-ID: <inner@example.org>") {
		t.Errorf("data = %q", att.Data)
	}
	eq(t, "outline", len(m.Parts), 5)
	if pt := ParseText(raw); pt.Root.Children[1].Data != nil || pt.Root.Children[1].Enclosed == nil {
		t.Errorf("ParseText: data %d bytes, enclosed %v", len(pt.Root.Children[1].Data), pt.Root.Children[1].Enclosed)
	}
}

// A multipart whose boundary never appears is read as text: the tree says
// so with Text on the multipart itself.
func TestEntityOfBrokenMultipart(t *testing.T) {
	m := parseOK(t, crlf(`Content-Type: multipart/mixed; boundary=nothere

This message could not be delivered.
`))
	eq(t, "type", m.Root.Type, "multipart/mixed")
	eq(t, "children", len(m.Root.Children), 0)
	eq(t, "text", m.Root.Text, "This message could not be delivered.\n")
	if Parse(nil).Root != nil {
		t.Error("an empty message has a root entity")
	}
}

// checkEntities holds the tree to its promises (FuzzParse runs it on every
// input): one entity per part outside attached messages, in the order of
// Parts, none deeper than maxDepth, and no body sharing memory with raw.
func checkEntities(t *testing.T, raw []byte, m *Message) {
	t.Helper()
	inRaw := func(p unsafe.Pointer) bool {
		if len(raw) == 0 || p == nil {
			return false
		}
		lo := uintptr(unsafe.Pointer(&raw[0]))
		return uintptr(p) >= lo && uintptr(p) < lo+uintptr(len(raw))
	}
	n := 0
	var visit func(e *Entity, depth int)
	visit = func(e *Entity, depth int) {
		if depth > maxDepth {
			t.Fatalf("entity at depth %d", depth)
		}
		if n >= len(m.Parts) || m.Parts[n].ContentType != e.Type {
			t.Fatalf("entity %d (%s) does not match Parts %v", n, e.Type, m.Parts)
		}
		n++
		if len(e.Data) > 0 && inRaw(unsafe.Pointer(&e.Data[0])) {
			t.Fatal("entity data aliases the input")
		}
		if e.Text != "" && inRaw(unsafe.Pointer(unsafe.StringData(e.Text))) {
			t.Fatal("entity text aliases the input")
		}
		for _, c := range e.Children {
			visit(c, depth+1)
		}
		// Parts inside an attached message are outlined, not built.
		for n < len(m.Parts) && m.Parts[n].Depth > depth && len(e.Children) == 0 && e.Enclosed != nil {
			n++
		}
	}
	if m.Root != nil {
		visit(m.Root, 0)
	}
	if n > len(m.Parts) {
		t.Fatalf("%d entities for %d parts", n, len(m.Parts))
	}
}
