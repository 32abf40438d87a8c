package rating

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/tickets"
)

// Mail security scanners (Outlook's Safe Links, Proofpoint, Mimecast…) fetch every link of a
// mail as it arrives, some in a browser that runs its scripts. So a GET records nothing: it
// shows the page of the link's choice, with the comment form; the rating is recorded by the POST
// of that form, which re-checks the token, when the customer presses its one button. No script
// auto-submits it — a scanner that runs scripts would then rate at random, the last of the three
// links it fetched winning. The page has no script at all, loads nothing from elsewhere, and is
// served under a CSP that allows only its own inline style (by hash) and posting to itself.

// Store is what the page reads and writes (tickets.Store).
type Store interface {
	RatingTarget(ctx context.Context, propertyID, ticketID int64) (tickets.RatingTarget, error)
	Rate(ctx context.Context, r tickets.NewRating) (tickets.RatingTarget, error)
}

// Handler serves Path + token: GET (and HEAD) the page, POST the rating.
type Handler struct {
	Store  Store
	Secret []byte           // the server secret the links are signed under
	Now    func() time.Time // nil: time.Now
	Log    *slog.Logger     // nil: discarded
}

// maxForm bounds a POST's body: a comment of MaxRatingComment characters, form-encoded.
const maxForm = 32 << 10

//go:embed page.html locales/*.json
var files embed.FS

var page = template.Must(template.New("page.html").ParseFS(files, "page.html"))

// css is the page's only style; the CSP names its hash.
const css = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;margin:0}
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}
h1{font-size:1.25rem;margin:0 0 .5rem}.ticket{color:#57606a;margin-top:0}.note{color:#57606a;font-size:.875rem}
.msg{font-weight:600}.choice{font-weight:700}.good{color:#1a7f37}.okay{color:#9a6700}.bad{color:#cf222e}
textarea{width:100%;box-sizing:border-box;font:inherit}button{font:inherit;padding:.4rem 1rem}`

// CSP is the page's Content-Security-Policy: nothing but its own style, forms posted to itself.
var CSP = "default-src 'none'; style-src 'sha256-" + hashOf(css) + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(h[:])
}

// texts are the page's words per language (locales/*.json).
var texts = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range []string{"en", "es", "fr", "it"} {
		b, err := files.ReadFile("locales/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("rating: locales/%s.json: %v", l, err))
		}
		out[l] = m
	}
	return out
}()

// lang is the page's language for a property's locale: its base language when the page has it,
// else English (as the mails: "fr-CA" is French).
func lang(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if _, ok := texts[l]; ok {
		return l
	}
	return "en"
}

// choice is one answer as the page links it.
type choice struct {
	Choice, Label, URL string
}

// view is what page.html shows.
type view struct {
	Lang, Property, Ticket, Message, Until string
	Form                                   bool
	Choice, ChoiceLabel, Comment, Button   string
	Note                                   string
	Others                                 []choice
	MaxComment                             int
	CSS                                    template.CSS
}

// T is the page's word for key.
func (v view) T(key string) string { return texts[v.Lang][key] }

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Robots-Tag", "noindex, nofollow")
	hd.Set("Cache-Control", "private, no-store")
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		hd.Set("Allow", "GET, HEAD, POST")
		plain(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	token, ok := strings.CutPrefix(r.URL.Path, Path)
	if !ok || strings.Contains(token, "/") {
		plain(w, http.StatusNotFound, "not found")
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
	// The POST checks the token again, as the GET did: the form is no credential of its own.
	c, err := Verify(h.Secret, token, now())
	if err != nil && !errors.Is(err, ErrExpired) {
		plain(w, http.StatusNotFound, "not found")
		return
	}
	t, terr := h.Store.RatingTarget(r.Context(), c.PropertyID, c.TicketID)
	if terr != nil {
		if errors.Is(terr, tickets.ErrNotFound) {
			plain(w, http.StatusNotFound, "not found")
			return
		}
		log.ErrorContext(r.Context(), "rating: read the ticket", slog.Int64("ticket_id", c.TicketID), slog.Any("err", terr))
		plain(w, http.StatusInternalServerError, "try again later")
		return
	}
	v := h.view(t, c)
	if err != nil { // expired
		v.Message = v.T("expired")
		h.write(w, r, http.StatusGone, v)
		return
	}
	if r.Method != http.MethodPost {
		v.Form, v.Button, v.Note = true, v.T("send"), v.T("press")
		if t.Rating != nil {
			v.Message = fmt.Sprintf(v.T("current"), v.T(t.Rating.Rating), templates.FormatDate(v.Lang, t.Rating.ChangedAt))
			v.Comment = t.Rating.Comment
		}
		h.write(w, r, http.StatusOK, v)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		plain(w, http.StatusRequestEntityTooLarge, "the comment is too long")
		return
	}
	t, err = h.Store.Rate(r.Context(), tickets.NewRating{PropertyID: c.PropertyID, TicketID: c.TicketID, ClosedAt: c.ClosedAt,
		Rating: c.Choice, Comment: r.PostForm.Get("comment")})
	switch {
	case errors.Is(err, tickets.ErrRatingStale):
		v.Message = v.T("stale")
		h.write(w, r, http.StatusConflict, v)
		return
	case errors.Is(err, tickets.ErrNotFound):
		plain(w, http.StatusNotFound, "not found")
		return
	case err != nil:
		log.ErrorContext(r.Context(), "rating: record", slog.Int64("ticket_id", c.TicketID), slog.Any("err", err))
		v.Message = v.T("error")
		h.write(w, r, http.StatusInternalServerError, v)
		return
	}
	log.InfoContext(r.Context(), "ticket rated", slog.Int64("property_id", c.PropertyID), slog.Int64("ticket", t.Number), slog.String("rating", c.Choice))
	v.Message = fmt.Sprintf(v.T("thanks"), v.T(c.Choice))
	v.Until = fmt.Sprintf(v.T("until"), templates.FormatDate(v.Lang, c.Expires()))
	v.Form, v.Button, v.Comment = true, v.T("update"), t.Rating.Comment
	h.write(w, r, http.StatusOK, v)
}

// view is the page of link c on ticket t, before what the request makes of it.
func (h Handler) view(t tickets.RatingTarget, c Claims) view {
	v := view{Lang: lang(t.Property.Locale), Property: t.Property.Name, Choice: c.Choice, MaxComment: tickets.MaxRatingComment, CSS: template.CSS(css)}
	subject := t.Subject
	if strings.TrimSpace(subject) == "" {
		subject = v.T("no_subject")
	}
	v.Ticket = fmt.Sprintf(v.T("ticket"), t.Number, subject)
	v.ChoiceLabel = v.T(c.Choice)
	for _, ch := range Choices {
		if ch != c.Choice {
			o := c
			o.Choice = ch
			v.Others = append(v.Others, choice{Choice: ch, Label: v.T(ch), URL: Path + Sign(h.Secret, o)})
		}
	}
	return v
}

func (h Handler) write(w http.ResponseWriter, r *http.Request, status int, v view) {
	var b strings.Builder
	if err := page.Execute(&b, v); err != nil {
		plain(w, http.StatusInternalServerError, "try again later")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", CSP)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, b.String())
	}
}

// plain answers status with a short text that names nothing of the ticket.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
