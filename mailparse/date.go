package mailparse

import (
	"strconv"
	"strings"
	"time"
)

var monthNames = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// zoneNames holds RFC 5322 §4.3 obs-zone names plus a few common ones; the
// military single letters are treated as -0000 (unknown), as §4.3 advises.
var zoneNames = map[string]int{
	"ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 1, "cet": 1, "met": 1, "mez": 1,
	"cest": 2, "mest": 2, "mesz": 2, "eet": 2, "eest": 3, "msk": 3, "ist": 5*60 + 30,
	"jst": 9 * 60, "kst": 9 * 60, "hkt": 8 * 60, "sgt": 8 * 60, "aest": 10 * 60, "aedt": 11 * 60,
	"est": -5 * 60, "edt": -4 * 60, "cst": -6 * 60, "cdt": -5 * 60,
	"mst": -7 * 60, "mdt": -6 * 60, "pst": -8 * 60, "pdt": -7 * 60,
	"akst": -9 * 60, "akdt": -8 * 60, "hst": -10 * 60,
}

// parseDate reads a Date header leniently: RFC 5322 §3.3 dates, obsolete
// forms (§4.3: two-digit years, zone names, comments), ctime/asctime, RFC 850
// and ISO 8601. It works on tokens rather than fixed layouts, so the order
// of the pieces and extra junk matter little. The zero time means "unknown".
func parseDate(s string) time.Time {
	s, _ = stripComments(s)
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 200 {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	year, day := -1, -1
	var month time.Month
	hour, minute, sec := -1, 0, 0
	zone, haveZone := 0, false
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' })
	for _, f := range fields {
		lf := strings.ToLower(f)
		if y, m, d, ok := parseNumericDate(lf); ok {
			year, month, day = y, m, d
			if i := strings.IndexByte(lf, 't'); i > 0 && hour < 0 {
				f = f[i+1:] // ISO 8601 "dateTtime[zone]": go on with the time
				lf = lf[i+1:]
			} else {
				continue
			}
		}
		if f == "" {
			continue
		}
		switch {
		case hour < 0 && strings.Contains(f, ":") && f[0] >= '0' && f[0] <= '9':
			tpart, rest := f, ""
			if i := strings.IndexAny(f, "+-zZ"); i > 0 {
				tpart, rest = f[:i], f[i:]
			}
			h, m, sc, ok := parseClock(tpart)
			if !ok {
				continue
			}
			hour, minute, sec = h, m, sc
			if rest != "" {
				if z, ok := parseZone(rest); ok {
					zone, haveZone = z, true
				}
			}
		case (lf[0] == '+' || lf[0] == '-') && len(lf) > 1 && lf[1] >= '0' && lf[1] <= '9':
			if z, ok := parseZone(lf); ok && !haveZone {
				zone, haveZone = z, true
			}
		case lf[0] >= '0' && lf[0] <= '9':
			if strings.ContainsAny(lf, "-/.") {
				if d, mo, y, ok := parseDMY(lf); ok {
					day, month, year = d, mo, y
				}
				continue
			}
			n, err := strconv.Atoi(strings.TrimRight(lf, "."))
			if err != nil {
				continue
			}
			switch {
			case day < 0 && n >= 1 && n <= 31 && (len(lf) <= 2 || month == 0):
				day = n
			case year < 0:
				year = fixYear(n, len(strings.TrimRight(lf, ".")))
			}
		default:
			if mo, ok := monthNames[prefix3(lf)]; ok && len(lf) >= 3 && month == 0 && isLetters(lf) {
				month = mo
				continue
			}
			if z, ok := parseZone(lf); ok && !haveZone {
				zone, haveZone = z, true
			}
		}
	}
	if year < 1000 || year > 9999 || month == 0 || day < 1 {
		return time.Time{}
	}
	if hour < 0 {
		hour = 0
	}
	if day > daysIn(month, year) {
		return time.Time{}
	}
	if sec == 60 {
		sec = 59 // leap second
	}
	loc := time.UTC
	if zone != 0 {
		loc = time.FixedZone("", zone*60)
	}
	return time.Date(year, month, day, hour, minute, sec, 0, loc)
}

func prefix3(s string) string {
	if len(s) < 3 {
		return s
	}
	return s[:3]
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			if s[i] != '.' {
				return false
			}
		}
	}
	return true
}

// fixYear applies RFC 5322 §4.3: two-digit years below 50 are 20xx, others
// 19xx; three-digit years add 1900.
func fixYear(y, digits int) int {
	switch {
	case digits <= 2 && y < 50:
		return 2000 + y
	case digits <= 2:
		return 1900 + y
	case digits == 3:
		return 1900 + y
	}
	return y
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseClock reads "hh:mm[:ss[.frac]]".
func parseClock(s string) (h, m, sec int, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	var err error
	if h, err = strconv.Atoi(parts[0]); err != nil || h > 23 || h < 0 {
		return 0, 0, 0, false
	}
	if m, err = strconv.Atoi(parts[1]); err != nil || m > 59 || m < 0 {
		return 0, 0, 0, false
	}
	if len(parts) == 3 {
		ss := parts[2]
		if i := strings.IndexByte(ss, '.'); i >= 0 {
			ss = ss[:i]
		}
		if sec, err = strconv.Atoi(ss); err != nil || sec > 60 || sec < 0 {
			return 0, 0, 0, false
		}
	}
	return h, m, sec, true
}

// parseZone reads "+hhmm", "-hh:mm", "+hh", "gmt+0200", "utc", "est"... and
// returns the offset in minutes.
func parseZone(s string) (int, bool) {
	s = strings.ToLower(strings.Trim(s, "()\"'."))
	if off, ok := zoneNames[s]; ok {
		return off, true
	}
	for _, p := range []string{"gmt", "utc", "ut"} {
		if strings.HasPrefix(s, p) && len(s) > len(p) && (s[len(p)] == '+' || s[len(p)] == '-') {
			s = s[len(p):]
			break
		}
	}
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	d := strings.ReplaceAll(s[1:], ":", "")
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	var h, m int
	switch len(d) {
	case 1, 2:
		h, _ = strconv.Atoi(d)
	case 3:
		h, _ = strconv.Atoi(d[:1])
		m, _ = strconv.Atoi(d[1:])
	case 4:
		h, _ = strconv.Atoi(d[:2])
		m, _ = strconv.Atoi(d[2:])
	default:
		return 0, false
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*60 + m), true
}

// parseNumericDate reads ISO "2006-01-02" / "2006/01/02" (possibly with a
// "T15:04:05" tail, which is ignored here).
func parseNumericDate(s string) (int, time.Month, int, bool) {
	if i := strings.IndexByte(s, 't'); i > 0 {
		s = s[:i]
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
	if len(parts) != 3 || len(parts[0]) != 4 {
		return 0, 0, 0, false
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return y, time.Month(m), d, true
}

// parseDMY reads "21-Jul-1996" (RFC 850), "29-04-2017", "29.04.2017" and
// "04/29/2017". Ambiguous numeric forms are read day-first, except with
// slashes, which are read month-first as US mailers write them.
func parseDMY(s string) (int, time.Month, int, bool) {
	slash := strings.Contains(s, "/")
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	a, e1 := strconv.Atoi(parts[0])
	y, e2 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || (len(parts[2]) != 4 && len(parts[2]) != 2) {
		return 0, 0, 0, false
	}
	y = fixYear(y, len(parts[2]))
	if mo, ok := monthNames[prefix3(parts[1])]; ok && isLetters(parts[1]) {
		return a, mo, y, a >= 1 && a <= 31
	}
	b, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0, 0, 0, false
	}
	d, m := a, b
	switch {
	case a > 12:
	case b > 12 || slash:
		d, m = b, a
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return d, time.Month(m), y, true
}
