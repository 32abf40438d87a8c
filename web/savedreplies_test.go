package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// The saved replies page is a manager's: a support agent cannot open it or post to it; a post
// without the session's token is refused; a manager adds, changes and removes a text. Any agent
// gets a saved reply filled in for a ticket, and the picker's form post puts it in the reply box.
func TestSavedRepliesPageIsAManagersAndThePickerFillsIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d)
		tk := s.mail(s.acme, "carol@customer.example", "Refund please", "My money back?", "")

		support := s.browser()
		support.signIn("alice@acme.example", "correct horse")
		support.get("/p/acme/")
		if code, _, _ := support.get("/p/acme/saved-replies"); code != http.StatusForbidden {
			t.Errorf("the page for a support agent: %d, want 403", code)
		}
		if code, _, _ := support.post("/p/acme/saved-replies", url.Values{"csrf": {support.csrf}, "name": {"x"}, "locale": {"en"}, "text": {"x"}}); code != http.StatusForbidden {
			t.Errorf("a support agent's post: %d, want 403", code)
		}

		mgr := s.browser()
		mgr.signIn("mo@acme.example", "battery staple")
		if code, page, _ := mgr.get("/p/acme/saved-replies"); code != 200 || !strings.Contains(page, `id="add-saved-reply"`) {
			t.Fatalf("the page for a manager: %d", code)
		}
		add := url.Values{"name": {"Refund"}, "locale": {"en"}, "text": {"Hello {customer_name}, refunded ({ticket})."}}
		if code, _, _ := mgr.post("/p/acme/saved-replies", add); code != http.StatusForbidden {
			t.Errorf("a post without the session's token: %d, want 403", code)
		}
		add.Set("csrf", mgr.csrf)
		if code, _, h := mgr.post("/p/acme/saved-replies", add); code != http.StatusSeeOther || h.Get("Location") != "/p/acme/saved-replies" {
			t.Fatalf("add: %d to %q", code, h.Get("Location"))
		}
		if code, page, _ := mgr.post("/p/acme/saved-replies", add); code != http.StatusUnprocessableEntity || !strings.Contains(page, "already exists") {
			t.Errorf("add again: %d", code)
		}
		bad := url.Values{"csrf": {mgr.csrf}, "name": {"hi"}, "locale": {"en"}, "text": {"Hello {name}"}}
		if code, page, _ := mgr.post("/p/acme/saved-replies", bad); code != http.StatusUnprocessableEntity || !strings.Contains(page, "unknown placeholder {name}") || !strings.Contains(page, "Hello {name}") {
			t.Errorf("an unknown placeholder: %d, the form should come back with the text", code)
		}
		if code, _, _ := mgr.post("/p/acme/saved-replies/refund", url.Values{"csrf": {mgr.csrf}, "locale": {"en"}, "text": {"Hi {customer_name}, about {ticket}: refunded."}}); code != http.StatusSeeOther {
			t.Fatalf("change: %d", code)
		}

		code, body, _ := support.get(fmt.Sprintf("/p/acme/t/%d/saved-replies/REFUND", tk.TicketNumber))
		var got struct{ Name, Text string }
		if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
			t.Fatalf("the filled-in text: %d %v: %s", code, err, body)
		}
		want := fmt.Sprintf("Hi Carol Customer, about #%d: refunded.", tk.TicketNumber)
		if got.Text != want || got.Name != "refund" {
			t.Errorf("filled in: %+v, want %q", got, want)
		}
		code, page, _ := support.get(fmt.Sprintf("/p/acme/t/%d", tk.TicketNumber))
		if code != 200 || !strings.Contains(page, `<option value="refund">refund</option>`) {
			t.Fatalf("the picker does not offer refund: %d", code)
		}
		code, page, _ = support.post(fmt.Sprintf("/p/acme/t/%d/saved-reply", tk.TicketNumber), url.Values{"csrf": {support.csrf}, "insert": {"refund"}, "text": {"Sorry for the wait."}})
		if code != 200 || !strings.Contains(page, "Sorry for the wait.\n\n"+want+"</textarea>") {
			t.Errorf("the picker without the script: %d", code)
		}

		if code, _, _ := mgr.post("/p/acme/saved-replies/refund", url.Values{"csrf": {mgr.csrf}, "locale": {"en"}, "action": {"remove"}}); code != http.StatusSeeOther {
			t.Fatalf("remove: %d", code)
		}
		if code, page, _ := support.get(fmt.Sprintf("/p/acme/t/%d", tk.TicketNumber)); code != 200 || strings.Contains(page, `id="saved-reply"`) {
			t.Errorf("the picker after the last saved reply was removed: %d", code)
		}
	})
}
