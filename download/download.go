// Package download serves the signed links of filelink without a session: GET /files/<token>
// answers the one attachment the token names, read within the token's property only, as a
// download (httpsafe's headers: attachment disposition, nosniff, a sandbox CSP). A malformed,
// forged or other-property link, or one whose file is gone (a purged ticket), is 404; a genuine
// link past its expiry is 410. Neither says more.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/httpsafe"
	"github.com/postdesk/postdesk/tickets"
)

// Files is what a download reads: an attachment's row, then its bytes in pieces, both within one
// property (tickets.Store).
type Files interface {
	AttachmentInfo(ctx context.Context, propertyID, attachmentID int64) (tickets.Attachment, error)
	WriteAttachment(ctx context.Context, propertyID, attachmentID int64, w io.Writer) (int64, error)
}

// Handler serves filelink.Path + token.
type Handler struct {
	Files  Files
	Secret []byte           // the server secret the links are signed with
	Now    func() time.Time // nil: time.Now
	Log    *slog.Logger     // nil: discarded
}

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		refuse(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	token, ok := strings.CutPrefix(r.URL.Path, filelink.Path)
	if !ok || strings.Contains(token, "/") {
		refuse(w, http.StatusNotFound, "not found")
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := filelink.Verify(h.Secret, token, now())
	if errors.Is(err, filelink.ErrExpired) {
		refuse(w, http.StatusGone, "this link has expired: open the ticket in the web inbox, or ask for the file again")
		return
	}
	if err != nil {
		refuse(w, http.StatusNotFound, "not found")
		return
	}
	a, err := h.Files.AttachmentInfo(r.Context(), c.PropertyID, c.AttachmentID)
	if err != nil {
		if !errors.Is(err, tickets.ErrNotFound) {
			log.ErrorContext(r.Context(), "download: attachment", slog.Int64("attachment_id", c.AttachmentID), slog.Any("err", err))
			refuse(w, http.StatusInternalServerError, "the file cannot be read now; try again later")
			return
		}
		refuse(w, http.StatusNotFound, "not found")
		return
	}
	httpsafe.FileHeaders(w, a.Filename, a.ContentType, a.Size, false, fmt.Sprintf("attachment-%d", a.ID))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := h.Files.WriteAttachment(r.Context(), c.PropertyID, a.ID, w); err != nil {
		// The headers are out: cut the answer short, so the client sees an incomplete download
		// rather than a wrong file.
		log.WarnContext(r.Context(), "download: attachment cut short", slog.Int64("attachment_id", a.ID), slog.Any("err", err))
		panic(http.ErrAbortHandler)
	}
}

// refuse answers status with a short plain text that names nothing of the file.
func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
