package rating

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/filelink"
	"github.com/postdesk/postdesk/replytoken"
)

var (
	testSecret = []byte("the server secret of the test")
	closedAt   = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
)

func TestALinkNamesItsTicketPropertyCloseAndChoice(t *testing.T) {
	for _, ch := range Choices {
		c := Claims{TicketID: 42, PropertyID: 7, ClosedAt: closedAt, Choice: ch}
		tok := Sign(testSecret, c)
		got, err := Verify(testSecret, tok, closedAt.Add(time.Hour))
		if err != nil || got != c {
			t.Fatalf("%s: %+v %v, want %+v", ch, got, err, c)
		}
	}
}

func TestALinkWorksSevenDaysAfterTheCloseNotAfter(t *testing.T) {
	tok := Sign(testSecret, Claims{TicketID: 1, PropertyID: 1, ClosedAt: closedAt, Choice: Good})
	if _, err := Verify(testSecret, tok, closedAt.Add(Window-time.Second)); err != nil {
		t.Fatalf("a second before the end: %v", err)
	}
	c, err := Verify(testSecret, tok, closedAt.Add(Window))
	if !errors.Is(err, ErrExpired) || c.TicketID != 1 {
		t.Fatalf("at the end: %+v %v, want ErrExpired with the claims", c, err)
	}
}

func TestALinkCannotBeBentToAnotherTicketPropertyOrChoice(t *testing.T) {
	tok := Sign(testSecret, Claims{TicketID: 42, PropertyID: 7, ClosedAt: closedAt, Choice: Bad})
	parts := strings.Split(tok, ".")
	now := closedAt.Add(time.Hour)
	for name, forged := range map[string]string{
		"another ticket":    "43." + strings.Join(parts[1:], "."),
		"another property":  parts[0] + ".8." + strings.Join(parts[2:], "."),
		"a later close":     strings.Join(parts[:2], ".") + ".1999999999." + strings.Join(parts[3:], "."),
		"another choice":    strings.Join(parts[:3], ".") + ".g." + parts[4],
		"another secret":    Sign([]byte("another secret"), Claims{TicketID: 42, PropertyID: 7, ClosedAt: closedAt, Choice: Bad}),
		"a leading zero":    "042." + strings.Join(parts[1:], "."),
		"an unknown choice": strings.Join(parts[:3], ".") + ".x." + parts[4],
		"empty":             "",
		"a file link":       filelink.Sign(testSecret, filelink.Claims{AttachmentID: 42, PropertyID: 7, Expires: now.Add(time.Hour)}),
		"a reply token":     replytoken.Sign(testSecret, 7, replytoken.Claims{TicketID: 42}),
	} {
		if _, err := Verify(testSecret, forged, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s (%q): %v, want ErrInvalid", name, forged, err)
		}
	}
}

func TestLinksAreOnePerChoiceUnderTheBase(t *testing.T) {
	l := Links(testSecret, "https://desk.example/", 3, 4, closedAt)
	if len(l) != 3 {
		t.Fatal(l)
	}
	for _, ch := range Choices {
		tok, ok := strings.CutPrefix(l[ch], "https://desk.example/rate/")
		if !ok {
			t.Fatalf("%s: %s", ch, l[ch])
		}
		if c, err := Verify(testSecret, tok, closedAt); err != nil || c.Choice != ch {
			t.Fatalf("%s: %+v %v", ch, c, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(Sign(testSecret, Claims{TicketID: 42, PropertyID: 7, ClosedAt: closedAt, Choice: Okay}))
	f.Add("1.1.1.g.AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Add("....")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(testSecret, tok, closedAt)
		if err == nil || errors.Is(err, ErrExpired) {
			// Only a token Sign makes verifies: signing its claims again gives it back.
			if again := Sign(testSecret, c); again != tok {
				t.Fatalf("%q verified as %+v, which signs as %q", tok, c, again)
			}
		} else if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%q: %v", tok, err)
		}
	})
}
