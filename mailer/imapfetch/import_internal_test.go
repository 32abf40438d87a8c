package imapfetch

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestEnvelopeSenderIsReturnPathElseFrom(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"Return-Path: <bounce+x@mailer.example>\r\nFrom: Ann <ann@customer.example>\r\n\r\nbody", "bounce+x@mailer.example"},
		{"From: Ann <ann@customer.example>\r\nSubject: hi\r\n\r\nbody", "ann@customer.example"},
		{"From: =?utf-8?q?Ann_M=C3=BCller?=\r\n <ann@customer.example>\r\n\r\n", "ann@customer.example"},
		{"Sender: list@lists.example\r\n\r\n", "list@lists.example"},
		// A bounce keeps its null sender: classify reads Return-Path: <> itself, and From
		// stands in so the envelope is never "" for mail that names a sender.
		{"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\n\r\n", "mailer-daemon@mx.example"},
		{"Subject: no sender at all\n\nbody", ""},
		{"Subject: x\r\n\r\nFrom: in-the-body@example.com\r\n", ""},
	} {
		if got := envelopeSender([]byte(tc.raw)); !strings.EqualFold(got, tc.want) {
			t.Errorf("envelopeSender(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestHeaderFieldUnfoldsAndStopsAtTheBody(t *testing.T) {
	raw := []byte("References: <a@x>\r\n <b@x>\r\n\t<c@x>\r\nIn-Reply-To:<c@x>\nMessage-Id: d@x\r\n\r\nReferences: <body@x>\r\n")
	if got := msgIDs(raw, "References"); !slices.Equal(got, []string{"a@x", "b@x", "c@x"}) {
		t.Errorf("References = %q", got)
	}
	if got := msgIDs(raw, "in-reply-to"); !slices.Equal(got, []string{"c@x"}) {
		t.Errorf("In-Reply-To = %q", got)
	}
	if got := msgIDs(raw, "Message-ID"); !slices.Equal(got, []string{"d@x"}) {
		t.Errorf("Message-ID = %q", got)
	}
	if _, ok := headerField(raw, "Subject"); ok {
		t.Error("found a field that is not there")
	}
}

func TestThreadsQueueAReplyBehindWhatItAnswers(t *testing.T) {
	thr := newThreads()
	msg := func(uid imap.UID, h string) fetched {
		return fetched{uid: uid, date: time.Now(), raw: []byte(h + "\r\n\r\nbody")}
	}
	orig := thr.add(msg(1, "Message-ID: <o@x>"), 8)
	reply := thr.add(msg(2, "Message-ID: <r@x>\r\nIn-Reply-To: <o@x>"), 8)
	replyToReply := thr.add(msg(3, "Message-ID: <rr@x>\r\nReferences: <r@x>"), 8)
	other := thr.add(msg(4, "Message-ID: <z@x>"), 8)
	if reply.worker != orig.worker || replyToReply.worker != orig.worker || len(reply.after) != 1 || len(replyToReply.after) != 1 {
		t.Fatalf("reply on worker %d (after %d), reply to it on %d, original on %d", reply.worker, len(reply.after), replyToReply.worker, orig.worker)
	}
	if len(other.after) != 0 {
		t.Fatal("an unrelated message waits")
	}
	thr.finish(orig)
	select {
	case <-reply.after[0]:
	default:
		t.Fatal("the reply still waits after the original was delivered")
	}
	// Once delivered, a message is no longer in flight: a later reply does not wait for it.
	if late := thr.add(msg(5, "Message-ID: <l@x>\r\nIn-Reply-To: <o@x>"), 8); len(late.after) != 0 {
		t.Fatal("waits for a message already delivered")
	}
}

func TestImportCheckpointOnlyPassesContiguousWork(t *testing.T) {
	s := newImportState([]imap.UID{3, 5, 9, 12})
	s.delivered(5, false, nil)
	s.delivered(9, true, nil)
	s.acted(s.takeReady())
	if upto, n, left := s.advance(); upto != 0 || n != 1 || left != 4 {
		t.Fatalf("advance = %d, %d, %d: must not pass UID 3", upto, n, left)
	}
	s.skip(3) // expunged meanwhile
	if upto, _, left := s.advance(); upto != 9 || left != 1 {
		t.Fatalf("advance = %d (left %d), want 9", upto, left)
	}
	if imported, dups, skipped := s.counts(); imported != 1 || dups != 1 || skipped != 1 {
		t.Fatalf("counts %d %d %d", imported, dups, skipped)
	}
}
