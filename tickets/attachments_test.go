package tickets_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

func TestAttachmentAndHTMLStayWithinTheirProperty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := tickets.New(d)
		secret, err := s.Secret(ctx)
		if err != nil {
			t.Fatal(err)
		}
		acme, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		beta, err := s.CreateProperty(ctx, tickets.NewProperty{Slug: "beta", Name: "Beta"})
		if err != nil {
			t.Fatal(err)
		}
		pdf := []byte("%PDF-1.4\x00\xff binary")
		dl, err := s.Deliver(ctx, acme, secret, tickets.Inbound{
			From: tickets.Address{Email: "ann@example.org"}, Subject: "Invoice", MessageID: "inv@example.org", Kind: "human",
			Text: "see attached", HTML: "<p>see <b>attached</b></p>", Raw: []byte("Subject: Invoice\r\n\r\nsee attached"),
			Attachments: []tickets.NewAttachment{{Filename: "invoice.pdf", ContentType: "application/pdf", Data: pdf}},
		})
		if err != nil {
			t.Fatal(err)
		}
		detail, err := s.Detail(ctx, acme.ID, dl.TicketNumber)
		if err != nil || len(detail.Messages) != 1 || len(detail.Messages[0].Attachments) != 1 {
			t.Fatalf("detail: %+v %v", detail, err)
		}
		meta := detail.Messages[0].Attachments[0]

		a, err := s.Attachment(ctx, acme.ID, meta.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Data, pdf) || a.Filename != "invoice.pdf" || a.ContentType != "application/pdf" || a.Size != int64(len(pdf)) || a.MessageID != dl.MessageID {
			t.Fatalf("attachment: %+v", a)
		}
		if _, err := s.Attachment(ctx, beta.ID, meta.ID); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("acme's attachment read as beta's: %v", err)
		}
		if _, err := s.Attachment(ctx, acme.ID, meta.ID+1000); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("an attachment that does not exist: %v", err)
		}

		html, err := s.MessageHTML(ctx, acme.ID, dl.MessageID)
		if err != nil || html != "<p>see <b>attached</b></p>" {
			t.Fatalf("html: %q %v", html, err)
		}
		if _, err := s.MessageHTML(ctx, beta.ID, dl.MessageID); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("acme's message read as beta's: %v", err)
		}
	})
}

func TestDepartmentsListWithMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := tickets.New(d)
		acme, _ := s.CreateProperty(ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"})
		beta, _ := s.CreateProperty(ctx, tickets.NewProperty{Slug: "beta", Name: "Beta"})
		for _, e := range []string{"bob@acme.example", "al@acme.example"} {
			if _, err := s.AddAgent(ctx, acme.ID, e, "X", ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddDepartment(ctx, acme.ID, "sales", []string{"bob@acme.example", "al@acme.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddDepartment(ctx, acme.ID, "Billing", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddDepartment(ctx, beta.ID, "Other", nil); err != nil {
			t.Fatal(err)
		}
		ds, err := s.Departments(ctx, acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2 || ds[0].Name != "Billing" || len(ds[0].Members) != 0 || ds[1].Name != "sales" ||
			len(ds[1].Members) != 2 || ds[1].Members[0] != "al@acme.example" {
			t.Fatalf("departments: %+v", ds)
		}
	})
}
