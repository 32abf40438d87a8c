package api

import (
	"errors"
	"fmt"
	"math"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/postdesk/postdesk/intake"
	"github.com/postdesk/postdesk/mailer/compose"
	"github.com/postdesk/postdesk/mailer/inbound"
	"github.com/postdesk/postdesk/templates"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

// FormHeader marks a message that came from the contact form.
const FormHeader = "X-Postdesk-Form"

const (
	maxFormName    = 200
	maxFormSubject = 300
	maxFormMessage = 32 << 10
)

type formBody struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Message string `json:"message"`
	Subject string `json:"subject"`
}

// form takes a message from a website's contact form, without a token, and opens a ticket
// exactly as a mail would: it is written as an RFC 5322 message from the visitor and goes through
// the intake pipeline (acknowledgement, threading, de-duplication, notifications).
func (s *Server) form(w http.ResponseWriter, r *http.Request) {
	// Any origin may post (a form on the property's website); no credentials are involved.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if err := s.takeForm(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

// formPreflight answers a browser's CORS preflight for a cross-origin JSON post of the form.
func (s *Server) formPreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) takeForm(w http.ResponseWriter, r *http.Request) error {
	if ok, wait := s.allowForm(r); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return apiErr(http.StatusTooManyRequests, codeRateLimited, "", "too many messages from your address: try again in %d s", int(math.Ceil(wait.Seconds())))
	}
	if s.cfg.Deliver == nil {
		return apiErr(http.StatusServiceUnavailable, codeUnavailable, "", "the contact form is not available")
	}
	p, err := s.store.PropertyBySlug(r.Context(), r.PathValue("slug"))
	if errors.Is(err, tickets.ErrNotFound) {
		return apiErr(http.StatusNotFound, codeNotFound, "", "not found")
	}
	if err != nil {
		return err
	}
	b, err := readForm(w, r)
	if err != nil {
		return err
	}
	if err := b.check(); err != nil {
		return err
	}
	// Anyone may post the form: an agent's address there would pass for mail from the agent.
	if _, err := s.store.AgentByEmail(r.Context(), p.ID, b.Email); err == nil {
		return formInvalid("email", "%q is an address of this helpdesk's agents; use your own", b.Email)
	} else if !errors.Is(err, tickets.ErrNotFound) {
		return err
	}
	raw, err := s.formMessage(p, b)
	if err != nil {
		return err
	}
	// Delivered as mail sent to the property's forwarding address would be: the same contract,
	// with the visitor's address as the envelope sender.
	m := inbound.Message{Source: inbound.Form, EnvelopeFrom: b.Email, Raw: raw}
	if res := inbound.DeliverTo(r.Context(), s.cfg.Deliver, m, inbound.Property{Property: p}); res.Err != nil {
		return fmt.Errorf("api: form: %w", res.Err)
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "received"})
	return nil
}

// readForm reads JSON or an HTML form post (application/x-www-form-urlencoded, where other
// fields — a submit button — are ignored).
func readForm(w http.ResponseWriter, r *http.Request) (formBody, error) {
	var b formBody
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		return b, decode(w, r, &b, maxJSONBody)
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return b, err
			}
			return b, apiErr(http.StatusBadRequest, codeBadRequest, "", "the form body cannot be read: %v", err)
		}
		f := r.PostForm
		return formBody{Name: f.Get("name"), Email: f.Get("email"), Message: f.Get("message"), Subject: f.Get("subject")}, nil
	}
	return b, apiErr(http.StatusUnsupportedMediaType, codeMediaType, "", "send application/json or application/x-www-form-urlencoded")
}

// formInvalid is a form value the visitor must correct (422, naming the field).
func formInvalid(field, format string, args ...any) *Error {
	return apiErr(http.StatusUnprocessableEntity, codeInvalid, field, format, args...)
}

func (b *formBody) check() error {
	b.Name = strings.Join(strings.Fields(b.Name), " ")
	b.Email = strings.TrimSpace(b.Email)
	b.Subject = strings.Join(strings.Fields(b.Subject), " ")
	b.Message = strings.TrimSpace(strings.ToValidUTF8(b.Message, "\uFFFD"))
	for field, v := range map[string]string{"name": b.Name, "email": b.Email, "subject": b.Subject, "message": b.Message} {
		if badText(v) {
			return formInvalid(field, "%s holds a NUL byte or invalid UTF-8", field)
		}
	}
	switch {
	case b.Name == "":
		return formInvalid("name", "your name is required")
	case len(b.Name) > maxFormName:
		return formInvalid("name", "the name is longer than %d bytes", maxFormName)
	case b.Email == "":
		return formInvalid("email", "your email address is required")
	case !tickets.ValidEmail(b.Email):
		return formInvalid("email", "%q is not an email address", b.Email)
	case b.Message == "":
		return formInvalid("message", "the message is empty")
	case len(b.Message) > maxFormMessage:
		return formInvalid("message", "the message is longer than %d bytes", maxFormMessage)
	case len(b.Subject) > maxFormSubject:
		return formInvalid("subject", "the subject is longer than %d bytes", maxFormSubject)
	}
	return nil
}

// formMessage writes the visitor's message as the mail they would have sent.
func (s *Server) formMessage(p tickets.Property, b formBody) ([]byte, error) {
	// Anyone can post the form under any address: a "[#N]" in its subject must not slip the post
	// into that person's ticket (subject-tag threading trusts a participant's address). A form
	// post always opens a ticket of its own.
	subject := threading.StripTags(b.Subject)
	if subject == "" {
		// In the property's language: the customer's acknowledgement and the agents' mail show it.
		subject = templates.FormSubject(p.Locale)
	}
	raw, err := compose.Build(compose.Mail{
		From:      mail.Address{Name: b.Name, Address: b.Email},
		To:        []mail.Address{{Name: p.Name, Address: intake.ForwardingAddress(p.Slug, s.cfg.Domain)}},
		Subject:   subject,
		MessageID: tickets.NewMessageID(s.cfg.Domain),
		Header:    map[string]string{FormHeader: "1"},
		Text:      strings.ReplaceAll(strings.ReplaceAll(b.Message, "\r\n", "\n"), "\n", "\r\n") + "\r\n",
		Date:      s.store.Now(),
	})
	if err != nil {
		return nil, fmt.Errorf("api: form message: %w", err)
	}
	return raw, nil
}

// clientIP is the address the request came from — for IPv6, its /64, which one client holds
// whole. Behind a reverse proxy that is the proxy's: forwarded headers are not trusted, since
// anyone can send them.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// networkKey is the client's wider network: its IPv4 /24 or IPv6 /48. One holder of a routed
// IPv6 prefix has 65,536 /64s; the network bucket keeps them to one budget.
func networkKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return host
	case ip.To4() != nil:
		return ip.Mask(net.CIDRMask(24, 32)).String() + "/24"
	}
	return ip.Mask(net.CIDRMask(48, 128)).String() + "/48"
}

// allowForm applies the form's three budgets: per client, per network (4 clients' worth) and
// for the whole server (60 clients' worth); the first that is spent answers.
func (s *Server) allowForm(r *http.Request) (bool, time.Duration) {
	if ok, wait := s.forms.allow(clientIP(r)); !ok {
		return ok, wait
	}
	if ok, wait := s.formNets.allow(networkKey(r)); !ok {
		return ok, wait
	}
	return s.formAll.allow("")
}

// maxBuckets bounds a limiter's memory: with that many clients seen in the last minute, a new
// one waits.
const maxBuckets = 100_000

// limiter is a token bucket per key: burst tokens, one more every per/burst.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	every   time.Duration
	now     func() time.Time
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, per time.Duration, now func() time.Time) *limiter {
	return &limiter{burst: float64(burst), every: per / time.Duration(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for key, or says how long until one is there.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			return false, l.every
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}

// sweep forgets the buckets that are full again, once a minute, so the map does not grow with
// every address ever seen.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := l.every * time.Duration(l.burst)
	for k, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, k)
		}
	}
}
