package sender_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/dkimkeys"
	"github.com/postdesk/postdesk/outbox"
)

const fromAcme = "From: Acme <support@acme.example>\r\nTo: ann@customer.example\r\nSubject: [#1] Hi\r\nMessage-ID: <%s>\r\n" +
	"Date: Fri, 04 Dec 2026 03:00:00 +0000\r\n\r\nWe got it.\r\n"

func (e *env) enqueueRaw(t *testing.T, messageID, raw string) int64 {
	t.Helper()
	var id int64
	err := e.d.Tx(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		id, err = outbox.Enqueue(context.Background(), e.d, tx, outbox.New{
			PropertyID: e.prop, TicketID: e.ticket, MessageID: messageID, Kind: "acknowledgement", Automatic: true,
			From: "acme@desk.example", Rcpts: []string{"ann@customer.example"}, Raw: []byte(raw),
		}, e.clk.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The sender signs a property's mail with its key as it hands it to the relay: the relayed
// bytes verify against the key's record, and the queued bytes stay as they were rendered.
func TestSenderSignsWithThePropertysKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ctx := context.Background()
		keys, err := dkimkeys.Open(ctx, d, []byte("a server secret of enough length"))
		if err != nil {
			t.Fatal(err)
		}
		k, err := keys.Generate(ctx, e.prop, "acme.example", "s1", "rsa")
		if err != nil {
			t.Fatal(err)
		}
		raw := fmt.Sprintf(fromAcme, "signed@desk.example")
		id := e.enqueueRaw(t, "signed@desk.example", raw)
		s, stop := e.run(t, e.relayTransport(t), keys)
		defer stop()
		e.waitStatus(t, id, outbox.Sent)
		got := e.relay.Messages()
		if len(got) != 1 {
			t.Fatalf("relay got %d mails", len(got))
		}
		rec := k.Record()
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(got[0].Data), &dkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
			if name != rec.Name {
				return nil, errors.New("no such record")
			}
			return []string{rec.Value}, nil
		}})
		if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "acme.example" {
			t.Fatalf("verify %v, %+v:\n%s", err, vs, got[0].Data)
		}
		if m, _ := e.q.Get(ctx, id); string(m.Raw) != raw {
			t.Fatalf("the queued bytes changed:\n%s", m.Raw)
		}
		// Mail from another domain goes out as it is.
		other := strings.Replace(fmt.Sprintf(fromAcme, "other@desk.example"), "acme.example", "other.example", 1)
		id = e.enqueueRaw(t, "other@desk.example", other)
		s.Kick()
		e.waitStatus(t, id, outbox.Sent)
		if got := e.relay.Messages(); len(got) != 2 || string(got[1].Data) != other || bytes.Contains(got[1].Data, []byte("DKIM-Signature")) {
			t.Fatalf("mail from another domain: %q", got[len(got)-1].Data)
		}
	})
}

type failingSigner struct{}

func (failingSigner) Sign(context.Context, int64, []byte) ([]byte, error) {
	return nil, errors.New("the key does not open")
}

// A mail that cannot be signed stays queued, with the reason, and nothing reaches the relay.
func TestUnsignableMailIsDeferred(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		id := e.enqueueRaw(t, "x@desk.example", fmt.Sprintf(fromAcme, "x@desk.example"))
		_, stop := e.run(t, e.relayTransport(t), failingSigner{})
		defer stop()
		m := e.waitStatus(t, id, outbox.Queued)
		for deadline := time.Now().Add(15 * time.Second); m.Attempts < 1 || m.LastError == ""; m = e.waitStatus(t, id, outbox.Queued) {
			if time.Now().After(deadline) {
				t.Fatalf("no attempt recorded after 15 s: %+v", m)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(m.LastError, "the key does not open") || e.relay.Attempts() != 0 {
			t.Fatalf("after a signing failure: %+v, relay attempts %d", m, e.relay.Attempts())
		}
	})
}
