package api

import (
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Text that no engine stores alike: PostgreSQL refuses NUL bytes and invalid UTF-8, SQLite keeps
// them (and cuts strings at the NUL). The API refuses them at the edge, naming the field.

// badText reports whether s cannot be stored as text.
func badText(s string) bool { return !utf8.ValidString(s) || strings.ContainsRune(s, 0) }

// checkRequestText refuses a query string or path value with unstorable text.
func checkRequestText(r *http.Request) error {
	for k, vs := range r.URL.Query() {
		if badText(k) {
			return invalid("", "a query parameter name is not valid UTF-8 text")
		}
		for _, v := range vs {
			if badText(v) {
				return invalid(k, "%s holds a NUL byte or invalid UTF-8", k)
			}
		}
	}
	if badText(r.URL.Path) {
		return invalid("", "the path holds a NUL byte or invalid UTF-8")
	}
	return nil
}

// checkBodyText walks a decoded JSON body and refuses any string with unstorable text, naming
// its field by its JSON name.
func checkBodyText(v any) error {
	if field, bad := findBadText(reflect.ValueOf(v), ""); bad {
		return invalid(field, "%s holds a NUL byte or invalid UTF-8", field)
	}
	return nil
}

func findBadText(v reflect.Value, field string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return field, badText(v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return findBadText(v.Elem(), field)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // bytes (base64 attachments) are not text
		}
		for i := 0; i < v.Len(); i++ {
			if f, bad := findBadText(v.Index(i), field); bad {
				return f, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if f, bad := findBadText(it.Key(), field); bad {
				return f, true
			}
			if f, bad := findBadText(it.Value(), field); bad {
				return f, true
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name := strings.Split(sf.Tag.Get("json"), ",")[0]
			if name == "" {
				name = sf.Name
			}
			if sf.Anonymous && sf.Tag.Get("json") == "" {
				name = field
			}
			if f, bad := findBadText(v.Field(i), name); bad {
				return f, true
			}
		}
	}
	return "", false
}
