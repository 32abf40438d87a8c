package httpsafe

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestContentDispositionKeepsTheNameAndOnlyASCIIInTheFallback(t *testing.T) {
	got := ContentDisposition(`Facture "été" 100%.pdf`, "x")
	want := `attachment; filename="Facture _t_ 100_.pdf"; filename*=UTF-8''Facture%20%22%C3%A9t%C3%A9%22%20100%25.pdf`
	if !strings.HasPrefix(got, `attachment; filename="Facture _`) || !strings.Contains(got, `filename*=UTF-8''Facture%20%22%C3%A9t%C3%A9%22%20100%25.pdf`) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := ContentDisposition("", "attachment-7"); got != `attachment; filename="attachment-7"; filename*=UTF-8''attachment-7` {
		t.Errorf("fallback: %s", got)
	}
}

func TestOnlyRasterImagesAreShownInline(t *testing.T) {
	for ct, want := range map[string]bool{"image/png": true, "IMAGE/JPEG; name=a.jpg": true, "image/gif": true, "image/webp": true,
		"image/svg+xml": false, "text/html": false, "": false, "image/png;;;": false} {
		if got := InlineImage(ct); got != want {
			t.Errorf("InlineImage(%q) = %v, want %v", ct, got, want)
		}
	}
	w := httptest.NewRecorder()
	FileHeaders(w, "a.png", "image/png", 3, true, "f")
	if d := w.Header().Get("Content-Disposition"); !strings.HasPrefix(d, "inline; filename=") {
		t.Errorf("inline disposition: %s", d)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("a file must be sandboxed: %s", csp)
	}
}

func TestHostileHTMLLosesScriptsAndRemoteLoads(t *testing.T) {
	w := httptest.NewRecorder()
	WriteHTML(w, `<p onclick="x()">Hi<script>alert(1)</script><img src="https://tracker.example/p.gif"><iframe src="https://evil.example"></iframe><a href="javascript:alert(1)">x</a></p>`)
	body := w.Body.String()
	for _, bad := range []string{"<script", "onclick", "<iframe", "javascript:"} {
		if strings.Contains(body, bad) {
			t.Errorf("sanitised HTML still holds %q: %s", bad, body)
		}
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, need := range []string{"default-src 'none'", "sandbox", "img-src data:"} {
		if !strings.Contains(csp, need) {
			t.Errorf("CSP %q lacks %q", csp, need)
		}
	}
}
