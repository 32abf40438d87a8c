package tickets_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// A ticket uses the saved reply's text in the property's locale, else its base language's; a
// name with no such text is refused saying which languages it has, with the names it can use.
// Names are case-insensitive, and one per property and locale.
func TestSavedReplyTextIsThePropertysLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := swNew(t, d)
		tk := w.mail(t, w.p, "s1@customer.example", "ann@customer.example", "Re: [#9] Where is my parcel", "Where?")
		add := func(name, locale, body string) {
			t.Helper()
			if _, err := w.s.AddSavedReply(w.ctx, w.p, w.alice, tickets.SavedReply{Name: name, Locale: locale, Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		add("Parcel", "", "Hi {customer_name}, about {ticket} ({subject}): it left today. {agent_name}")
		add("parcel", "fr", "Bonjour {customer_name}, le colis de {ticket} est parti.")
		add("only-en", "en", "English only")
		if _, err := w.s.AddSavedReply(w.ctx, w.p, w.bob, tickets.SavedReply{Name: "PARCEL", Body: "again"}); !errors.Is(err, tickets.ErrExists) {
			t.Fatalf("a second text of a name in a locale: %v", err)
		}
		if _, err := w.s.AddSavedReply(w.ctx, w.other, w.bob, tickets.SavedReply{Name: "parcel", Body: "another property's"}); err != nil {
			t.Fatalf("another property has names of its own: %v", err)
		}

		render := func(p tickets.Property, name string) (string, error) {
			return w.s.RenderSavedReply(w.ctx, nil, p, tk.TicketID, w.bob, name)
		}
		got, err := render(w.p, "PARCEL")
		if want := "Hi ann@customer.example, about #" + strconv.FormatInt(tk.TicketNumber, 10) + " (Where is my parcel): it left today. Bob"; err != nil || got != want {
			t.Fatalf("en: %q, %v; want %q", got, err, want)
		}
		p := w.p
		p.Locale = "fr-CA"
		if got, err := render(p, "parcel"); err != nil || !strings.HasPrefix(got, "Bonjour ann@customer.example") {
			t.Fatalf("fr-CA takes the fr text: %q, %v", got, err)
		}
		_, err = render(p, "only-en")
		var unknown *tickets.UnknownSavedReply
		if !errors.As(err, &unknown) || !errors.Is(err, tickets.ErrInvalid) ||
			err.Error() != `saved reply "only-en" has no text in fr-ca, only in en; its saved replies: parcel` {
			t.Fatalf("a name with no text in the language: %v", err)
		}
		if _, err := render(w.p, "nope"); err == nil || err.Error() != `no saved reply "nope" on this property; its saved replies: only-en, parcel` {
			t.Fatalf("an unknown name: %v", err)
		}
		if names, err := w.s.SavedReplyNames(w.ctx, p); err != nil || strings.Join(names, ",") != "parcel" {
			t.Fatalf("the names a French ticket can use: %v, %v", names, err)
		}

		if err := w.s.RemoveSavedReply(w.ctx, w.p, "Parcel", "fr"); err != nil {
			t.Fatal(err)
		}
		if err := w.s.RemoveSavedReply(w.ctx, w.p, "parcel", "fr"); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("removed twice: %v", err)
		}
		rs, err := w.s.SavedReplies(w.ctx, w.p.ID)
		if err != nil || len(rs) != 2 || rs[1].Name != "parcel" || rs[1].CreatedBy != "alice@acme.example" {
			t.Fatalf("after removing the French text: %+v, %v", rs, err)
		}
	})
}
