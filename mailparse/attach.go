package mailparse

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// decodeTransfer undoes the Content-Transfer-Encoding (RFC 2045 §6). aliased
// reports that the result shares memory with body (identity encodings).
// uuencode is not decoded: the text stays readable as is.
func decodeTransfer(body []byte, cte string, note noteFunc) (out []byte, aliased bool) {
	switch cte {
	case "base64":
		out, broken := decodeBase64(body)
		if broken {
			note.note("damaged base64, decoded what could be decoded")
		}
		return out, false
	case "quoted-printable":
		out, broken := decodeQP(body)
		if broken {
			note.note("invalid quoted-printable escapes kept as is")
		}
		return out, false
	case "", "7bit", "8bit", "binary", "x-uuencode", "uuencode", "x-uue":
		return body, true
	}
	note.note(fmt.Sprintf("unknown Content-Transfer-Encoding %q, body kept as is", clip(cte, 40)))
	return body, true
}

func cleanContentID(v string) string {
	v, _ = stripComments(v)
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "<")
	if i := strings.IndexByte(v, '>'); i >= 0 {
		v = v[:i]
	}
	v, _ = fallback8bit(strings.TrimSpace(v))
	return cleanString(v)
}

// escapeCID gives the URL-escaped form of a Content-ID, as RFC 2392 cid: URLs
// percent-encode characters not allowed in URLs.
func escapeCID(cid string) string { return url.PathEscape(cid) }

func (p *parser) addAttachment(typ string, ct, disp mediaValue, h textproto.Header, body []byte, cte string, c walkCtx, note noteFunc, e *Entity) {
	var data []byte
	if !p.noData {
		var aliased bool
		data, aliased = decodeTransfer(body, cte, note)
		if aliased {
			data = bytes.Clone(data) // raw must not be retained
		}
	}
	a := Attachment{
		ContentType: typ,
		ContentID:   cleanContentID(h.Get("Content-Id")),
		Data:        data,
	}
	// RFC 2183: inline disposition; RFC 2387: parts of multipart/related are
	// resources of the root document unless marked as attachments.
	a.Inline = disp.value == "inline" || (c.related && disp.value == "" && a.ContentID != "")
	name := disp.params["filename"]
	if name == "" {
		name = ct.params["name"]
	}
	a.Filename = sanitizeFilename(name)
	if a.Filename == "" {
		a.Filename = defaultFilename(typ, len(p.msg.Attachments)+1)
	}
	p.msg.Attachments = append(p.msg.Attachments, a)
	e.leafData(data)
}

// attachedMessage stores message/rfc822 (RFC 2046 §5.2.1) and message/global
// (RFC 6532 §3.5) parts as .eml attachments and records their outline.
func (p *parser) attachedMessage(ct, disp mediaValue, h textproto.Header, body []byte, cte string, c walkCtx, note noteFunc, e *Entity) {
	data, aliased := decodeTransfer(body, cte, note)
	ih, ibody, _, _ := splitHeader(skipEnvelopeLine(data))
	if e != nil {
		e.Enclosed = &ih
		if ih.Len() == 0 && len(data) > 0 && (data[0] == '\n' || data[0] == '\r') {
			// Blank lines before the attached header (seen in returned
			// messages): the header the classifier wants is below them.
			e.Enclosed = enclosedHeader(data)
		}
	}
	if !c.outline {
		stored := data
		switch {
		case p.noData:
			stored = nil
		case aliased:
			stored = bytes.Clone(data)
		}
		name := disp.params["filename"]
		if name == "" {
			name = ct.params["name"]
		}
		name = sanitizeFilename(name)
		if name == "" {
			subj := cleanString(foldSpace(decodeHeaderText(ih.Get("Subject"), nil)))
			if subj = sanitizeFilename(clipPlain(subj, 100)); subj != "" {
				name = subj + ".eml"
			} else {
				name = "message.eml"
			}
		}
		p.msg.Attachments = append(p.msg.Attachments, Attachment{
			Filename:    name,
			ContentType: "message/rfc822",
			ContentID:   cleanContentID(h.Get("Content-Id")),
			Inline:      disp.value == "inline",
			Data:        stored,
		})
		if e != nil {
			e.Data = stored
		}
	}
	if c.depth >= maxDepth || p.parts >= maxParts {
		return
	}
	ic := c
	ic.depth++
	ic.outline = true
	ic.defType = "text/plain"
	p.walk(ih, ibody, ic)
}

// clipPlain shortens s to at most n bytes on a rune boundary.
func clipPlain(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sanitizeFilename makes a decoded filename safe to store and serve: no
// directories (RFC 2183 §2.3 warns about paths), no control characters or
// NUL, no leading dots, at most 255 bytes. "" means no usable name.
func sanitizeFilename(name string) string {
	name = cleanString(name)
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < ' ' || r == 0x7F || (r >= 0x80 && r < 0xA0) || r == 0xFFFD:
			continue
		case r == 0x2028 || r == 0x2029 || r == 0x202E || r == 0x202D:
			continue // line separators and bidi overrides that disguise extensions
		}
		b.WriteRune(r)
	}
	name = strings.TrimSpace(b.String())
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if len(name) > 255 {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		name = clipPlain(name, 255-len(ext)) + ext
	}
	return name
}

var extByType = map[string]string{
	"application/pdf": ".pdf", "application/zip": ".zip", "application/x-zip-compressed": ".zip",
	"application/gzip": ".gz", "application/x-gzip": ".gz", "application/json": ".json",
	"application/xml": ".xml", "text/xml": ".xml", "application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.ms-excel": ".xls", "application/vnd.ms-powerpoint": ".ppt",
	"application/pkcs7-signature": ".p7s", "application/x-pkcs7-signature": ".p7s",
	"application/pkcs7-mime": ".p7m", "application/x-pkcs7-mime": ".p7m",
	"application/pgp-signature": ".asc", "application/pgp-encrypted": ".asc", "application/pgp-keys": ".asc",
	"text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "text/x-vcalendar": ".vcs",
	"text/vcard": ".vcf", "text/x-vcard": ".vcf", "text/directory": ".vcf", "application/vcard": ".vcf",
	"text/csv": ".csv", "text/rfc822-headers": ".txt", "message/delivery-status": ".txt",
	"message/global-delivery-status": ".txt", "message/disposition-notification": ".txt",
	"message/feedback-report": ".txt", "image/jpeg": ".jpg", "image/pjpeg": ".jpg",
	"image/svg+xml": ".svg", "image/tiff": ".tif", "image/x-icon": ".ico",
	"audio/mpeg": ".mp3", "video/mp4": ".mp4",
}

// defaultFilename names an attachment that came without a name.
func defaultFilename(typ string, n int) string {
	ext, ok := extByType[typ]
	if !ok {
		ext = ".bin"
		if sub, found := strings.CutPrefix(typ, "image/"); found && isAlnum(sub) && len(sub) <= 8 {
			ext = "." + sub
		}
	}
	if strings.HasPrefix(typ, "image/") {
		return "image" + ext
	}
	return fmt.Sprintf("attachment-%d%s", n, ext)
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}
