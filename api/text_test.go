package api_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// Text PostgreSQL cannot store (NUL, invalid UTF-8) and out-of-range numbers are the client's
// mistake on both engines: 400 naming the field, never 500 on one engine and stored on the other.
func TestUnstorableTextIsABadRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "ann@example.org", "Invoice missing", "Where is my invoice?")
		for _, q := range []struct{ path, field string }{
			{"/tickets?department=%00", "department"},
			{"/tickets?tag=%00", "tag"},
			{"/tickets?q=%ff", "q"},
			{"/contacts?q=%00", "q"},
			{"/contacts?after=%ff", "after"},
			{"/contacts/%00", ""},
		} {
			e.as("support", "GET", q.path, nil).want(t, 400, q.field)
		}
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/tags", n), map[string]any{"add": []string{"a\x00b"}}).want(t, 400, "add")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/note", n), map[string]any{"text": "bad\x00note"}).want(t, 400, "text")
		e.as("support", "POST", fmt.Sprintf("/tickets/%d/assign", n), map[string]any{"department": "\x00"}).want(t, 400, "department")
		for _, cur := range []string{`{"s":"priority","r":99999999999,"i":1}`, `{"s":"status","k":"\u0000","i":1}`} {
			after := base64.RawURLEncoding.EncodeToString([]byte(cur))
			r := e.as("support", "GET", "/tickets?sort="+map[bool]string{true: "priority", false: "status"}[cur[6] == 'p']+"&after="+after, nil)
			if r.status != 400 {
				t.Fatalf("forged cursor %s: %d %s", cur, r.status, r.body)
			}
		}
	})
}
