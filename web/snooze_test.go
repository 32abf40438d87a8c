package web

import (
	"testing"
	"time"
)

func TestSnoozePresetsInTheAgentsZone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now, preset, custom, want string
	}{
		{"2026-12-03 10:00", "later", "", "2026-12-03 18:00"},    // a Thursday morning: this evening
		{"2026-12-03 16:30", "later", "", "2026-12-03 19:30"},    // late: three hours on
		{"2026-12-03 23:30", "tomorrow", "", "2026-12-04 09:00"}, // tomorrow is the next calendar day
		{"2026-12-03 10:00", "3days", "", "2026-12-06 09:00"},    // in three days, at nine
		{"2026-12-03 10:00", "nextweek", "", "2026-12-07 09:00"}, // next Monday
		{"2026-12-07 08:00", "nextweek", "", "2026-12-14 09:00"}, // on a Monday: the Monday after
		{"2026-12-06 20:00", "nextweek", "", "2026-12-07 09:00"}, // on a Sunday: tomorrow
		{"2026-03-28 10:00", "tomorrow", "", "2026-03-29 09:00"}, // across the spring DST change: 09:00 local
		{"2026-12-03 10:00", "custom", "2026-12-24T08:15", "2026-12-24 08:15"},
	} {
		got, err := snoozeUntil(c.preset, c.custom, at(c.now).UTC(), paris)
		if err != nil || !got.Equal(at(c.want)) {
			t.Errorf("%s at %s: %v (%v), want %s", c.preset, c.now, got.In(paris), err, c.want)
		}
	}
	for _, c := range []struct{ preset, custom string }{{"custom", ""}, {"custom", "2026-12-01T08:00"}, {"custom", "tomorrow"}, {"someday", ""}} {
		if _, err := snoozeUntil(c.preset, c.custom, at("2026-12-03 10:00"), paris); err == nil {
			t.Errorf("%s %q: accepted", c.preset, c.custom)
		}
	}
}

func TestSafeNextStaysOnTheSite(t *testing.T) {
	for next, want := range map[string]string{
		"/p/acme/t/3":           "/p/acme/t/3",
		"/p/acme/?view=mine":    "/p/acme/?view=mine",
		"":                      "",
		"//evil.example/":       "",
		`/\evil.example`:        "",
		"https://evil.example/": "",
		"javascript:alert(1)":   "",
		"p/acme":                "",
		"/p/a\r\nSet-Cookie: x": "",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/p/acme/", "//x", `/\x`, "https://x", "/%2f%2fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "" {
			return
		}
		if got != next || got[0] != '/' || len(got) > 1 && (got[1] == '/' || got[1] == '\\') {
			t.Fatalf("safeNext(%q) = %q: not a path of this site", next, got)
		}
	})
}

// A sign-in form token is accepted only as it was made: any other text, a changed byte or an
// expired token is refused, and nothing panics.
func FuzzFormToken(f *testing.F) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := &Server{cfg: Config{Secret: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}}
	good := s.formToken()
	f.Add(good)
	f.Add("")
	f.Add(good[:len(good)-1] + "A")
	f.Fuzz(func(t *testing.T, tok string) {
		if s.formTokenOK(tok) && tok != good {
			t.Fatalf("accepted %q, which was never made", tok)
		}
	})
}

func TestFormTokenExpires(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s := &Server{cfg: Config{Secret: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}}
	tok := s.formToken()
	if !s.formTokenOK(tok) {
		t.Fatal("a fresh token is refused")
	}
	now = now.Add(formTokenTTL + time.Second)
	if s.formTokenOK(tok) {
		t.Error("an expired token is accepted")
	}
}
