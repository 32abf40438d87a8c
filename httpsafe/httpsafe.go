// Package httpsafe writes the answers that show customers' content in a browser, for the API and
// the web inbox alike: a message's HTML sanitised, under a CSP that lets it load nothing and run
// nothing, in a sandbox; a file as a download, never rendered in our origin.
package httpsafe

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// HTMLCSP lets a sanitised message show its text and embedded images, nothing else: no scripts,
// no remote loads (tracking pixels), no forms, in a sandbox. Only our own pages may frame it.
const HTMLCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"

// policy is bluemonday's UGC policy, with images embedded as data: URIs kept and every other
// image, frame or media source emptied: a remote image is a tracking pixel (the CSP would block
// it too).
var policy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowDataURIImages()
	p.RewriteSrc(func(u *url.URL) {
		if u != nil && !strings.EqualFold(u.Scheme, "data") {
			*u = url.URL{}
		}
	})
	return p
}()

// Sanitize is html with everything that could run, load from elsewhere or submit removed.
func Sanitize(html string) string { return policy.Sanitize(html) }

// WriteHTML answers with a message's HTML, sanitised, under HTMLCSP.
func WriteHTML(w http.ResponseWriter, html string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", HTMLCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<meta charset=\"utf-8\">\n%s\n", Sanitize(html))
}

// FileHeaders sets the headers of a file answer: its media type (octet-stream when it has none
// that parses), its size, and a disposition — attachment, or inline for an image shown as a
// picture — with a CSP sandbox so nothing in it runs even when a browser renders it.
func FileHeaders(w http.ResponseWriter, filename, contentType string, size int64, inline bool, fallback string) {
	ct := "application/octet-stream"
	if mt, params, err := mime.ParseMediaType(contentType); err == nil && strings.Contains(mt, "/") {
		ct = mime.FormatMediaType(mt, params)
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	disp := ContentDisposition(filename, fallback)
	if inline {
		disp = "inline" + strings.TrimPrefix(disp, "attachment")
	}
	h.Set("Content-Disposition", disp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
}

// InlineImage tells whether a file may be shown as a picture: the raster formats browsers
// decode, never SVG (which holds script) or anything else.
func InlineImage(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch strings.ToLower(mt) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// ContentDisposition is "attachment" with the file name twice, as RFC 6266 §4.3 advises: an
// ASCII fallback in filename, the real name in filename* (RFC 8187, UTF-8, percent-encoded).
func ContentDisposition(name, fallback string) string {
	if name == "" {
		name = fallback
	}
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, rfc8187(name))
}

// rfc8187 percent-encodes every byte that is not an attr-char (RFC 8187 §3.2.1).
func rfc8187(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
