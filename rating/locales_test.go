package rating

import "testing"

// Every language of the page has every word English has, and no other.
func TestThePageSaysEverythingInEveryLanguage(t *testing.T) {
	for l, words := range texts {
		if len(words) != len(texts["en"]) {
			t.Errorf("%s has %d words, en %d", l, len(words), len(texts["en"]))
		}
		for k := range texts["en"] {
			if words[k] == "" {
				t.Errorf("%s lacks %q", l, k)
			}
		}
	}
	for locale, want := range map[string]string{"fr-CA": "fr", "it": "it", "ES_es": "es", "de": "en", "": "en"} {
		if got := lang(locale); got != want {
			t.Errorf("lang(%q) = %q, want %q", locale, got, want)
		}
	}
}
