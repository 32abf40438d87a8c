package replytrim

import (
	"strings"
	"testing"
)

const testMarker = "##- Please type your reply above this line -##"

// ourMail is a helpdesk notification as a client quotes it.
const ourMail = "> " + testMarker + "\n>\n> Ann wrote on ticket #42:\n>\n> The printer is on fire.\n>\n> Acme Support\n> Ticket #42: Printer on fire\n"

// markerCases are replies to a mail that carries the helpdesk's marker, in
// both postings.
var markerCases = []struct {
	name, body, reply, elided string
}{
	{
		name:   "top posting above the quoted marker",
		body:   "Unplug it.\n\nOn 12/3/26 9:00 AM, Acme Support wrote:\n" + ourMail,
		reply:  "Unplug it.",
		elided: "On 12/3/26 9:00 AM, Acme Support wrote:\n" + strings.TrimSpace(ourMail),
	},
	{
		// Thunderbird with "start my reply below the quote".
		name:   "thunderbird bottom post",
		body:   "On 12/3/26 9:00 AM, Acme Support wrote:\n" + ourMail + "\nUnplug it, then call me.\n\nAlice\n",
		reply:  "Unplug it, then call me.\n\nAlice",
		elided: "On 12/3/26 9:00 AM, Acme Support wrote:\n" + strings.TrimSpace(ourMail),
	},
	{
		name:   "german thunderbird bottom post with a signature",
		body:   "Am 03.12.26 um 09:00 schrieb Acme Support:\n" + ourMail + "\nBitte ausstecken.\n\n-- \nAlice Beispiel\n",
		reply:  "Bitte ausstecken.",
		elided: "Am 03.12.26 um 09:00 schrieb Acme Support:\n" + strings.TrimSpace(ourMail) + "\n\n\n-- \nAlice Beispiel",
	},
	{
		name:   "bottom post without a quote header",
		body:   ourMail + "\nUnplug it.\n",
		reply:  "Unplug it.",
		elided: strings.TrimSpace(ourMail),
	},
	{
		name:   "bottom post below a marker the client wrapped",
		body:   "On 12/3/26 9:00 AM, Acme Support wrote:\n> ##- Please type your reply above\n> this line -##\n>\n> The printer is on fire.\n\nUnplug it.\n",
		reply:  "Unplug it.",
		elided: "On 12/3/26 9:00 AM, Acme Support wrote:\n> ##- Please type your reply above\n> this line -##\n>\n> The printer is on fire.",
	},
	{
		name:   "inline answers below the marker",
		body:   "On 12/3/26 9:00 AM, Acme Support wrote:\n> " + testMarker + "\n>\n> Is it plugged in?\nYes.\n> Does it smoke?\nNo, it burns.\n>\n> Acme Support\n",
		reply:  "> Is it plugged in?\nYes.\n> Does it smoke?\nNo, it burns.",
		elided: "On 12/3/26 9:00 AM, Acme Support wrote:\n> " + testMarker + "\n>\n>\n> Acme Support",
	},
	{
		name:   "written above and below: the marker's reading",
		body:   "Unplug it.\n\nOn 12/3/26 9:00 AM, Acme Support wrote:\n" + ourMail + "\nP.S. below\n",
		reply:  "Unplug it.",
		elided: "On 12/3/26 9:00 AM, Acme Support wrote:\n" + strings.TrimSpace(ourMail) + "\n\nP.S. below",
	},
	{
		// A client that does not quote: where our mail ends is unknown, so
		// nothing of it may pass as the answer.
		name:   "unquoted marker and nothing above",
		body:   testMarker + "\n\nAnn wrote on ticket #42:\nThe printer is on fire.\n\nUnplug it.\n",
		reply:  "",
		elided: testMarker + "\n\nAnn wrote on ticket #42:\nThe printer is on fire.\n\nUnplug it.",
	},
	{
		name:   "only the quote, nothing written",
		body:   "On 12/3/26 9:00 AM, Acme Support wrote:\n" + ourMail,
		reply:  "",
		elided: "On 12/3/26 9:00 AM, Acme Support wrote:\n" + strings.TrimSpace(ourMail),
	},
}

func TestMarkerPostings(t *testing.T) {
	for _, tc := range markerCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Text(tc.body, testMarker)
			if got.Reply != tc.reply {
				t.Errorf("reply\n got: %q\nwant: %q", got.Reply, tc.reply)
			}
			if got.Elided != tc.elided {
				t.Errorf("elided\n got: %q\nwant: %q", got.Elided, tc.elided)
			}
		})
	}
}

// TestMarkerBottomPostHTML is Thunderbird's HTML bottom post: our mail in a
// cite blockquote, marker first, the answer after it.
func TestMarkerBottomPostHTML(t *testing.T) {
	body := `<html><body><div class="moz-cite-prefix">On 12/3/26 9:00 AM, Acme Support wrote:<br></div>` +
		`<blockquote type="cite"><p>` + testMarker + `</p><p>The printer is on fire.</p><p>Acme Support</p></blockquote>` +
		`<p>Unplug it, then call me.</p><p>Alice</p></body></html>`
	out, r := HTML(body, testMarker)
	if r.Reply != "Unplug it, then call me.\n\nAlice" {
		t.Errorf("reply %q", r.Reply)
	}
	if strings.Contains(out, "fire") || strings.Contains(out, "above this line") || !strings.Contains(out, "Unplug it") {
		t.Errorf("trimmed HTML %s", out)
	}
}
