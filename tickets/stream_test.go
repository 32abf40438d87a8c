package tickets_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/tickets"
)

const mib = 1 << 20

// randomBytes is n pseudo-random bytes, the same for the same seed: no period a piece boundary
// could hide an offset error behind.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	r.Read(b)
	return b
}

type streamEnv struct {
	ctx        context.Context
	s          *tickets.Store
	acme, beta tickets.Property
	secret     []byte
}

func newStreamEnv(t testing.TB, d *db.DB) *streamEnv {
	t.Helper()
	e := &streamEnv{ctx: context.Background(), s: tickets.New(d)}
	var err error
	if e.secret, err = e.s.Secret(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.acme, err = e.s.CreateProperty(e.ctx, tickets.NewProperty{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if e.beta, err = e.s.CreateProperty(e.ctx, tickets.NewProperty{Slug: "beta", Name: "Beta"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// deliver stores a mail to acme with one attachment of data, and returns the delivery and the
// attachment's ID.
func (e *streamEnv) deliver(t testing.TB, name string, data []byte) (tickets.Delivery, int64) {
	t.Helper()
	dl, err := e.s.Deliver(e.ctx, e.acme, e.secret, tickets.Inbound{
		From: tickets.Address{Email: "ann@example.org"}, Subject: "File " + name, MessageID: name + "@example.org", Kind: "human",
		Text: "attached", Raw: []byte("Subject: File " + name + "\r\n\r\nattached"),
		Attachments: []tickets.NewAttachment{{Filename: name, ContentType: "application/octet-stream", Data: data}},
	})
	if err != nil {
		t.Fatal(err)
	}
	detail, err := e.s.Detail(e.ctx, e.acme.ID, dl.TicketNumber)
	if err != nil || len(detail.Messages) != 1 || len(detail.Messages[0].Attachments) != 1 {
		t.Fatalf("detail: %+v %v", detail, err)
	}
	return dl, detail.Messages[0].Attachments[0].ID
}

// pieceWriter keeps what is written and the size of every Write.
type pieceWriter struct {
	buf    bytes.Buffer
	pieces []int
}

func (w *pieceWriter) Write(p []byte) (int, error) {
	w.pieces = append(w.pieces, len(p))
	return w.buf.Write(p)
}

func TestWriteAttachmentIsTheFileByteForByte(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newStreamEnv(t, d)
		for i, size := range []int{0, 1, mib - 1, mib, mib + 1, 2*mib + 17, 25 * mib} {
			t.Run(fmt.Sprint(size), func(t *testing.T) {
				data := randomBytes(uint64(i+1), size)
				dl, id := e.deliver(t, fmt.Sprintf("f%d.bin", size), data)

				info, err := e.s.AttachmentInfo(e.ctx, e.acme.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(data)
				if info.ID != id || info.MessageID != dl.MessageID || info.Size != int64(size) || info.Filename != fmt.Sprintf("f%d.bin", size) ||
					info.ContentType != "application/octet-stream" || info.SHA256 != hex.EncodeToString(sum[:]) || info.Data != nil {
					t.Fatalf("info: %+v", info)
				}

				var w pieceWriter
				n, err := e.s.WriteAttachment(e.ctx, e.acme.ID, id, &w)
				if err != nil {
					t.Fatal(err)
				}
				if n != int64(size) || !bytes.Equal(w.buf.Bytes(), data) {
					t.Fatalf("wrote %d bytes (want %d), equal: %v", n, size, bytes.Equal(w.buf.Bytes(), data))
				}
				if want := (size + mib - 1) / mib; len(w.pieces) != want {
					t.Fatalf("%d pieces, want %d: %v", len(w.pieces), want, w.pieces)
				}
				for _, p := range w.pieces {
					if p > mib || p == 0 {
						t.Fatalf("a piece of %d bytes: %v", p, w.pieces)
					}
				}
			})
		}
	})
}

func TestWriteAttachmentOfAnotherPropertyIsNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newStreamEnv(t, d)
		_, id := e.deliver(t, "secret.bin", randomBytes(7, 3000))
		var w bytes.Buffer
		for _, c := range []struct {
			prop, id int64
		}{{e.beta.ID, id}, {e.acme.ID, id + 1000}} {
			if _, err := e.s.AttachmentInfo(e.ctx, c.prop, c.id); !errors.Is(err, tickets.ErrNotFound) {
				t.Fatalf("info of property %d, attachment %d: %v", c.prop, c.id, err)
			}
			n, err := e.s.WriteAttachment(e.ctx, c.prop, c.id, &w)
			if !errors.Is(err, tickets.ErrNotFound) || n != 0 || w.Len() != 0 {
				t.Fatalf("write of property %d, attachment %d: %d bytes, %d in w, %v", c.prop, c.id, n, w.Len(), err)
			}
		}
	})
}

// purgingWriter purges the attachment's ticket once the first piece is written.
type purgingWriter struct {
	t      testing.TB
	e      *streamEnv
	number int64
	n      int
}

func (w *purgingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		if _, err := w.e.s.Trash(w.e.ctx, w.e.acme, w.number, "agent:al@acme.example"); err != nil {
			w.t.Error(err)
		}
		if err := w.e.s.Purge(w.e.ctx, w.e.acme, w.number, "agent:al@acme.example"); err != nil {
			w.t.Error(err)
		}
	}
	w.n += len(p)
	return len(p), nil
}

func TestWriteAttachmentPurgedMidwayIsAnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newStreamEnv(t, d)
		dl, id := e.deliver(t, "big.bin", randomBytes(9, 3*mib))
		w := &purgingWriter{t: t, e: e, number: dl.TicketNumber}
		n, err := e.s.WriteAttachment(e.ctx, e.acme.ID, id, w)
		if !errors.Is(err, tickets.ErrAttachmentChanged) || n != mib || w.n != mib {
			t.Fatalf("purged after the first piece: %d bytes written (%d seen), %v", n, w.n, err)
		}
		if _, err := e.s.AttachmentInfo(e.ctx, e.acme.ID, id); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("after the purge: %v", err)
		}
	})
}

// failingWriter fails its second write.
type failingWriter struct{ n int }

var errClientGone = errors.New("client gone")

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	if w.n == 2 {
		return 0, errClientGone
	}
	return len(p), nil
}

func TestWriteAttachmentStopsWhenTheWriterFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newStreamEnv(t, d)
		_, id := e.deliver(t, "big.bin", randomBytes(11, 3*mib))
		w := &failingWriter{}
		n, err := e.s.WriteAttachment(e.ctx, e.acme.ID, id, w)
		if !errors.Is(err, errClientGone) || n != mib || w.n != 2 {
			t.Fatalf("%d bytes, %d writes, %v", n, w.n, err)
		}
	})
}

// heapWriter hashes what it is given and, at every piece, collects the heap and records the most
// it held: memory that stays live while the download runs, whatever garbage a piece left.
type heapWriter struct {
	h       hash.Hash
	n       int64
	maxHeap uint64
}

func (w *heapWriter) Write(p []byte) (int, error) {
	w.h.Write(p)
	w.n += int64(len(p))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.maxHeap = max(w.maxHeap, ms.HeapAlloc)
	return len(p), nil
}

// The point of streaming: a 25 MiB attachment is written while the heap holds about one piece,
// not the file.
func TestWriteAttachmentHoldsOnePieceNotTheFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newStreamEnv(t, d)
		const size = 25 * mib
		data := randomBytes(13, size)
		want := sha256.Sum256(data)
		_, id := e.deliver(t, "huge.bin", data)
		data = nil // only the database holds the file now

		// A first download prepares the statements and warms the connections.
		if _, err := e.s.WriteAttachment(e.ctx, e.acme.ID, id, io.Discard); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		w := &heapWriter{h: sha256.New()}
		n, err := e.s.WriteAttachment(e.ctx, e.acme.ID, id, w)
		if err != nil {
			t.Fatal(err)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if n != size || !bytes.Equal(w.h.Sum(nil), want[:]) {
			t.Fatalf("wrote %d bytes, sum equal: %v", n, bytes.Equal(w.h.Sum(nil), want[:]))
		}
		growth := int64(w.maxHeap) - int64(before.HeapAlloc)
		t.Logf("live heap grew by at most %.2f MiB over %.2f MiB; %.2f MiB allocated in all",
			float64(growth)/mib, float64(before.HeapAlloc)/mib, float64(after.TotalAlloc-before.TotalAlloc)/mib)
		if growth > 8*mib {
			t.Fatalf("the heap held %.2f MiB more while a %d MiB attachment was written", float64(growth)/mib, size/mib)
		}
	})
}

// BenchmarkWriteAttachment25MiB reports what one download of 25 MiB allocates in all (B/op) and
// its throughput, on each engine.
func BenchmarkWriteAttachment25MiB(b *testing.B) {
	for _, eng := range dbtest.Engines() {
		b.Run(eng.Name, func(b *testing.B) {
			e := newStreamEnv(b, dbtest.Open(b, eng))
			_, id := e.deliver(b, "huge.bin", randomBytes(17, 25*mib))
			b.SetBytes(25 * mib)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.s.WriteAttachment(e.ctx, e.acme.ID, id, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
