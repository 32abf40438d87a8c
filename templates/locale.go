package templates

import (
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/threading"
)

// replyMarkers are the "reply above this line" lines, per built-in locale.
// They hold no character HTML escaping would change (no quote, ampersand or
// angle bracket), so the HTML and text forms of a mail carry the same line.
func replyMarker(lang string) (string, bool) {
	switch lang {
	case "en":
		return "##- Please type your reply above this line -##", true
	case "es":
		return "##- Escriba su respuesta por encima de esta línea -##", true
	case "fr":
		return "##- Veuillez écrire votre réponse au-dessus de cette ligne -##", true
	case "it":
		return "##- Si prega di scrivere la risposta sopra questa riga -##", true
	}
	return "", false
}

// ReplyMarker returns the localized "reply above this line" line postdesk
// puts at the top of mail agents or customers may answer, e.g. for "en":
// "##- Please type your reply above this line -##". Locales match like
// Render's: exact, base language, then "en".
func ReplyMarker(locale string) string {
	for _, l := range fallbacks(normalizeLocale(locale)) {
		if m, ok := replyMarker(l); ok {
			return m
		}
	}
	m, _ := replyMarker(DefaultLocale)
	return m
}

// ReplyMarkers returns the markers of every built-in locale, in the order of
// Locales (a reply trimmer looks for all of them).
func ReplyMarkers() []string {
	var out []string
	for _, l := range Locales() {
		m, _ := replyMarker(l)
		out = append(out, m)
	}
	return out
}

// normalizeLocale lowercases locale and turns "fr_CA.UTF-8" into "fr-ca".
func normalizeLocale(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	if i := strings.IndexAny(l, ".@"); i >= 0 {
		l = l[:i]
	}
	return strings.ReplaceAll(l, "_", "-")
}

// validLocale reports whether l (normalized) looks like a language tag:
// 2 to 8 letters, then "-" subtags of 1 to 8 letters or digits.
func validLocale(l string) bool {
	parts := strings.Split(l, "-")
	for i, p := range parts {
		if len(p) < 1 || len(p) > 8 || (i == 0 && len(p) < 2) {
			return false
		}
		for _, c := range p {
			letter := c >= 'a' && c <= 'z'
			if !letter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

// fallbacks lists the locales to try for l (normalized): l, its base
// language, then "en".
func fallbacks(l string) []string {
	out := make([]string, 0, 3)
	add := func(s string) {
		if s != "" && !contains(out, s) {
			out = append(out, s)
		}
	}
	add(l)
	if i := strings.IndexByte(l, '-'); i > 0 {
		add(l[:i])
	}
	add(DefaultLocale)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// funcMap returns the template functions of locale loc.
func funcMap(loc string) map[string]any {
	return map[string]any{
		"marker":      func() string { return ReplyMarker(loc) },
		"date":        func(t time.Time) string { return formatDate(loc, t) },
		"join":        strings.Join,
		"topic":       topic,
		"nl2br":       nl2br,
		"messageHTML": messageHTML,
		"sameAddress": sameAddress,
		"size":        func(n int64) string { return formatSize(loc, n) },
	}
}

// formatSize writes n bytes the way locale loc reads sizes, in powers of 1000 like the limits
// admins set: "512 bytes", "120 kB", "1.2 MB", "24 MB" ("1,2 Mo" in French, "1,2 MB" in Italian
// and Spanish). One decimal below 10 of a unit, none above.
func formatSize(loc string, n int64) string {
	lang := loc
	if i := strings.IndexByte(lang, '-'); i > 0 {
		lang = lang[:i]
	}
	units := [4]string{"bytes", "kB", "MB", "GB"}
	switch lang {
	case "fr":
		units = [4]string{"octets", "ko", "Mo", "Go"}
	case "it":
		units[0] = "byte"
	}
	if n < 1000 {
		return strconv.FormatInt(max(n, 0), 10) + " " + units[0]
	}
	v, u := float64(n)/1000, 1
	for v >= 999.95 && u < 3 {
		v, u = v/1000, u+1
	}
	s := strconv.FormatFloat(v, 'f', 0, 64)
	if v < 9.95 {
		s = strconv.FormatFloat(v, 'f', 1, 64)
	}
	if lang == "fr" || lang == "it" || lang == "es" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s + " " + units[u]
}

// months returns the month names of lang ("fr", "it" or "es").
func months(lang string) [12]string {
	switch lang {
	case "fr":
		return [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	case "it":
		return [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
	}
	return [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
}

// formatDate formats t, in UTC, the way locale loc (or its base language)
// writes dates: "March 2, 2026 at 10:04 UTC", "2 mars 2026 à 10:04 UTC",
// "2 marzo 2026 alle ore 10:04 UTC", "2 de marzo de 2026 a las 10:04 UTC".
// The zero time gives "".
func formatDate(loc string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	day, month, year, clock := strconv.Itoa(t.Day()), int(t.Month())-1, strconv.Itoa(t.Year()), t.Format("15:04")
	lang := loc
	if i := strings.IndexByte(lang, '-'); i > 0 {
		lang = lang[:i]
	}
	switch lang {
	case "fr":
		if t.Day() == 1 {
			day = "1er"
		}
		return day + " " + months("fr")[month] + " " + year + " à " + clock + " UTC"
	case "it":
		if t.Day() == 1 {
			day = "1º"
		}
		return day + " " + months("it")[month] + " " + year + " alle ore " + clock + " UTC"
	case "es":
		at := " a las "
		if t.Hour() == 1 {
			at = " a la "
		}
		return day + " de " + months("es")[month] + " de " + year + at + clock + " UTC"
	}
	return t.Format("January 2, 2006") + " at " + clock + " UTC"
}

// topic is the customer's subject without reply and forward prefixes and ticket tags (postdesk's
// subjects add their own tag): threading's base subject.
func topic(subject string) string { return threading.BaseSubject(subject) }

// nl2br escapes text for HTML and turns its line breaks into <br>.
func nl2br(text string) htmltemplate.HTML {
	text = unixNewlines(text)
	lines := strings.Split(htmltemplate.HTMLEscapeString(text), "\n")
	return htmltemplate.HTML(strings.Join(lines, "<br>\n"))
}

// messageHTML returns m's HTML as is (the caller sanitised it), or, when it
// has none, its text escaped with line breaks kept.
func messageHTML(m Message) htmltemplate.HTML {
	if strings.TrimSpace(m.HTML) != "" {
		return htmltemplate.HTML(m.HTML)
	}
	return nl2br(m.Text)
}

// sameAddress reports whether a and b are the same, non-empty, mail address
// (ignoring case and surrounding space).
func sameAddress(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return a != "" && strings.EqualFold(a, b)
}

// unixNewlines turns CRLF and bare CR into LF, without work for text that has neither.
func unixNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// CheckLocale reports whether postdesk has mail in locale, among the built-in Locales: the
// locale itself or its base language ("fr-CA" is French). Otherwise it is an error that lists
// the known locales.
func CheckLocale(locale string) error { return checkLocale(locale, Locales()) }

// CheckLocale is the package's CheckLocale among the locales of s (the override directory may
// add some).
func (s *Set) CheckLocale(locale string) error { return checkLocale(locale, s.Locales()) }

func checkLocale(locale string, known []string) error {
	l := normalizeLocale(locale)
	if validLocale(l) && (contains(known, l) || contains(known, baseLanguage(l))) {
		return nil
	}
	return fmt.Errorf("templates: unknown locale %q: postdesk has mail in %s", locale, strings.Join(known, ", "))
}

// FormatDate is t as the mails of locale write it ("March 9, 2026 at 10:04 UTC"), for the pages
// customers open from them (package rating); "" for the zero time.
func FormatDate(locale string, t time.Time) string { return formatDate(normalizeLocale(locale), t) }
