package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fmtVerbs lists the fmt directives of s in order ("%d", "%-5s", "%[2]v", …), without "%%".
// A lone "%" at the end is listed as "%" so that it does not go unnoticed.
func fmtVerbs(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		j := i + 1
		if j < len(s) && s[j] == '%' {
			i = j
			continue
		}
		for j < len(s) && strings.IndexByte("+-# 0123456789.*[]", s[j]) >= 0 {
			j++
		}
		if j < len(s) {
			j++ // the verb letter
		}
		out = append(out, s[i:j])
		i = j - 1
	}
	return out
}

func TestFmtVerbs(t *testing.T) {
	for in, want := range map[string][]string{
		"":                          nil,
		"no verbs":                  nil,
		"100%% sure":                nil,
		"%d ticket(s)":              {"%d"},
		"%s is blocked: %d on %d.":  {"%s", "%d", "%d"},
		"a %q b %v c %x":            {"%q", "%v", "%x"},
		"%-5s|%05.2f|%+d|%[2]s|%*d": {"%-5s", "%05.2f", "%+d", "%[2]s", "%*d"},
		"%%%d%%":                    {"%d"},
		"dangling %":                {"%"},
	} {
		if got := fmtVerbs(in); !reflect.DeepEqual(got, want) {
			t.Errorf("fmtVerbs(%q) = %q, want %q", in, got, want)
		}
	}
}

// readCatalog decodes locales/<lang>.json on its own, refusing what json.Unmarshal lets pass:
// a key given twice, a value that is not a string, trailing data.
func readCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := localeFiles.ReadFile("locales/" + lang + ".json")
	if err != nil {
		t.Fatalf("%s: %v", lang, err)
	}
	if !json.Valid(b) {
		t.Fatalf("%s: not valid JSON", lang)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not a JSON object (%v, %v)", lang, tok, err)
	}
	m := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		key := tok.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %q: %v", lang, key, err)
		}
		if _, dup := m[key]; dup {
			t.Errorf("%s: key %q given twice", lang, key)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("%s: %v", lang, err)
	}
	if _, err := dec.Token(); err == nil {
		t.Errorf("%s: data after the object", lang)
	}
	return m
}

func TestCatalogsMatchEnglish(t *testing.T) {
	en := readCatalog(t, "en")
	if len(en) == 0 {
		t.Fatal("en: empty catalog")
	}
	if !reflect.DeepEqual(en, catalogs["en"]) {
		t.Fatal("en: the embedded catalog differs from the decoded file")
	}
	for _, lang := range languages {
		if _, ok := en["lang_"+lang]; !ok {
			t.Errorf("en: no lang_%s key", lang)
		}
	}
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			c := readCatalog(t, lang)
			if !reflect.DeepEqual(c, catalogs[lang]) {
				t.Fatal("the embedded catalog differs from the decoded file")
			}
			for k := range en {
				if _, ok := c[k]; !ok {
					t.Errorf("missing key %q", k)
				}
			}
			for k := range c {
				if _, ok := en[k]; !ok {
					t.Errorf("key %q is not in en", k)
				}
			}
			differ := 0
			for k, v := range c {
				ev, ok := en[k]
				if !ok {
					continue
				}
				if strings.TrimSpace(v) == "" {
					t.Errorf("%q is empty", k)
				}
				if got, want := fmtVerbs(v), fmtVerbs(ev); !reflect.DeepEqual(got, want) {
					t.Errorf("%q: verbs %q, en has %q (%q)", k, got, want, v)
				}
				if strings.HasPrefix(k, "lang_") && v != ev {
					t.Errorf("%q is %q: a language keeps its own name (%q) in every catalog", k, v, ev)
				}
				if v != ev {
					differ++
				}
			}
			if lang != "en" && float64(differ) < 0.9*float64(len(en)) {
				t.Errorf("only %d of %d texts differ from English: a catalog left untranslated?", differ, len(en))
			}
		})
	}
}

// TestCatalogsFormat renders every text with arguments of the types its verbs ask for: no
// "%!" (a wrong type, a missing or extra argument) may come out.
func TestCatalogsFormat(t *testing.T) {
	for _, lang := range languages {
		for k, v := range catalogs[lang] {
			var args []any
			for _, verb := range fmtVerbs(v) {
				switch verb[len(verb)-1] {
				case 'd', 'x', 'c':
					args = append(args, 3)
				default:
					args = append(args, "x")
				}
			}
			if got := translate(lang, k, args...); strings.Contains(got, "%!") {
				t.Errorf("%s %q: %q", lang, k, got)
			}
		}
	}
}

func TestTranslateFallsBack(t *testing.T) {
	if got, want := translate("fr", "ticket_count", 2), fmt.Sprintf(catalogs["fr"]["ticket_count"], 2); got != want {
		t.Errorf("fr ticket_count = %q, want %q", got, want)
	}
	if got := translate("fr", "sign_in"); got == translate("en", "sign_in") {
		t.Errorf("fr sign_in is still English: %q", got)
	}
	if got := translate("de", "sign_in"); got != catalogs["en"]["sign_in"] {
		t.Errorf("unknown language: %q, want the English", got)
	}
	if got := translate("fr", "no-such-key"); got != "no-such-key" {
		t.Errorf("unknown key: %q, want the key", got)
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"fr-CH, fr;q=0.9, en;q=0.8", "fr"},
		{"de, it;q=0.5", "it"},
		{"", "en"},
		{"*", "en"},
		{"es;q=0", "en"},
		{"es;q=0, it;q=0.1", "it"},
		{"de-DE,de;q=0.9", "en"},
		{"it-IT", "it"},
		{"ES", "es"},
		{"  es-419 ;q=0.7 , fr;q=0.3", "es"},
		{"fr;q=0.2, es;q=0.4, it;q=0.3", "es"},
		{"fr;q=0.5, es;q=0.5", "fr"},
		{"en;q=0.1, fr", "fr"},
		{"fr;q=abc, it", "it"},
		{"fr;q=", "en"},
		{",,,;;;", "en"},
		{"fr;q=-1", "en"},
	} {
		if got := fromAcceptLanguage(c.in); got != c.want {
			t.Errorf("fromAcceptLanguage(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{
		"", "*", "fr-CH, fr;q=0.9, en;q=0.8", "de, it;q=0.5", "es;q=0", "fr;q=NaN", "it;q=1e308",
		"es;q=0x1p-2", "fr;;q=1", "\xff\xfe;q=\x00", strings.Repeat("fr,", 100) + "es",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := fromAcceptLanguage(h)
		if !supported(got) {
			t.Fatalf("fromAcceptLanguage(%q) = %q, not a supported language", h, got)
		}
		if !strings.Contains(strings.ToLower(h), got) && got != "en" {
			t.Fatalf("fromAcceptLanguage(%q) = %q, which the header does not name", h, got)
		}
	})
}
