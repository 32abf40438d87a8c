package intake

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/dbtest"
)

// BenchmarkDeliverLarge measures the memory one large message costs on its way through intake —
// Prepare (parse, classify) and Deliver (thread, store, commit) — on each engine and for a few
// shapes of message. The raw bytes, already in memory when intake gets them (the SMTP server read
// them), count as 1×. Reported per message, as multiples of its size:
//
//	peak/size   the highest Go heap (live and not yet collected objects) seen while it was
//	            delivered, sampled every 0.5 ms, above the heap before it plus the raw bytes;
//	rss/size    the same for the resident set of the process (which also holds SQLite's own
//	            memory, outside the Go heap), after memory was returned to the OS before;
//	alloc/size  the bytes allocated on the Go heap in all.
//
// Each figure is the highest of the iterations. Run it with, for example,
//
//	go test ./intake/ -run '^$' -bench DeliverLarge -benchtime 3x
func BenchmarkDeliverLarge(b *testing.B) {
	shapes := []struct {
		name string
		make func(size int) []byte
		size int
	}{
		{"attach25MiB", attachmentMail, 25 << 20},
		{"text25MiB", textMail, 25 << 20},
		{"html25MiB", htmlMail, 25 << 20},
		{"forward25MiB", forwardMail, 25 << 20},
		{"attach72MB", attachmentMail, 72e6},
	}
	for _, e := range dbtest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			for _, sh := range shapes {
				b.Run(sh.name, func(b *testing.B) {
					f := newFixture(b, dbtest.Open(b, e))
					ctx, p, pl := context.Background(), f.p, f.pl
					template := sh.make(sh.size)
					// Warm up the statements and connections with a small mail.
					if _, err := pl.Deliver(ctx, p, []string{"acme@localhost"}, Prepare("c@customer.example", withID(attachmentMail(4<<10), 0))); err != nil {
						b.Fatal(err)
					}
					var peak, rss, alloc float64
					b.SetBytes(int64(len(template)))
					b.ResetTimer()
					for i := range b.N {
						b.StopTimer()
						raw := withID(template, i+1)
						debug.FreeOSMemory() // a GC, and freed memory back to the OS: a low RSS baseline
						b.StartTimer()
						m := measure(func() {
							if _, err := pl.Deliver(ctx, p, []string{"acme@localhost"}, Prepare("c@customer.example", raw)); err != nil {
								b.Fatal(err)
							}
						})
						size := float64(len(raw))
						peak = max(peak, float64(m.peakHeap+uint64(len(raw)))/size)
						rss = max(rss, float64(m.peakRSS+uint64(len(raw)))/size)
						alloc = max(alloc, float64(m.allocs)/size)
						runtime.KeepAlive(raw)
					}
					b.ReportMetric(peak, "peak/size")
					b.ReportMetric(rss, "rss/size")
					b.ReportMetric(alloc, "alloc/size")
				})
			}
		})
	}
}

// usage is what one call cost: the highest heap and resident set above where they were before,
// and the bytes allocated.
type usage struct {
	peakHeap, peakRSS, allocs uint64
}

// measure runs f with a sampler watching the heap and the resident set.
func measure(f func()) usage {
	statm, _ := os.Open("/proc/self/statm")
	if statm != nil {
		defer statm.Close()
	}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	baseHeap, baseAllocs := samples[0].Value.Uint64(), samples[1].Value.Uint64()
	baseRSS := residentBytes(statm)
	var (
		mu             sync.Mutex
		maxHeap, maxRS = baseHeap, baseRSS
		stop           = make(chan struct{})
		done           = make(chan struct{})
	)
	sample := func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		r := residentBytes(statm)
		mu.Lock()
		maxHeap, maxRS = max(maxHeap, s[0].Value.Uint64()), max(maxRS, r)
		mu.Unlock()
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			sample()
			time.Sleep(500 * time.Microsecond)
		}
	}()
	f()
	sample()
	close(stop)
	<-done
	metrics.Read(samples)
	mu.Lock()
	defer mu.Unlock()
	return usage{peakHeap: maxHeap - baseHeap, peakRSS: maxRS - baseRSS, allocs: samples[1].Value.Uint64() - baseAllocs}
}

var pageSize = uint64(os.Getpagesize())

// residentBytes reads the resident set size from /proc/self/statm; 0 when it cannot.
func residentBytes(statm *os.File) uint64 {
	if statm == nil {
		return 0
	}
	var buf [128]byte
	n, _ := statm.ReadAt(buf[:], 0)
	f := strings.Fields(string(buf[:n]))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * pageSize
}

// withID gives a copy of template a Message-ID of its own, so every delivery opens a ticket.
func withID(template []byte, i int) []byte {
	id := fmt.Sprintf("Message-ID: <large-%d-%d@customer.example>\r\n", i, time.Now().UnixNano())
	raw := make([]byte, 0, len(id)+len(template))
	return append(append(raw, id...), template...)
}

const largeHeader = "From: Carol Customer <carol@customer.example>\r\n" +
	"To: acme@localhost\r\n" +
	"Subject: The scans you asked for\r\n" +
	"Date: Mon, 2 Mar 2026 10:00:00 +0100\r\n" +
	"MIME-Version: 1.0\r\n"

// attachmentMail is a short text with one base64 attachment, size bytes in all.
func attachmentMail(size int) []byte {
	var w bytes.Buffer
	w.Grow(size + 1024)
	w.WriteString(largeHeader)
	w.WriteString("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n")
	w.WriteString("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\nthe scans are attached.\r\n\r\nCarol\r\n")
	w.WriteString("--b1\r\nContent-Type: application/pdf; name=\"scans.pdf\"\r\nContent-Disposition: attachment; filename=\"scans.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	const tail = "--b1--\r\n"
	// 57 bytes encode to a 76-character line plus CRLF.
	lines := (size - w.Len() - len(tail)) / 78
	rng := rand.New(rand.NewPCG(1, 2))
	chunk := make([]byte, 57)
	enc := make([]byte, 76)
	for range lines {
		for j := range chunk {
			chunk[j] = byte(rng.Uint32())
		}
		base64.StdEncoding.Encode(enc, chunk)
		w.Write(enc)
		w.WriteString("\r\n")
	}
	w.WriteString(tail)
	return w.Bytes()
}

// forwardMail forwards, as an attached message, a mail with one base64 attachment; size bytes in
// all.
func forwardMail(size int) []byte {
	const head = largeHeader + "Content-Type: multipart/mixed; boundary=\"f1\"\r\n\r\n" +
		"--f1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the mail below.\r\n" +
		"--f1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"scans.eml\"\r\n\r\n"
	const tail = "\r\n--f1--\r\n"
	inner := attachmentMail(size - len(head) - len(tail))
	inner = append([]byte("Message-ID: <inner@customer.example>\r\n"), inner...)
	return append(append([]byte(head), inner...), tail...)
}

var proseLines = []string{
	"The printer on the second floor keeps on jamming and the toner is leaking everywhere.",
	"We tried the steps from your knowledge base: switched it off, cleaned the rollers, no luck.",
	"Grüße aus Köln — the log below is what the machine printed before it stopped.",
	"Line 4711: paper path sensor S3 reports a timeout after 1200 ms; retrying.",
}

// textMail is one big 8-bit text/plain body, size bytes in all.
func textMail(size int) []byte {
	var w bytes.Buffer
	w.Grow(size + 1024)
	w.WriteString(largeHeader)
	w.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for i := 0; w.Len() < size-100; i++ {
		w.WriteString(proseLines[i%len(proseLines)])
		w.WriteString("\r\n")
	}
	return w.Bytes()
}

// htmlMail is one big quoted-printable text/html body (no text/plain alternative), size bytes in
// all.
func htmlMail(size int) []byte {
	var w bytes.Buffer
	w.Grow(size + 1024)
	w.WriteString(largeHeader)
	w.WriteString("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&w)
	qp.Write([]byte("<html><body>\n"))
	for i := 0; w.Len() < size-200; i++ {
		fmt.Fprintf(qp, "<p style=\"margin:0\">%s</p>\n", proseLines[i%len(proseLines)])
	}
	qp.Write([]byte("</body></html>\n"))
	qp.Close()
	return w.Bytes()
}
