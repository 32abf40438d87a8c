package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
)

// A support agent cannot add a saved reply, a manager can; every agent lists and uses them.
func TestSavedRepliesAreManagedByManagers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		refund := map[string]any{"name": "Refund", "text": "Hello {customer_name}, your refund for {ticket} is on its way. {agent_name}"}
		e.as("support", "POST", "/saved-replies", refund).want(t, 403, "")
		var added struct {
			SavedReply struct {
				Name      string `json:"name"`
				Locale    string `json:"locale"`
				CreatedBy string `json:"created_by"`
			} `json:"saved_reply"`
		}
		e.as("manager", "POST", "/saved-replies", refund).want(t, 201, "").decode(t, &added)
		if added.SavedReply.Name != "refund" || added.SavedReply.Locale != "en" || added.SavedReply.CreatedBy != "manager@acme.example" {
			t.Fatalf("added: %+v", added)
		}
		e.as("admin", "POST", "/saved-replies", refund).want(t, 409, "name")
		e.as("manager", "POST", "/saved-replies", map[string]any{"name": "two words", "text": "x"}).want(t, 400, "name")
		e.as("manager", "POST", "/saved-replies", map[string]any{"name": "hi", "text": "Hello {name}"}).want(t, 400, "text")
		e.as("manager", "POST", "/saved-replies", map[string]any{"name": "hi", "text": "Hallo", "locale": "de"}).want(t, 400, "locale")
		e.as("manager", "POST", "/saved-replies", map[string]any{"name": "refund", "locale": "fr", "text": "Bonjour {customer_name}"}).want(t, 201, "")

		var list struct {
			SavedReplies []struct {
				Name   string `json:"name"`
				Locale string `json:"locale"`
			} `json:"saved_replies"`
			Locales      []string `json:"locales"`
			Placeholders []string `json:"placeholders"`
		}
		e.as("support", "GET", "/saved-replies", nil).want(t, 200, "").decode(t, &list)
		if len(list.SavedReplies) != 2 || list.SavedReplies[0].Locale != "en" || list.SavedReplies[1].Locale != "fr" ||
			strings.Join(list.Locales, ",") != "en" || !strings.Contains(strings.Join(list.Placeholders, " "), "{customer_name}") {
			t.Fatalf("list: %+v", list)
		}

		e.as("support", "PUT", "/saved-replies/refund", map[string]any{"text": "changed"}).want(t, 403, "")
		e.as("manager", "PUT", "/saved-replies/REFUND", map[string]any{"text": "Hello {customer_name}, refunded ({ticket})."}).want(t, 200, "")
		e.as("manager", "PUT", "/saved-replies/nope", map[string]any{"text": "x"}).want(t, 404, "")
		e.as("support", "DELETE", "/saved-replies/refund?locale=fr", nil).want(t, 403, "")
		e.as("manager", "DELETE", "/saved-replies/refund?locale=fr", nil).want(t, 204, "")
		e.as("manager", "DELETE", "/saved-replies/refund?locale=fr", nil).want(t, 404, "")
		e.as("support", "GET", "/saved-replies", nil).want(t, 200, "").decode(t, &list)
		if len(list.SavedReplies) != 1 {
			t.Fatalf("after removing the French text: %+v", list)
		}
		// Another property's token sees none of them.
		e.do("GET", "/api/v1/properties/beta/saved-replies", e.token["beta"], nil).want(t, 200, "").decode(t, &list)
		if len(list.SavedReplies) != 0 {
			t.Fatalf("beta sees acme's saved replies: %+v", list)
		}
	})
}

// saved_reply on a reply: the saved text filled in for the ticket and the agent, then the text;
// an unknown saved reply is refused with the known names.
func TestReplyWithASavedReply(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		n := e.customer(e.acme, "Ann Smith <ann@customer.example>", "Refund please", "I want my money back.")
		e.as("manager", "POST", "/saved-replies", map[string]any{"name": "refund", "text": "Hello {customer_name},\n\nyour refund for {ticket} ({subject}) is on its way.\n{agent_name}"}).want(t, 201, "")

		var rendered struct {
			Text string `json:"text"`
		}
		e.as("support", "GET", fmt.Sprintf("/saved-replies/refund?ticket=%d", n), nil).want(t, 200, "").decode(t, &rendered)
		want := fmt.Sprintf("Hello Ann Smith,\n\nyour refund for #%d (Refund please) is on its way.\nsupport", n)
		if rendered.Text != want {
			t.Fatalf("rendered: %q, want %q", rendered.Text, want)
		}

		reply := fmt.Sprintf("/tickets/%d/reply", n)
		r := e.as("support", "POST", reply, map[string]any{"saved_reply": "refnd", "text": "x"}).want(t, 422, "saved_reply")
		if _, msg, _ := r.apiError(t); !strings.Contains(msg, `no saved reply "refnd" on this property; its saved replies: refund`) {
			t.Fatalf("an unknown saved reply: %s", msg)
		}
		e.as("support", "POST", reply, map[string]any{"saved_reply": "refund"}).want(t, 201, "")
		e.as("support", "POST", reply, map[string]any{"saved_reply": "Refund", "text": "It takes three days."}).want(t, 201, "")
		var v struct {
			Messages []struct {
				Direction string `json:"direction"`
				Text      string `json:"text"`
			} `json:"messages"`
		}
		e.as("support", "GET", fmt.Sprintf("/tickets/%d?full=1", n), nil).want(t, 200, "").decode(t, &v)
		if len(v.Messages) != 3 {
			t.Fatalf("messages: %+v", v.Messages)
		}
		if got := v.Messages[1]; got.Direction != "out" || got.Text != want {
			t.Errorf("a reply of the saved text alone: %+v", got)
		}
		if got := v.Messages[2].Text; got != want+"\n\nIt takes three days." {
			t.Errorf("the saved text then the agent's: %q", got)
		}
	})
}
