// Package mailbox keeps the support mailboxes postdesk polls over IMAP: where they are, how to log
// in (the password sealed at rest), what to do with a message once it is a ticket, how far the
// import has got (the UIDVALIDITY/UID checkpoint) and which instance holds the lease to poll it.
// The polling itself is in package mailer/imapfetch.
package mailbox

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Sentinel errors callers branch on.
var (
	ErrNotFound = errors.New("mailbox: not found")
	ErrExists   = errors.New("mailbox: already exists")
	ErrInvalid  = errors.New("mailbox: invalid")
	// ErrLeaseLost means another instance holds the mailbox now: the caller must stop polling it.
	ErrLeaseLost = errors.New("mailbox: lease lost")
)

// TLS modes.
const (
	TLSImplicit = "implicit" // TLS from the first byte (IMAPS, RFC 8314 §3.2)
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (RFC 9051 §6.2.1)
	TLSNone     = "none"     // no encryption: tests and local servers only
)

// DefaultPort is the usual port for a TLS mode.
func DefaultPort(tlsMode string) int {
	if tlsMode == TLSImplicit {
		return 993
	}
	return 143
}

// After-action kinds.
const (
	AfterSeen   = "seen"
	AfterMove   = "move"
	AfterDelete = "delete"
)

// After is what happens to a message once its delivery is committed.
type After struct {
	Kind   string // AfterSeen, AfterMove or AfterDelete
	Folder string // for AfterMove
}

// ParseAfter reads "seen", "move:FOLDER" or "delete".
func ParseAfter(s string) (After, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || strings.EqualFold(s, AfterSeen):
		return After{Kind: AfterSeen}, nil
	case strings.EqualFold(s, AfterDelete):
		return After{Kind: AfterDelete}, nil
	case len(s) > len(AfterMove)+1 && strings.EqualFold(s[:len(AfterMove)+1], AfterMove+":"):
		folder := strings.TrimSpace(s[len(AfterMove)+1:])
		if folder == "" || strings.ContainsAny(folder, "\r\n\x00") {
			break
		}
		return After{Kind: AfterMove, Folder: folder}, nil
	}
	return After{}, fmt.Errorf("%w: after-action %q: use seen, move:FOLDER or delete", ErrInvalid, s)
}

func (a After) String() string {
	if a.Kind == AfterMove {
		return AfterMove + ":" + a.Folder
	}
	return a.Kind
}

// Mailbox is a support mailbox to poll, with its checkpoint and lease.
type Mailbox struct {
	ID          int64      `db:"id"`
	PropertyID  int64      `db:"property_id"`
	Property    string     `db:"property"` // the property's slug
	Host        string     `db:"host"`
	Port        int        `db:"port"`
	TLS         string     `db:"tls_mode"`
	Username    string     `db:"username"`
	Secret      []byte     `db:"secret"` // sealed password; see Store.Password
	Folder      string     `db:"folder"`
	AfterAction string     `db:"after_action"`
	Since       *time.Time `db:"since_at"`
	UIDValidity int64      `db:"uidvalidity"`
	LastUID     int64      `db:"last_uid"`
	ScanUntil   int64      `db:"scan_until"`
	Imported    int64      `db:"imported"`
	Backlog     *int64     `db:"backlog"`
	LastPollAt  *time.Time `db:"last_poll_at"`
	LastError   string     `db:"last_error"`
	LeaseOwner  string     `db:"lease_owner"`
	LeaseUntil  *time.Time `db:"lease_until"`
	CreatedAt   time.Time  `db:"created_at"`
	// GrantID is the OAuth2 grant the mailbox logs in with (nil: its password); OAuthProvider,
	// OAuthUser and SignInNeededAt are the grant's.
	GrantID        *int64     `db:"oauth_grant_id"`
	OAuthProvider  string     `db:"oauth_provider"`
	OAuthUser      string     `db:"oauth_user"`
	SignInNeededAt *time.Time `db:"signin_needed_at"`
	// Paused: an admin paused it (Store.Pause); nobody polls it until it is resumed.
	Paused bool `db:"-"`
}

// OAuth reports whether the mailbox logs in with an OAuth2 grant.
func (m Mailbox) OAuth() bool { return m.GrantID != nil }

// After returns the parsed after-action (a stored one is always valid).
func (m Mailbox) After() After {
	a, err := ParseAfter(m.AfterAction)
	if err != nil {
		return After{Kind: AfterSeen}
	}
	return a
}

// Addr is host:port.
func (m Mailbox) Addr() string { return net.JoinHostPort(m.Host, fmt.Sprint(m.Port)) }

// String names the mailbox for logs and listings: never with its password.
func (m Mailbox) String() string { return m.Username + "@" + m.Addr() + "/" + m.Folder }

// New is what it takes to add a mailbox.
type New struct {
	PropertyID int64
	Host       string
	Port       int    // 0: the default for the TLS mode
	TLS        string // "": implicit
	Username   string
	Password   string
	// OAuth: the mailbox logs in with GrantID's access token (SASL XOAUTH2 or OAUTHBEARER) as
	// Username, and has no password. GrantID is set before Add.
	OAuth   bool
	GrantID int64
	Folder  string // "": INBOX
	After   string // "": seen
	// Since, when set, imports the mail already there that was received on or after it; by default
	// only mail arriving after the first poll is imported.
	Since *time.Time
}

// Normalise checks n and fills in its defaults (Add does it; the CLI calls it before it tries the
// settings out).
func (n *New) Normalise() error {
	n.Host = strings.ToLower(strings.TrimSpace(n.Host))
	if n.Host == "" || strings.ContainsAny(n.Host, " /\r\n\x00") {
		return fmt.Errorf("%w: host %q", ErrInvalid, n.Host)
	}
	n.TLS = strings.ToLower(strings.TrimSpace(n.TLS))
	switch n.TLS {
	case "":
		n.TLS = TLSImplicit
	case TLSImplicit, TLSStartTLS, TLSNone:
	default:
		return fmt.Errorf("%w: TLS mode %q: use implicit, starttls or none", ErrInvalid, n.TLS)
	}
	if n.Port == 0 {
		n.Port = DefaultPort(n.TLS)
	}
	if n.Port < 1 || n.Port > 65535 {
		return fmt.Errorf("%w: port %d", ErrInvalid, n.Port)
	}
	n.Username = strings.TrimSpace(n.Username)
	if n.Username == "" || strings.ContainsAny(n.Username, "\r\n\x00") {
		return fmt.Errorf("%w: user name must be one non-empty line", ErrInvalid)
	}
	switch {
	case n.OAuth && n.Password != "":
		return fmt.Errorf("%w: a mailbox signed in with OAuth2 has no password", ErrInvalid)
	case !n.OAuth && (n.Password == "" || strings.ContainsAny(n.Password, "\r\n\x00")):
		return fmt.Errorf("%w: password must be one non-empty line", ErrInvalid)
	}
	n.Folder = strings.TrimSpace(n.Folder)
	if n.Folder == "" {
		n.Folder = "INBOX"
	}
	if strings.ContainsAny(n.Folder, "\r\n\x00") {
		return fmt.Errorf("%w: folder %q", ErrInvalid, n.Folder)
	}
	a, err := ParseAfter(n.After)
	if err != nil {
		return err
	}
	if a.Kind == AfterMove && a.Folder == n.Folder {
		return fmt.Errorf("%w: moving messages to the folder they are read from would import them forever", ErrInvalid)
	}
	n.After = a.String()
	return nil
}

// keyInfo separates this use of the server secret from its others (reply tokens sign with it,
// DKIM keys are sealed under another key).
const keyInfo = "postdesk mailbox key"

// aad binds a sealed password to the account it belongs to: a ciphertext copied into another row
// does not open.
func aad(host, username string) []byte {
	return []byte("postdesk mailbox v1\x00" + strings.ToLower(host) + "\x00" + username)
}

// SplitSharedUser reads the account of an OAuth2 mailbox: the account that signs in, or
// "ACCOUNT\SHARED" for a Microsoft 365 shared mailbox the account may open (the shared address
// is then the IMAP user).
func SplitSharedUser(user string) (signIn, imapUser string) {
	if a, b, ok := strings.Cut(user, `\`); ok {
		return strings.TrimSpace(a), strings.TrimSpace(b)
	}
	return strings.TrimSpace(user), strings.TrimSpace(user)
}

// UseOAuth makes n a mailbox that logs in with an OAuth2 grant as imapUser, on the provider's
// IMAP server (providerIMAP, host:port, implicit TLS) when n names no host, and checks it
// (Normalise).
func (n *New) UseOAuth(providerIMAP, imapUser string) error {
	if strings.TrimSpace(n.Host) == "" {
		host, port, err := net.SplitHostPort(providerIMAP)
		if err != nil {
			return fmt.Errorf("%w: the provider's IMAP server %q", ErrInvalid, providerIMAP)
		}
		n.Host, n.TLS = host, TLSImplicit
		fmt.Sscan(port, &n.Port)
	}
	n.Username, n.OAuth, n.Password = imapUser, true, ""
	return n.Normalise()
}
