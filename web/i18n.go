package web

import (
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The pages' texts, per language: locales/<lang>.json, a flat map of keys to texts (fmt verbs
// for arguments). A key missing in a language falls back to English; a test keeps every
// language complete.

//go:embed locales/*.json
var localeFiles embed.FS

// languages the pages are written in, English first (the fallback).
var languages = []string{"en", "fr", "it", "es"}

var catalogs = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range languages {
		b, err := localeFiles.ReadFile("locales/" + l + ".json")
		if err != nil {
			panic(fmt.Sprintf("web: locale %s: %v", l, err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("web: locale %s: %v", l, err))
		}
		out[l] = m
	}
	return out
}()

func supported(lang string) bool {
	for _, l := range languages {
		if l == lang {
			return true
		}
	}
	return false
}

func translate(lang, key string, args ...any) string {
	s, ok := catalogs[lang][key]
	if !ok {
		if s, ok = catalogs["en"][key]; !ok {
			s = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// fromAcceptLanguage picks the supported language the browser prefers most (RFC 9110 §12.5.4
// weights), English when none.
func fromAcceptLanguage(h string) string {
	best, bestQ := "en", -1.0
	for i, part := range strings.Split(h, ",") {
		if i > 32 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f != f || f > 1 { // RFC 9110 §12.4.2: a weight is 0 to 1
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if supported(base) && q > bestQ && q > 0 {
			best, bestQ = base, q
		}
	}
	return best
}

func hashOf(b []byte) [32]byte { return sha256.Sum256(b) }
