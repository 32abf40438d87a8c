package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/live"
	"github.com/postdesk/postdesk/web"
	"github.com/postdesk/postdesk/webwire"
)

// The event stream carries the property's changes, and ends when its session does.
func TestEventStreamCarriesChangesAndEndsWithTheSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		feed, err := live.Open(ctx, d, live.Config{Poll: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		go feed.Run(ctx)
		s := newSiteWith(t, d, func(c *web.Config) { c.Feed = webwire.Feed{F: feed}; c.Ping = 30 * time.Millisecond })
		b := s.browser()
		b.signIn("alice@acme.example", "correct horse")
		b.get("/p/acme/")
		req, _ := http.NewRequest("GET", s.srv.URL+"/p/acme/events", nil)
		res, err := b.c.Do(req)
		if err != nil || res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("events: %v %v", res, err)
		}
		defer res.Body.Close()
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		del := s.mail(s.acme, "carol@customer.example", "Live one", "hi", "")
		want := `"ticket":` + strconv.FormatInt(del.TicketNumber, 10)
		deadline := time.After(10 * time.Second)
		for got := false; !got; {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("the stream ended before the change arrived")
				}
				got = strings.HasPrefix(l, "data: ") && strings.Contains(l, want)
			case <-deadline:
				t.Fatalf("no change for ticket %d on the stream", del.TicketNumber)
			}
		}
		if code, _, _ := b.post("/signout", url.Values{"csrf": {b.csrf}}); code != http.StatusSeeOther {
			t.Fatalf("sign out: %d", code)
		}
		for {
			select {
			case _, ok := <-lines:
				if !ok {
					return // the stream ended with the session
				}
			case <-deadline:
				t.Fatal("the event stream outlived the session")
			}
		}
	})
}
