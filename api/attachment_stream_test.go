package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

// A file of several pieces downloads whole, with its Content-Length, and HEAD gives the headers
// alone.
func TestAttachmentDownloadsInPiecesAndHeadSendsNoBytes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newDesk(t, d)
		ctx := context.Background()
		secret, err := e.store.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 3<<20+5)
		rand.NewChaCha8([32]byte{42}).Read(data)
		dl, err := e.store.Deliver(ctx, e.acme, secret, tickets.Inbound{
			From: tickets.Address{Email: "ann@example.org"}, Subject: "Scan", MessageID: "scan@example.org", Kind: "human",
			Text: "attached", Raw: []byte("Subject: Scan\r\n\r\nattached"),
			Attachments: []tickets.NewAttachment{{Filename: "scan.tiff", ContentType: "image/tiff", Data: data}},
		})
		if err != nil {
			t.Fatal(err)
		}
		detail, err := e.store.Detail(ctx, e.acme.ID, dl.TicketNumber)
		if err != nil || len(detail.Messages) != 1 || len(detail.Messages[0].Attachments) != 1 {
			t.Fatalf("detail: %+v %v", detail, err)
		}
		url := fmt.Sprintf("%s/api/v1/properties/acme/attachments/%d", e.srv.URL, detail.Messages[0].Attachments[0].ID)
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, err := http.NewRequest(method, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+e.token["support"])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatalf("%s: %v", method, err)
			}
			if res.StatusCode != 200 || res.Header.Get("Content-Length") != strconv.Itoa(len(data)) ||
				res.Header.Get("Content-Type") != "image/tiff" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s: %d %v", method, res.StatusCode, res.Header)
			}
			want := data
			if method == http.MethodHead {
				want = nil
			}
			if !bytes.Equal(body, want) {
				t.Fatalf("%s: %d bytes, want %d, equal: %v", method, len(body), len(want), bytes.Equal(body, want))
			}
		}
		// beta's token on acme's path, and beta's path with acme's ID, are both 404.
		for _, c := range []struct{ path, token string }{
			{url, e.token["beta"]},
			{fmt.Sprintf("%s/api/v1/properties/beta/attachments/%d", e.srv.URL, detail.Messages[0].Attachments[0].ID), e.token["beta"]},
		} {
			req, _ := http.NewRequest(http.MethodGet, c.path, nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 404 {
				t.Fatalf("%s: %d", c.path, res.StatusCode)
			}
		}
	})
}
