package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/mailbox"
	"github.com/postdesk/postdesk/tickets"
)

// Mailboxes is what the mailboxes page needs of the IMAP mailboxes and the OAuth2 providers
// (mailbox.Store, imapfetch and mailer/oauth, adapted in webwire).
type Mailboxes interface {
	List(ctx context.Context, propertyID int64) ([]mailbox.Mailbox, error)
	Pause(ctx context.Context, propertyID, id int64) error
	Resume(ctx context.Context, propertyID, id int64) error
	Remove(ctx context.Context, propertyID, id int64) error
	// Add checks a mailbox's settings as `mailbox add` does, logs in when check, and saves it;
	// a mailbox that does not work is an ErrMailboxCheck, and nothing is saved.
	Add(ctx context.Context, n mailbox.New, check bool) (mailbox.Mailbox, error)
	// Providers lists the OAuth2 providers whose app is configured: "google", "microsoft".
	Providers() []string
	// AuthURL is a provider's authorization address for a sign-in that comes back to redirect,
	// with the PKCE challenge of verifier.
	AuthURL(provider, redirect, state, verifier, loginHint string) (string, error)
	// MayConnect refuses (ErrAccountInUse) an account whose sign-in the property's admins may
	// not replace: the relay's, or one another property's mailbox logs in with.
	MayConnect(ctx context.Context, propertyID int64, provider, account string) error
	// SignedIn exchanges the code a sign-in brought back, tries the grant (a login to the
	// mailbox to add, or to the mailbox signing in again: the server checks that the token opens
	// it), and only then keeps it as the grant of the account (a new one, or the account's
	// renewed: it no longer needs sign-in) and saves the new mailbox. A check that fails is a
	// *CheckError and nothing is saved.
	SignedIn(ctx context.Context, in SignIn) (mailbox.Mailbox, error)
}

// SignIn is a sign-in come back from the provider: the mailbox to add (New) or the property's
// mailbox signing in again (Again).
type SignIn struct {
	Provider, Redirect, Code, Verifier string
	// Account is the account that signs in (whose grant is kept).
	Account    string
	PropertyID int64
	New        *mailbox.New
	Again      *mailbox.Mailbox
}

// Errors a Mailboxes returns, which the page tells apart.
var (
	// ErrMailboxCheck means a mailbox was tried and does not work: nothing was saved
	// (a *CheckError says how far it got).
	ErrMailboxCheck = errors.New("the mailbox does not work")
	// ErrSignInFailed means the provider did not give a grant for the code (it was used or
	// expired, or the app's registration is wrong): nothing was saved.
	ErrSignInFailed = errors.New("the sign-in failed")
	// ErrAccountInUse means the account's sign-in is the relay's or opens another property's
	// mailbox: it is not changed from the web.
	ErrAccountInUse = errors.New("the account's sign-in is used elsewhere")
	// ErrGrantKept means the sign-in was checked and kept, but the mailbox could not be saved.
	ErrGrantKept = errors.New("the sign-in is kept, the mailbox not saved")
)

// Stages of a CheckError: how far the check got (what the server said is for the log only: the
// page of a property's admin must not show another server's banner).
const (
	StageRefused = "refused" // the address is not one the admin pages may connect to
	StageConnect = "connect" // no IMAP server answered there
	StageLogin   = "login"   // the server refused the login
	StageFolder  = "folder"  // logged in, the folder cannot be opened
)

// CheckError is a mailbox that was tried and does not work: nothing was saved.
type CheckError struct {
	Stage string
	Err   error
}

func (e *CheckError) Error() string   { return ErrMailboxCheck.Error() + ": " + e.Err.Error() }
func (e *CheckError) Unwrap() []error { return []error{ErrMailboxCheck, e.Err} }

// mailboxRow is a mailbox as the page shows it: never its password.
type mailboxRow struct {
	mailbox.Mailbox
	State string // "signin", "paused", "error", "ok" or "new" (never polled)
}

type mailboxesData struct {
	Mailboxes []mailboxRow
	Providers []string
	Available bool // the server polls mailboxes (Config.Mailboxes is set)
}

func (s *Server) mailboxesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	d := mailboxesData{Available: s.cfg.Mailboxes != nil}
	if s.cfg.Mailboxes != nil {
		ms, err := s.cfg.Mailboxes.List(r.Context(), c.prop.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			row := mailboxRow{Mailbox: m, State: "ok"}
			switch {
			case m.SignInNeededAt != nil:
				row.State = "signin"
			case m.Paused:
				row.State = "paused"
			case m.LastError != "":
				row.State = "error"
			case m.LastPollAt == nil:
				row.State = "new"
			}
			d.Mailboxes = append(d.Mailboxes, row)
		}
		d.Providers = s.cfg.Mailboxes.Providers()
	}
	p := s.adminPage(w, r, c, "admin_mailboxes")
	p.Data = d
	s.render(w, r, http.StatusOK, p)
	return nil
}

// mailboxes is the configured Mailboxes, or an error page saying the server has none.
func (s *Server) mailboxes(w http.ResponseWriter, r *http.Request, c *call) Mailboxes {
	if s.cfg.Mailboxes == nil {
		s.errorPage(w, r, c, http.StatusServiceUnavailable, "err_no_mailboxes")
	}
	return s.cfg.Mailboxes
}

// mailboxForm reads the settings every mailbox form shares: folder, after-action, since.
func mailboxForm(r *http.Request) (mailbox.New, error) {
	n := mailbox.New{Folder: r.PostFormValue("folder"), After: r.PostFormValue("after")}
	if n.After == "move" {
		n.After = "move:" + strings.TrimSpace(r.PostFormValue("move_to"))
	}
	if v := strings.TrimSpace(r.PostFormValue("since")); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return n, &tickets.ParamError{Field: "since", Msg: "since: use a date like 2006-01-02"}
		}
		n.Since = &t
	}
	return n, nil
}

// addMailbox adds a mailbox that logs in with a password, checked as `mailbox add` checks it
// (a login first, unless the box is unticked).
func (s *Server) addMailbox(w http.ResponseWriter, r *http.Request, c *call) error {
	boxes := s.mailboxes(w, r, c)
	if boxes == nil {
		return nil
	}
	n, err := mailboxForm(r)
	if err != nil {
		return err
	}
	n.PropertyID, n.Host, n.TLS, n.Username, n.Password = c.prop.ID, r.PostFormValue("host"), r.PostFormValue("tls"), r.PostFormValue("username"), r.PostFormValue("password")
	if v := strings.TrimSpace(r.PostFormValue("port")); v != "" {
		if n.Port, err = strconv.Atoi(v); err != nil {
			return &tickets.ParamError{Field: "port", Msg: "the port is a number"}
		}
	}
	m, err := boxes.Add(r.Context(), n, r.PostFormValue("check") == "1")
	if err != nil {
		return err
	}
	return s.changed(w, r, c, "mailboxes", "notice_mailbox_added", m.String())
}

// changeMailbox pauses, resumes or removes a mailbox of the property (removing after a
// confirmation); another property's is not found.
func (s *Server) changeMailbox(w http.ResponseWriter, r *http.Request, c *call) error {
	boxes := s.mailboxes(w, r, c)
	if boxes == nil {
		return nil
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return tickets.ErrNotFound
	}
	m, err := s.mailboxOf(r.Context(), boxes, c, id)
	if err != nil {
		return err
	}
	switch change := r.PathValue("change"); change {
	case "pause":
		err = boxes.Pause(r.Context(), c.prop.ID, id)
	case "resume":
		err = boxes.Resume(r.Context(), c.prop.ID, id)
	case "signin":
		if !m.OAuth() {
			return tickets.ErrNotFound
		}
		if err := boxes.MayConnect(r.Context(), c.prop.ID, m.OAuthProvider, m.OAuthUser); err != nil {
			return err
		}
		return s.startSignIn(w, r, c, flow{Provider: m.OAuthProvider, Account: m.OAuthUser, Mailbox: m.ID})
	case "remove":
		if r.PostFormValue("confirm") != "1" {
			p := s.newPage(r, c, "confirm")
			p.Title = p.T("confirm_title")
			p.Data = confirmData{Action: c.base() + "/admin/mailboxes/" + itoa(int(id)) + "/remove", Back: c.base() + "/admin/mailboxes",
				Message: p.T("confirm_remove_mailbox", m.String()), Yes: p.T("remove")}
			s.render(w, r, http.StatusOK, p)
			return nil
		}
		err = boxes.Remove(r.Context(), c.prop.ID, id)
	default:
		return tickets.ErrNotFound
	}
	if err != nil {
		return err
	}
	return s.changed(w, r, c, "mailboxes", "notice_mailbox_"+r.PathValue("change"), m.String())
}

// mailboxOf is the property's mailbox id (another property's is ErrNotFound).
func (s *Server) mailboxOf(ctx context.Context, boxes Mailboxes, c *call, id int64) (mailbox.Mailbox, error) {
	ms, err := boxes.List(ctx, c.prop.ID)
	if err != nil {
		return mailbox.Mailbox{}, err
	}
	for _, m := range ms {
		if m.ID == id {
			return m, nil
		}
	}
	return mailbox.Mailbox{}, tickets.ErrNotFound
}
