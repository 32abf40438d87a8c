package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/postdesk/postdesk/httpsafe"
	"github.com/postdesk/postdesk/tickets"
)

const flashCookie = "pd_flash"

// flash keeps a notice for the next page, after a redirect (the text in the agent's language).
func (s *Server) flash(w http.ResponseWriter, r *http.Request, key string, args ...any) {
	text := translate(s.prefsOf(r).lang, key, args...)
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(text)), Path: "/",
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure || r.TLS != nil})
}

// takeFlash reads the notice and clears it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(b) > 500 {
		return ""
	}
	return string(b)
}

func isNotFound(err error) bool { return errors.Is(err, tickets.ErrNotFound) }
func isInvalid(err error) bool  { return errors.Is(err, tickets.ErrInvalid) }
func itoa(n int) string         { return strconv.Itoa(n) }

// Snooze presets, in the agent's time zone.
var snoozePresets = []string{"later", "tomorrow", "3days", "nextweek"}

// snoozeUntil is when a snooze preset ends, from now in loc: later today (18:00, or three hours
// from now in the evening), tomorrow 09:00, in three days at 09:00, next Monday 09:00; or a
// date and time typed in loc ("custom").
func snoozeUntil(preset, custom string, now time.Time, loc *time.Location) (time.Time, error) {
	n := now.In(loc)
	at := func(days, hour int) time.Time {
		return time.Date(n.Year(), n.Month(), n.Day()+days, hour, 0, 0, 0, loc)
	}
	switch preset {
	case "later":
		if n.Hour() < 15 {
			return at(0, 18), nil
		}
		return n.Add(3 * time.Hour).Truncate(time.Minute), nil
	case "tomorrow":
		return at(1, 9), nil
	case "3days":
		return at(3, 9), nil
	case "nextweek":
		days := (8 - int(n.Weekday())) % 7
		if days == 0 {
			days = 7
		}
		return at(days, 9), nil
	case "custom", "":
		t, err := time.ParseInLocation("2006-01-02T15:04", custom, loc)
		if err != nil {
			return time.Time{}, &tickets.ParamError{Field: "until", Msg: "give a date and time for the snooze"}
		}
		if !t.After(now) {
			return time.Time{}, &tickets.ParamError{Field: "until", Msg: "the snooze must end in the future"}
		}
		return t, nil
	}
	return time.Time{}, &tickets.ParamError{Field: "snooze", Msg: fmt.Sprintf("unknown snooze %q", preset)}
}

// export answers with the selected tickets as a JSON file, or mails it to the agent.
func (s *Server) export(w http.ResponseWriter, r *http.Request, c *call, nums []int64) error {
	if !c.can("manager") {
		s.errorPage(w, r, c, http.StatusForbidden, "err_role", "manager")
		return nil
	}
	if len(nums) > tickets.MaxExport {
		return &tickets.ParamError{Field: "n", Msg: fmt.Sprintf("export at most %d tickets at a time", tickets.MaxExport)}
	}
	ex, err := s.store.Export(r.Context(), c.prop, nums)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		return fmt.Errorf("web: export: %w", err)
	}
	filename := fmt.Sprintf("%s-tickets-%s.json", c.prop.Slug, s.cfg.Now().UTC().Format("20060102-150405"))
	if r.PostFormValue("export_to") == "mail" {
		if len(body) > tickets.MaxMailedExport {
			return &tickets.ParamError{Field: "export_to", Msg: fmt.Sprintf("the export is %d MB, too large to mail (at most %d MB): download it instead", len(body)>>20, tickets.MaxMailedExport>>20)}
		}
		if s.cfg.Mail == nil {
			s.errorPage(w, r, c, http.StatusServiceUnavailable, "err_no_mail")
			return nil
		}
		if err := s.cfg.Mail.Export(r.Context(), c.prop, c.agent, c.agent.Email, filename, len(ex.Tickets), body); err != nil {
			return err
		}
		if s.cfg.Kick != nil {
			s.cfg.Kick()
		}
		s.flash(w, r, "notice_export_mailed", len(ex.Tickets), c.agent.Email)
		back := safeNext(r.PostFormValue("back"))
		if back == "" {
			back = c.base() + "/"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", httpsafe.ContentDisposition(filename, "export.json"))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}
