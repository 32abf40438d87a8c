package download

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/tickets"
)

// files holds one attachment of property 1; a broken one fails like a database that is down.
type files struct{ broken bool }

func (f files) AttachmentInfo(_ context.Context, propertyID, id int64) (tickets.Attachment, error) {
	if f.broken {
		return tickets.Attachment{}, errors.New("database is down")
	}
	if propertyID != 1 || id != 5 {
		return tickets.Attachment{}, tickets.ErrNotFound
	}
	return tickets.Attachment{ID: 5, Filename: "r\u00e9sum\u00e9.html", ContentType: "text/html", Size: 5}, nil
}

func (f files) WriteAttachment(_ context.Context, propertyID, id int64, w io.Writer) (int64, error) {
	n, err := io.WriteString(w, "<b>x\n")
	return int64(n), err
}

func TestTheLinkOfAFileServesItAsADownloadOnly(t *testing.T) {
	secret := []byte("secret of the test")
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	h := Handler{Files: files{}, Secret: secret, Now: func() time.Time { return now }}
	tok := filelink.Sign(secret, filelink.Claims{AttachmentID: 5, PropertyID: 1, Expires: now.Add(time.Hour)})
	do := func(h Handler, method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	w := do(h, "GET", filelink.Path+tok)
	if w.Code != 200 || w.Body.String() != "<b>x\n" || w.Header().Get("Content-Type") != "text/html" ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment; ") || w.Header().Get("Content-Security-Policy") != "default-src 'none'; sandbox" ||
		w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("GET: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w := do(h, "HEAD", filelink.Path+tok); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "5" {
		t.Fatalf("HEAD: %d %v", w.Code, w.Header())
	}
	for name, c := range map[string]struct {
		h      Handler
		method string
		path   string
		status int
	}{
		"a POST":                {h, "POST", filelink.Path + tok, http.StatusMethodNotAllowed},
		"a forged link":         {h, "GET", filelink.Path + filelink.Sign([]byte("other"), filelink.Claims{AttachmentID: 5, PropertyID: 1, Expires: now.Add(time.Hour)}), http.StatusNotFound},
		"another property's":    {h, "GET", filelink.Path + filelink.Sign(secret, filelink.Claims{AttachmentID: 5, PropertyID: 2, Expires: now.Add(time.Hour)}), http.StatusNotFound},
		"a file that is gone":   {h, "GET", filelink.Path + filelink.Sign(secret, filelink.Claims{AttachmentID: 6, PropertyID: 1, Expires: now.Add(time.Hour)}), http.StatusNotFound},
		"an expired link":       {h, "GET", filelink.Path + filelink.Sign(secret, filelink.Claims{AttachmentID: 5, PropertyID: 1, Expires: now}), http.StatusGone},
		"a path below the link": {h, "GET", filelink.Path + tok + "/x", http.StatusNotFound},
		"a database down":       {Handler{Files: files{broken: true}, Secret: secret, Now: h.Now}, "GET", filelink.Path + tok, http.StatusInternalServerError},
	} {
		w := do(c.h, c.method, c.path)
		if w.Code != c.status || w.Header().Get("Content-Disposition") != "" || strings.Contains(w.Body.String(), "<b>") || strings.Contains(w.Body.String(), "database") {
			t.Errorf("%s: %d %q, want %d", name, w.Code, w.Body, c.status)
		}
	}
}
