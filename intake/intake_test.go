package intake

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/replytoken"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/tickets"
)

type fixture struct {
	s  *tickets.Store
	pl *Pipeline
	p  tickets.Property
}

func newFixture(t testing.TB, d *db.DB) *fixture {
	s := tickets.New(d)
	ctx := context.Background()
	p, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme", FromAddress: "support@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := s.Secret(ctx)
	return &fixture{s: s, pl: New(s, "desk.example", secret, slog.New(slog.DiscardHandler)), p: p}
}

func (f *fixture) deliver(t testing.TB, envFrom, raw string) tickets.Delivery {
	t.Helper()
	d, err := f.pl.Deliver(context.Background(), f.p, []string{"acme@desk.example"}, Prepare(envFrom, []byte(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestResolveRecipients(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		tok := replytoken.Sign([]byte("any"), f.p.ID, replytoken.Claims{TicketID: 1})
		for _, ok := range []string{"acme@desk.example", "ACME@Desk.Example", "acme+" + tok + "@desk.example", "support@acme.example"} {
			if p, err := f.pl.Resolve(ctx, ok); err != nil || p.ID != f.p.ID {
				t.Errorf("Resolve(%q) = %v, %v", ok, p.Slug, err)
			}
		}
		for _, bad := range []string{"other@desk.example", "acme+garbage@desk.example", "acme@elsewhere.example", "postmaster", "", "a@b@c"} {
			if _, err := f.pl.Resolve(ctx, bad); !errors.Is(err, ErrUnknownRecipient) {
				t.Errorf("Resolve(%q) = %v, want ErrUnknownRecipient", bad, err)
			}
		}
	})
}

func TestBadInputIsStoredWithItsBestReading(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		// No From, no Subject, no Message-ID, 8-bit header, broken multipart.
		raw := "To: acme@desk.example\r\nX-Note: caf\xe9\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nna\xefve body\r\n--zz\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n"
		got := f.deliver(t, "ann@customer.example", raw)
		if got.Action != threading.Create {
			t.Fatalf("delivery %+v", got)
		}
		det, err := f.s.Detail(ctx, f.p.ID, got.TicketNumber)
		if err != nil {
			t.Fatal(err)
		}
		m := det.Messages[0]
		if det.Customer != "ann@customer.example" || det.Subject != "(no subject)" || !strings.Contains(m.Text, "body") || m.Problems == "" {
			t.Fatalf("ticket %+v, message %+v", det.Ticket, m)
		}
		back, err := f.s.Raw(ctx, f.p.ID, m.ID)
		if err != nil || !bytes.Equal(back, []byte(raw)) {
			t.Fatalf("raw bytes changed: %v", err)
		}
		// Without a Message-ID, the same bytes again are the same message.
		if again := f.deliver(t, "ann@customer.example", raw); !again.Duplicate {
			t.Fatal("redelivery without Message-ID stored twice")
		}
	})
}

func TestReplyTokenInDeliveredToThreads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.deliver(t, "ann@customer.example", "From: ann@customer.example\r\nSubject: Hello\r\nMessage-ID: <a1@c>\r\n\r\nhi\r\n")
		secret, _ := f.s.Secret(context.Background())
		addr := replytoken.Address("acme", replytoken.Sign(secret, f.p.ID, replytoken.Claims{TicketID: first.TicketID}), "desk.example")
		// A client that dropped In-Reply-To and the subject tag; the forwarder kept Delivered-To.
		got := f.deliver(t, "ann@customer.example", "Delivered-To: "+addr+"\r\nFrom: ann@customer.example\r\nSubject: new words\r\nMessage-ID: <a2@c>\r\n\r\nmore\r\n")
		if got.TicketID != first.TicketID || got.Decision.Reason != threading.ByToken {
			t.Fatalf("got %+v", got)
		}
	})
}

func TestAutoReplyDoesNotReopen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		first := f.deliver(t, "ann@customer.example", "From: ann@customer.example\r\nSubject: Hello\r\nMessage-ID: <b1@c>\r\n\r\nhi\r\n")
		f.s.Close(context.Background(), f.p.ID, first.TicketNumber, "test")
		got := f.deliver(t, "ann@customer.example", "From: ann@customer.example\r\nSubject: Automatic reply: Hello\r\nAuto-Submitted: auto-replied\r\nIn-Reply-To: <b1@c>\r\nMessage-ID: <b2@c>\r\n\r\nI am away\r\n")
		tk, _ := f.s.Ticket(context.Background(), f.p.ID, first.TicketNumber)
		if got.Action != threading.Append || tk.Status != tickets.StatusClosed {
			t.Fatalf("auto-reply: %+v, ticket %s", got, tk.Status)
		}
	})
}

// corpusDir is the shared real-world mail corpus, beside the repository.
func corpusDir(t testing.TB) string {
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s (expected beside the repository as shared/corpus)", dir)
	}
	return dir
}

// Every file of the corpus ingests without error or panic, and what is stored keeps its raw bytes.
func TestEveryCorpusFileIngests(t *testing.T) {
	dir := corpusDir(t)
	var files []string
	filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err == nil && de.Type().IsRegular() && !strings.HasPrefix(de.Name(), "LICENSE") && !strings.HasSuffix(de.Name(), ".json") && de.Name() != "README.md" {
			files = append(files, p)
		}
		return nil
	})
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		kinds := map[string]int{}
		for _, p := range files {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m := Prepare("sender@example.org", raw)
			got, err := f.pl.Deliver(ctx, f.p, []string{"acme@desk.example"}, m)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			kinds[string(got.Action)]++
			if got.MessageID == 0 {
				continue // a robot's mail that answers no ticket, or a message met before
			}
			back, err := f.s.Raw(ctx, f.p.ID, got.MessageID)
			if err != nil || !bytes.Equal(back, raw) {
				t.Errorf("%s: raw bytes not kept intact (%v)", p, err)
			}
		}
		t.Logf("ingested %d corpus files: %v", len(files), kinds)
	})
}

// postdesk's own mail coming back — a forwarding loop, a copy to the support address — carries
// our loop header and is never taken for a customer: it opens no ticket and is answered by nothing.
func TestOwnMailComingBackIsNotHuman(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		raw := "From: Acme <support@acme.example>\r\nTo: ann@customer.example\r\nSubject: [#7] We got your mail\r\nMessage-ID: <ours@desk.example>\r\nX-Postdesk-Loop: acme@desk.example\r\n\r\nThanks.\r\n"
		m := Prepare("support@acme.example", []byte(raw))
		if m.Class.Kind == "human" {
			t.Fatal("our own mail classified as human")
		}
		got, err := f.pl.Deliver(context.Background(), f.p, []string{"acme@desk.example"}, m)
		if err != nil {
			t.Fatal(err)
		}
		if got.Action != threading.Drop {
			t.Fatalf("our own mail: %s, want it dropped", got.Action)
		}
	})
}
