package replytrim

import "testing"

const supportHeader = "On Mon, Jan 15, 2024 at 10:00 AM Support <support@acme.example> wrote:"

// Text written after the quoted history, or between its parts, is the
// person's and is kept; a footer is a footer only on its own.
var belowCases = []struct {
	name, body, reply, elided string
}{
	{
		name:   "sign-off below the quote of a top post",
		body:   "Thanks, fixed.\n\n" + supportHeader + "\n> Does it work now?\n> Support\n\nRegards,\nRoman\n",
		reply:  "Thanks, fixed.\n\nRegards,\nRoman",
		elided: supportHeader + "\n> Does it work now?\n> Support",
	},
	{
		name:   "one-line sign-off below the quote",
		body:   "Thanks, fixed.\n\n" + supportHeader + "\n> Does it work now?\n\nRegards, Roman\n",
		reply:  "Thanks, fixed.\n\nRegards, Roman",
		elided: supportHeader + "\n> Does it work now?",
	},
	{
		name:   "a postscript below the quote",
		body:   "Yes, it works.\n\n" + supportHeader + "\n> Does it work now?\n\nP.S. The version is 4.2 and the order is 12345.\n",
		reply:  "Yes, it works.\n\nP.S. The version is 4.2 and the order is 12345.",
		elided: supportHeader + "\n> Does it work now?",
	},
	{
		name:   "PS: below the quote",
		body:   "Yes, it works.\n\n" + supportHeader + "\n> Does it work now?\n\nPS: the export still fails.\n",
		reply:  "Yes, it works.\n\nPS: the export still fails.",
		elided: supportHeader + "\n> Does it work now?",
	},
	{
		name:   "a name alone below the quote",
		body:   "Thanks, fixed.\n\n" + supportHeader + "\n> Does it work now?\n\nRoman\n",
		reply:  "Thanks, fixed.\n\nRoman",
		elided: supportHeader + "\n> Does it work now?",
	},
	{
		name:   "a salutation above, the answer below the quote",
		body:   "Hi Anna,\n\n" + supportHeader + "\n> Does it work now?\n\nYes, it works now.\nThe export too.\n\nRoman\n",
		reply:  "Hi Anna,\n\nYes, it works now.\nThe export too.\n\nRoman",
		elided: supportHeader + "\n> Does it work now?",
	},
	{
		name:   "german sign-off below the quote",
		body:   "Erledigt.\n\nAm 15.01.24 um 10:00 schrieb Support:\n> Geht es jetzt?\n\nMit freundlichen Grüßen\nMax Mustermann\n",
		reply:  "Erledigt.\n\nMit freundlichen Grüßen\nMax Mustermann",
		elided: "Am 15.01.24 um 10:00 schrieb Support:\n> Geht es jetzt?",
	},
	{
		name:   "inline answers with a salutation above",
		body:   "Hi,\n\n" + supportHeader + "\n> Which version?\n4.2\n> Did you restart?\nYes, twice.\n\nRoman\n",
		reply:  "Hi,\n\n> Which version?\n4.2\n> Did you restart?\nYes, twice.\n\nRoman",
		elided: supportHeader,
	},
	{
		// The discourse rule stays: a few lines of prose below the quote of
		// a top post, neither a sign-off nor an answer below a salutation,
		// go with the quote.
		name:   "prose below the quote of a top post goes with it",
		body:   "Before.\n\n" + supportHeader + "\n> Quoted.\n\nThis is the footer the client put\nbelow the quoted mail.\n",
		reply:  "Before.",
		elided: supportHeader + "\n> Quoted.\n\nThis is the footer the client put\nbelow the quoted mail.",
	},
	{
		name:   "a footer on its own at the end",
		body:   "On my way.\n\nSent from my iPhone\n",
		reply:  "On my way.",
		elided: "Sent from my iPhone",
	},
	{
		name:   "a sentence that starts like a footer, at the end",
		body:   "Hi,\n\nSent from my iPhone the upload fails every time.\n",
		reply:  "Hi,\n\nSent from my iPhone the upload fails every time.",
		elided: "",
	},
	{
		name:   "a sentence wrapped onto a line that starts like a footer",
		body:   "The photos I\nsent from my iPhone never arrived\n",
		reply:  "The photos I\nsent from my iPhone never arrived",
		elided: "",
	},
	{
		name:   "a sentence after a quote that starts like a footer",
		body:   "> Which device do you use?\nSent from my iPhone, but it is the same on the iPad.\n",
		reply:  "> Which device do you use?\nSent from my iPhone, but it is the same on the iPad.",
		elided: "",
	},
	{
		name:   "footer with an apology stays a footer",
		body:   "Yes.\n\nSent from my cell, please excuse any typos.\n",
		reply:  "Yes.",
		elided: "Sent from my cell, please excuse any typos.",
	},
}

func TestTextBelowTheQuote(t *testing.T) {
	for _, tc := range belowCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Text(tc.body)
			if got.Reply != tc.reply {
				t.Errorf("reply\n got: %q\nwant: %q", got.Reply, tc.reply)
			}
			if got.Elided != tc.elided {
				t.Errorf("elided\n got: %q\nwant: %q", got.Elided, tc.elided)
			}
		})
	}
}
