package templates

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCustomText(t *testing.T) {
	ok := []struct {
		kind string
		c    CustomText
	}{
		{Acknowledgement, CustomText{Body: "{greeting}\n\nWe got {subject} as {ticket}. {property} answers within a day, {customer_name} ({customer_email})."}},
		{Acknowledgement, CustomText{Subject: "Got it: {subject}", Body: "Thanks."}},
		{Closed, CustomText{Subject: "{ticket} closed by {agent_name}", Body: "Braces that are no placeholder stay: { x }, {}, }, {-}."}},
	}
	for _, c := range ok {
		if err := CheckCustomText(c.kind, c.c); err != nil {
			t.Errorf("%s %+v: %v", c.kind, c.c, err)
		}
	}
	bad := []struct {
		kind string
		c    CustomText
		want string
	}{
		{NewTicket, CustomText{Body: "x"}, "only acknowledgement, closed"},
		{Acknowledgement, CustomText{Body: " \n"}, "body is empty"},
		{Acknowledgement, CustomText{Subject: "a\nb", Body: "x"}, "one line"},
		{Acknowledgement, CustomText{Body: "Hello {name}"}, "unknown placeholder {name}; the acknowledgement text knows {ticket}, {subject}, {greeting}, {customer_name}, {customer_email}, {property}"},
		{Acknowledgement, CustomText{Body: "By {agent_name}"}, "unknown placeholder {agent_name}"},
		{Acknowledgement, CustomText{Subject: "{Ticket}", Body: "x"}, "subject: unknown placeholder {Ticket}"},
		{Closed, CustomText{Body: "Ticket {{.Ticket.Number}}"}, "not a Go template"},
		{Closed, CustomText{Body: "Ticket {{ticket}}"}, "not a Go template"},
		{Closed, CustomText{Body: "\xff"}, "UTF-8"},
		{Closed, CustomText{Subject: strings.Repeat("x", MaxCustomSubject+1), Body: "x"}, "longer than"},
		{Closed, CustomText{Body: strings.Repeat("x", MaxCustomBody+1)}, "larger than"},
	}
	for _, c := range bad {
		err := CheckCustomText(c.kind, c.c)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrCustomText) {
			t.Errorf("%s %q: %v, want an error with %q", c.kind, c.c.Body, err, c.want)
		}
	}
}

// A custom text replaces the built-in subject and body; the layout, the reply marker, the tag in
// the subject and the HTML version stay; user text is escaped in the HTML.
func TestCustomTextRenders(t *testing.T) {
	s := mustDefault(t)
	d := Sample(Closed)
	d.Ticket.Customer.Name = "Ann <Smith>"
	d.Recipient.Name = "Ann <Smith>"
	d.CustomText = CustomText{Subject: "Closed: {subject}", Body: "{greeting}\n\n{agent_name} closed {ticket} for {customer_name}.\nLine two.\n\n{unknown} stays."}
	r, err := s.Render(Closed, "fr", d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "[#12] Closed: Printer on fire" {
		t.Errorf("subject %q", r.Subject)
	}
	for _, want := range []string{ReplyMarker("fr"), "Bonjour Ann <Smith>,", "Alice Martin closed #12 for Ann <Smith>.\nLine two.\n\n{unknown} stays.", "-- \nAcme Support"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.Text, "clôturée") {
		t.Errorf("text keeps the built-in body:\n%s", r.Text)
	}
	for _, want := range []string{ReplyMarker("fr"), `<p style="margin:0 0 12px;">Bonjour Ann &lt;Smith&gt;,</p>`, "for Ann &lt;Smith&gt;.<br>\nLine two.</p>", `lang="fr"`} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, r.HTML)
		}
	}
	// A subject with its own tag keeps it once; no custom subject: the built-in one.
	d.CustomText.Subject = "Re: [#12] done"
	if r, _ := s.Render(Closed, "en", d); r.Subject != "Re: [#12] done" {
		t.Errorf("subject with the tag: %q", r.Subject)
	}
	d.CustomText.Subject = ""
	if r, _ := s.Render(Closed, "en", d); r.Subject != "Re: [#12] Printer on fire" {
		t.Errorf("built-in subject: %q", r.Subject)
	}
	// A kind whose text cannot be set ignores one.
	n := Sample(NewTicket)
	n.CustomText = CustomText{Body: "ignored"}
	if r, _ := s.Render(NewTicket, "en", n); strings.Contains(r.Text, "ignored") {
		t.Errorf("new-ticket used a custom text:\n%s", r.Text)
	}
}

// A close text places the rating links where it says {rating_links}, in the text and the HTML
// version; without it they follow the text; a mail without links says nothing of them.
func TestACustomCloseTextPlacesTheRatingLinks(t *testing.T) {
	s := mustDefault(t)
	for _, c := range []struct {
		body        string
		before, end string // the text's lines before the links, and the last line of the body
	}{
		{"Closed.\n\n{rating_links}\n\nThe {property} team", "Closed.", "The Acme Support team"},
		{"Closed. Thanks.", "Closed. Thanks.", "You can change your answer"},
	} {
		if err := CheckCustomText(Closed, CustomText{Body: c.body}); err != nil {
			t.Fatal(err)
		}
		d := Sample(Closed)
		d.CustomText = CustomText{Body: c.body}
		r, err := s.Render(Closed, "en", d)
		if err != nil {
			t.Fatal(err)
		}
		link := strings.Index(r.Text, d.Rating.Good)
		if i := strings.Index(r.Text, c.before); link < 0 || i < 0 || i > link || strings.Contains(r.Text, "rating_links") || strings.Contains(r.Text, "\x00") {
			t.Fatalf("%q:\n%s", c.body, r.Text)
		}
		if !strings.Contains(r.Text[link:], c.end) || !strings.Contains(r.HTML, `href="`+d.Rating.Bad+`"`) {
			t.Fatalf("%q: the links are not before %q:\n%s\n%s", c.body, c.end, r.Text, r.HTML)
		}
		d.Rating = RatingLinks{}
		if r, _ := s.Render(Closed, "en", d); strings.Contains(r.Text, "How did we do") || strings.Contains(r.HTML, "How did we do") {
			t.Fatalf("without links:\n%s", r.Text)
		}
	}
	for _, bad := range []CustomText{{Subject: "{rating_links}", Body: "x"}, {Body: "{rating_links} {rating_links}"}} {
		if err := CheckCustomText(Closed, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := CheckCustomText(Acknowledgement, CustomText{Body: "{rating_links}"}); err == nil {
		t.Error("an acknowledgement with rating links accepted")
	}
}

// TestGoldenCustomText compares a custom acknowledgement and close mail in two locales with
// testdata/golden/<locale>/<kind>.custom.{subject,txt,html} (-update rewrites them).
func TestGoldenCustomText(t *testing.T) {
	s := mustDefault(t)
	texts := map[string]CustomText{
		Acknowledgement: {Subject: "We got your mail: {subject}", Body: "{greeting}\n\nThank you for writing to {property}: your request is {ticket}.\nWe answer within one working day.\n\nThe {property} team"},
		Closed:          {Body: "{greeting}\n\n{agent_name} closed your request {ticket} ({subject}).\nJust reply if anything is left.\n\nThe {property} team"},
	}
	for _, loc := range []string{"en", "fr"} {
		for kind, text := range texts {
			d := Sample(kind)
			d.CustomText = text
			r, err := s.Render(kind, loc, d)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "golden", loc)
			for ext, got := range map[string]string{"subject": r.Subject + "\n", "txt": r.Text, "html": r.HTML} {
				file := filepath.Join(dir, kind+".custom."+ext)
				if *update {
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./templates -update to write the golden files)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the rendering (go test ./templates -update rewrites it)\n--- got:\n%s\n--- want:\n%s", file, got, want)
				}
			}
		}
	}
}

// FuzzCustomText: checking and rendering any text never panics; a text the check accepts renders
// with no brace pair of a known placeholder left, and expanding literal text is the identity.
func FuzzCustomText(f *testing.F) {
	for _, s := range []string{"", "{ticket}", "{{ticket}}", "{", "}", "{a", "a}", "{_}", "{agent_name} {x}", "{{.X}}", "x{ticket}y{subject}z"} {
		f.Add(s)
	}
	s, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := CustomText{Subject: text, Body: text + "x"}
		err := CheckCustomText(Closed, c)
		d := Sample(Closed)
		d.CustomText = c
		r, rerr := s.Render(Closed, "en", d)
		if rerr != nil {
			t.Fatalf("render %q: %v", text, rerr)
		}
		if !strings.Contains(r.Subject, "[#12]") {
			t.Fatalf("subject %q lacks the tag", r.Subject)
		}
		if err == nil {
			for _, p := range Placeholders(Closed) {
				if strings.Contains(r.Text, p[0]) && !strings.Contains(Sample(Closed).Property.Name+Sample(Closed).Ticket.Subject, p[0]) {
					t.Fatalf("accepted %q left %s in:\n%s", text, p[0], r.Text)
				}
			}
		}
		if !strings.ContainsAny(text, "{}") && expandCustom(text, nil) != text {
			t.Fatalf("expand changed literal text %q", text)
		}
	})
}
