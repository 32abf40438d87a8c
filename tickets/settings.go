package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// What an admin may change, and who may change whom: the rules the API and the web inbox's
// admin pages both apply, so they hold in one place.

// PropertySettings are the settings of a property an admin changes; nil fields stay as they are.
type PropertySettings struct {
	Name        *string
	FromAddress *string // "" : none (mail goes out from the forwarding address)
	// ReopenWindowSecs is the reopen window in seconds (Property.ReopenWindow).
	ReopenWindowSecs *int64
	IgnoreListMail   *bool
	// Locale is the language of the property's mails: a locale of the mail templates.
	Locale      *string
	Acknowledge *bool
	CloseMail   *bool
	// AttachLimit is Property.AttachLimit, in bytes.
	AttachLimit *int64
}

// Empty reports whether the settings change nothing.
func (ps PropertySettings) Empty() bool { return ps == PropertySettings{} }

// LocaleChecker tells whether the mail templates know a locale (templates.CheckLocale).
type LocaleChecker func(locale string) error

// Check refuses a value before anything changes, naming its field: a refused change changes
// nothing. A locale the templates do not know is an ErrInvalid naming "locale".
func (ps PropertySettings) Check(checkLocale LocaleChecker) error {
	if ps.Name != nil && (strings.TrimSpace(*ps.Name) == "" || strings.ContainsAny(*ps.Name, "\r\n")) {
		return paramErr("name", "a property's name is one non-empty line")
	}
	if ps.FromAddress != nil && *ps.FromAddress != "" && !ValidEmail(strings.TrimSpace(*ps.FromAddress)) {
		return paramErr("from_address", "from_address %q is not an email address", *ps.FromAddress)
	}
	if ps.ReopenWindowSecs != nil && *ps.ReopenWindowSecs < 0 {
		return paramErr("reopen_window_secs", "reopen_window_secs is a number of seconds, not negative")
	}
	if ps.AttachLimit != nil && (*ps.AttachLimit < 0 || *ps.AttachLimit > MaxSize) {
		return paramErr("attach_limit", "attach_limit is a number of bytes from 0 (always links) to %d", int64(MaxSize))
	}
	if ps.Locale != nil && checkLocale != nil {
		if err := checkLocale(*ps.Locale); err != nil {
			return &LocaleError{Msg: strings.TrimPrefix(err.Error(), "templates: ")}
		}
	}
	return nil
}

// LocaleError is a locale the mail templates do not know (an ErrInvalid).
type LocaleError struct{ Msg string }

func (e *LocaleError) Error() string { return "tickets: invalid: " + e.Msg }
func (e *LocaleError) Unwrap() error { return ErrInvalid }

// ChangeSettings checks ps (Check) and then applies it.
func (s *Store) ChangeSettings(ctx context.Context, propertyID int64, ps PropertySettings, checkLocale LocaleChecker) error {
	if err := ps.Check(checkLocale); err != nil {
		return err
	}
	if ps.Name != nil || ps.FromAddress != nil || ps.ReopenWindowSecs != nil {
		e := PropertyEdit{Name: ps.Name, FromAddress: ps.FromAddress}
		if ps.ReopenWindowSecs != nil {
			d := time.Duration(*ps.ReopenWindowSecs) * time.Second
			e.ReopenWindow = &d
		}
		if err := s.EditProperty(ctx, propertyID, e); err != nil {
			return err
		}
	}
	if ps.AttachLimit != nil {
		if err := s.SetAttachLimit(ctx, propertyID, *ps.AttachLimit); err != nil {
			return err
		}
	}
	if ps.CloseMail != nil {
		if err := s.SetCloseMail(ctx, propertyID, *ps.CloseMail); err != nil {
			return err
		}
	}
	if ps.Acknowledge != nil {
		if err := s.SetAcknowledge(ctx, propertyID, *ps.Acknowledge); err != nil {
			return err
		}
	}
	if ps.Locale != nil {
		if err := s.SetLocale(ctx, propertyID, *ps.Locale); err != nil {
			return err
		}
	}
	if ps.IgnoreListMail != nil {
		if err := s.SetIgnoreListMail(ctx, propertyID, *ps.IgnoreListMail); err != nil {
			return err
		}
	}
	return nil
}

// ErrForbidden means the acting agent's role does not allow a change.
var ErrForbidden = errors.New("forbidden")

// ForbiddenError is a change the acting agent may not make, naming the input it is about.
type ForbiddenError struct {
	Field string
	Msg   string
}

func (e *ForbiddenError) Error() string { return "tickets: forbidden: " + e.Msg }
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

func forbidden(field, format string, args ...any) *ForbiddenError {
	return &ForbiddenError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// MayGrant checks that by may give the agent email the role: nobody grants a role above their
// own, nor changes themselves (demoting yourself could leave the property with no owner or
// admin to undo it). MayChange checks the agent as they are now.
func MayGrant(by Agent, email, role string) error {
	if RoleRank(role) > RoleRank(by.Role) {
		return forbidden("role", "you are %s: you cannot grant %s", by.Role, role)
	}
	if strings.EqualFold(strings.TrimSpace(email), by.Email) {
		return forbidden("email", "you cannot change your own role or name; ask another admin or owner")
	}
	return nil
}

// MayChange checks that by may change or remove agent a: nobody changes an agent who ranks
// above them, nor removes themselves.
func MayChange(by Agent, a Agent) error {
	if strings.EqualFold(a.Email, by.Email) {
		return forbidden("email", "you cannot remove yourself; ask another admin or owner")
	}
	if RoleRank(a.Role) > RoleRank(by.Role) {
		return forbidden("email", "%s is %s, above you", a.Email, a.Role)
	}
	return nil
}
