package rating_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/rating"
	"github.com/postdesk/postdesk/testclock"
	"github.com/postdesk/postdesk/tickets"
)

// world is a property with a closed ticket, another property with one, and the page served.
type world struct {
	s       *tickets.Store
	clk     *testclock.Clock
	secret  []byte
	p, q    tickets.Property
	t1, t2  int64 // ticket ids: #1 of p (closed at closed), #1 of q
	t3      int64 // #2 of p, open
	closed  time.Time
	srv     *httptest.Server
	ctx     context.Context
	rateURL func(ticketID, propertyID int64, at time.Time, choice string) string
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	w := &world{clk: testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), ctx: context.Background()}
	w.s = tickets.New(d, tickets.WithClock(w.clk.Now))
	var err error
	if w.secret, err = w.s.Secret(w.ctx); err != nil {
		t.Fatal(err)
	}
	deliver := func(p tickets.Property, id string) int64 {
		t.Helper()
		del, err := w.s.Deliver(w.ctx, p, w.secret, tickets.Inbound{From: tickets.Address{Name: "Ann", Email: "ann@customer.example"},
			Subject: "Printer on fire", MessageID: id, Raw: []byte(id), Kind: "human"})
		if err != nil {
			t.Fatal(err)
		}
		return del.TicketID
	}
	if w.p, err = w.s.CreateProperty(w.ctx, tickets.NewProperty{Slug: "acme", Name: "Acme Support", Locale: "fr-CA"}); err != nil {
		t.Fatal(err)
	}
	if w.q, err = w.s.CreateProperty(w.ctx, tickets.NewProperty{Slug: "other", Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	w.t1, w.t2, w.t3 = deliver(w.p, "m1@c"), deliver(w.q, "m2@c"), deliver(w.p, "m3@c")
	tk, err := w.s.Close(w.ctx, w.p.ID, 1, tickets.ActorCLI)
	if err != nil {
		t.Fatal(err)
	}
	w.closed = tk.ClosedAt.Truncate(time.Second)
	w.srv = httptest.NewServer(rating.Handler{Store: w.s, Secret: w.secret, Now: w.clk.Now})
	t.Cleanup(w.srv.Close)
	w.rateURL = func(ticketID, propertyID int64, at time.Time, choice string) string {
		return w.srv.URL + rating.Path + rating.Sign(w.secret, rating.Claims{TicketID: ticketID, PropertyID: propertyID, ClosedAt: at, Choice: choice})
	}
	return w
}

func get(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func post(t *testing.T, u, comment string) (int, string) {
	t.Helper()
	res, err := http.PostForm(u, url.Values{"comment": {comment}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (w *world) rating(t *testing.T, number int64) (*tickets.Rating, []tickets.Event) {
	t.Helper()
	det, err := w.s.Detail(w.ctx, w.p.ID, number)
	if err != nil {
		t.Fatal(err)
	}
	var evs []tickets.Event
	for _, e := range det.Events {
		if strings.HasPrefix(e.Kind, "rat") {
			evs = append(evs, e)
		}
	}
	return det.RatingDetail, evs
}

// A customer's rating link records a rating once: following it (as every mail scanner does,
// for all three links) records nothing; pressing the page's button records the link's choice,
// once, however often it is sent again.
func TestACustomersRatingLinkRecordsARatingOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for _, ch := range rating.Choices {
			status, body, h := get(t, w.rateURL(w.t1, w.p.ID, w.closed, ch))
			if status != 200 || !strings.Contains(body, "Demande n°1 : Printer on fire") || !strings.Contains(body, `<form method="post">`) ||
				strings.Contains(body, "<script") || strings.Contains(body, "http") {
				t.Fatalf("GET %s: %d\n%s", ch, status, body)
			}
			style := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(body)
			sum := sha256.Sum256([]byte(style[1]))
			if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
				!strings.Contains(csp, "form-action 'self'") || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "private, no-store" {
				t.Fatalf("GET %s: headers %v", ch, h)
			}
		}
		if r, _ := w.rating(t, 1); r != nil {
			t.Fatalf("a GET recorded %+v", r)
		}
		u := w.rateURL(w.t1, w.p.ID, w.closed, rating.Good)
		for range 3 {
			if status, body := post(t, u, "Quick and kind."); status != 200 || !strings.Contains(body, "Merci ! Votre avis est enregistré : Bien.") {
				t.Fatalf("POST: %d\n%s", status, body)
			}
		}
		r, evs := w.rating(t, 1)
		if r == nil || r.Rating != "good" || r.Comment != "Quick and kind." || len(evs) != 1 || evs[0].Kind != "rated" || evs[0].Detail != "good" {
			t.Fatalf("rating %+v, events %+v", r, evs)
		}
		// The page then shows it, with the comment to edit.
		if _, body, _ := get(t, w.rateURL(w.t1, w.p.ID, w.closed, rating.Bad)); !strings.Contains(body, "Votre avis actuel : Bien") || !strings.Contains(body, "Quick and kind.</textarea>") {
			t.Fatalf("the page after rating:\n%s", body)
		}
	})
}

// A rating can be changed for 7 days after the close, not after.
func TestARatingCanBeChangedForSevenDaysNotAfter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		if status, _ := post(t, w.rateURL(w.t1, w.p.ID, w.closed, rating.Bad), ""); status != 200 {
			t.Fatal(status)
		}
		w.clk.Advance(w.closed.Add(rating.Window - time.Minute).Sub(w.clk.Now()))
		if status, _ := post(t, w.rateURL(w.t1, w.p.ID, w.closed, rating.Okay), "better now"); status != 200 {
			t.Fatalf("a change on the 7th day: %d", status)
		}
		w.clk.Advance(time.Minute)
		for _, do := range []func() (int, string){
			func() (int, string) { s, b, _ := get(t, w.rateURL(w.t1, w.p.ID, w.closed, rating.Good)); return s, b },
			func() (int, string) { return post(t, w.rateURL(w.t1, w.p.ID, w.closed, rating.Good), "after") },
		} {
			if status, body := do(); status != http.StatusGone || !strings.Contains(body, "Ce lien a expiré") || strings.Contains(body, "<form") {
				t.Fatalf("after 7 days: %d\n%s", status, body)
			}
		}
		r, evs := w.rating(t, 1)
		if r == nil || r.Rating != "okay" || r.Comment != "better now" || len(evs) != 2 || evs[1].Detail != "bad → okay" {
			t.Fatalf("rating %+v, events %+v", r, evs)
		}
	})
}

// A link for one ticket never rates another, nor another property's: a link whose claims were
// changed, or signed for a ticket of another property, or for a ticket the property does not
// hold, is a 404 that says nothing; a ticket closed again takes the new close's links only.
func TestALinkForOneTicketNeverRatesAnother(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		good := w.rateURL(w.t1, w.p.ID, w.closed, rating.Good)
		i := strings.LastIndex(good, "/")
		bent := good[:i+1] + strings.Replace(good[i+1:], ".", "9.", 1) // another ticket id, same signature
		for name, u := range map[string]string{
			"a bent link":                      bent,
			"another property's ticket, via p": w.rateURL(w.t2, w.p.ID, w.closed, rating.Good),
			"p's ticket, signed for q":         w.rateURL(w.t1, w.q.ID, w.closed, rating.Good),
			"a ticket that does not exist":     w.rateURL(9999, w.p.ID, w.closed, rating.Good),
			"a path below the link":            good + "/x",
			"a link under another secret, too": w.srv.URL + rating.Path + rating.Sign([]byte("x"), rating.Claims{TicketID: w.t1, PropertyID: w.p.ID, ClosedAt: w.closed, Choice: rating.Good}),
		} {
			if status, body := post(t, u, "x"); status != http.StatusNotFound || strings.Contains(body, "Printer") {
				t.Errorf("%s: %d %q", name, status, body)
			}
		}
		if r, _ := w.rating(t, 1); r != nil {
			t.Fatalf("rated by a foreign link: %+v", r)
		}
		for _, n := range []int64{1} {
			if det, _ := w.s.Detail(w.ctx, w.q.ID, n); det.RatingDetail != nil {
				t.Fatalf("the other property's ticket rated: %+v", det.RatingDetail)
			}
		}
		// Closed again: the new close's links rate it; the old mail's then changes nothing.
		w.clk.Advance(time.Hour)
		w.s.Reopen(w.ctx, w.p.ID, 1, tickets.ActorCLI)
		tk, _ := w.s.Close(w.ctx, w.p.ID, 1, tickets.ActorCLI)
		if status, _ := post(t, w.rateURL(w.t1, w.p.ID, tk.ClosedAt.Truncate(time.Second), rating.Okay), ""); status != 200 {
			t.Fatal(status)
		}
		if status, body := post(t, good, ""); status != http.StatusConflict || !strings.Contains(body, "clôturée à nouveau") {
			t.Fatalf("the earlier close's link: %d\n%s", status, body)
		}
		if r, _ := w.rating(t, 1); r == nil || r.Rating != "okay" {
			t.Fatalf("rating %+v", r)
		}
		if res, err := http.NewRequest(http.MethodPut, good, nil); err == nil {
			if resp, err := http.DefaultClient.Do(res); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("PUT: %v %v", resp, err)
			}
		}
	})
}
