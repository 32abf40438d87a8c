package classify

import "testing"

// The classes of issue 11 item 10, each with the mail that was misread before.

func TestAutoForwardedIsHuman(t *testing.T) {
	runCases(t, []tcase{
		// RFC 3834 §5: auto-forwarded mail is a person's mail sent on by a rule.
		{name: "Auto-Submitted auto-forwarded", raw: mail(withSubject("Invoice question", "Auto-Submitted: auto-forwarded", plain), "Hello, my invoice is wrong."), want: Human},
		{name: "auto-forwarded with a comment", raw: mail(withSubject("Invoice question", "Auto-Submitted: auto-forwarded (sieve)", plain), "Hello."), want: Human},
		{name: "auto-forwarded list mail is still list mail", raw: mail(withSubject("[dev] release", "Auto-Submitted: auto-forwarded", "List-Id: <dev.lists.example.org>"), "x"), want: List},
		{name: "auto-generated stays a robot", raw: mail(withSubject("Notice", "Auto-Submitted: auto-generated"), "x"), want: AutoReply},
	})
}

func TestAutoReplySubjectsAndLines(t *testing.T) {
	notes := []string{"X-Mailer: Lotus Notes Release 8.5.3 September 15, 2011", plain}
	reply := []string{"In-Reply-To: <t-1@helpdesk.example>", plain}
	runCases(t, []tcase{
		{name: "Lotus Notes AUTO:", raw: mail(withSubject("AUTO: Jane Doe is out of the office (returning 06.01.2025)", notes...), "I am out of the office until 06.01.2025."), want: AutoReply, reason: "auto-reply subject"},
		{name: "AUTO: without space", raw: mail(withSubject("AUTO:Re: your ticket", notes...), "x"), want: AutoReply},
		{name: "third person out of the office", raw: mail(withSubject("John Smith is out of the office.", notes...), "x"), want: AutoReply},
		{name: "subject only Out of the Office", raw: mail(withSubject("Out of the Office"), "x"), want: AutoReply},
		{name: "reply to an AUTO: mail is human", raw: mail(withSubject("Re: AUTO: Jane Doe is out of the office", reply...), "When is she back?"), want: Human},
		{name: "automobile subject is human", raw: mail(withSubject("Automatic gearbox broken", plain), "x"), want: Human},
		{name: "out-of-office first line on a reply", raw: mail(withSubject("Re: [#42] Your ticket", reply...), "Thank you for your email.\nI am currently out of the office until Monday, 6 January.\n\nKind regards,\nBob"),
			want: AutoReply, reason: "out-of-office text", origID: "t-1@helpdesk.example"},
		{name: "German out-of-office first line", raw: mail(withSubject("Re: Ihr Ticket", reply...), "Ich bin bis zum 6. Januar abwesend."), want: AutoReply},
		{name: "a person who is away but answers", raw: mail(withSubject("Re: [#42] Your ticket", reply...),
			"I'm out of the office until Monday, but here is the serial number: 1234.\n\n> On Mon, 6 Jan 2025, Support wrote:\n> Which serial number?"), want: Human},
		{name: "out-of-office line from a named client", raw: mail(withSubject("Re: [#42] Your ticket", "In-Reply-To: <t-1@helpdesk.example>", "User-Agent: Thunderbird 128", plain), "I am out of the office until Monday."), want: Human},
		{name: "out-of-office line on a new mail", raw: mail(withSubject("Licence", plain), "I am out of the office until Monday."), want: Human},
	})
}

func TestPrecedenceJunkIsNotList(t *testing.T) {
	runCases(t, []tcase{
		{name: "Precedence junk alone is an auto-reply", raw: mail(withSubject("away from my mail", "Precedence: junk"), "I will read your mail when I return."), want: AutoReply, reason: "Precedence: junk"},
		{name: "Precedence junk on a reply", raw: mail(withSubject("Re: ticket", "Precedence: junk", "In-Reply-To: <t-1@helpdesk.example>"), "x"), want: AutoReply},
		{name: "Precedence junk with list fields is list mail", raw: mail(withSubject("news", "Precedence: junk", "List-Id: <news.example.org>"), "x"), want: List},
		{name: "Precedence bulk alone is still list mail", raw: mail(withSubject("Weekly report", "Precedence: bulk"), "x"), want: List},
	})
}

func TestChallengeResponse(t *testing.T) {
	reply := "In-Reply-To: <ack-1@helpdesk.example>"
	runCases(t, []tcase{
		{name: "Boxbe", raw: mail([]string{"From: Jane via Boxbe <notification@boxbe.com>", "To: support@helpdesk.example", "Subject: Request to join my Guest List", reply, plain},
			"Hello, Jane uses Boxbe. Click the link below to be added to her Guest List."), want: Challenge, reason: "boxbe.com", origID: "ack-1@helpdesk.example"},
		{name: "Bluebottle", raw: mail([]string{"From: Bluebottle <verify@bluebottle.com>", "To: support@helpdesk.example", "Subject: Please verify your email", plain}, "x"), want: Challenge},
		{name: "TMDA header", raw: mail(withSubject("Re: Your ticket #42", "X-Delivery-Agent: TMDA/1.1.12 (Ladoga)", reply, plain), "Your message is held."), want: Challenge, reason: "TMDA"},
		{name: "confirm you are human subject", raw: mail(withSubject("Please confirm you are human", plain), "x"), want: Challenge, reason: "challenge subject"},
		{name: "whitelist request subject", raw: mail(withSubject("Whitelist request from bob@example.com", plain), "x"), want: Challenge},
		{name: "confirm your message subject", raw: mail(withSubject("Please confirm your message", plain), "x"), want: Challenge},
		{name: "auto-replied challenge by its text", raw: mail(withSubject("Re: Your ticket #42", "Auto-Submitted: auto-replied", reply, plain),
			"I am protected by a spam filter. Please confirm you are a human by clicking the link below to verify."), want: Challenge, reason: "challenge text"},
		{name: "auto-replied without challenge text stays an auto-reply", raw: mail(withSubject("Re: Your ticket #42", "Auto-Submitted: auto-replied", reply, plain), "I am away."), want: AutoReply},
		{name: "a person asking about whitelists is human", raw: mail(withSubject("How do I whitelist your address?", plain), "Please confirm you are human support, not a bot."), want: Human},
		{name: "reply to a challenge subject is human", raw: mail(withSubject("Re: Please confirm you are human", reply, plain), "Done."), want: Human},
	})
}

func TestProseSpamRejection(t *testing.T) {
	runCases(t, []tcase{
		{name: "filter refusal with an SMTP code", raw: mail([]string{"From: Mail Filter <filter@corp.example>", "To: support@helpdesk.example", "Subject: Message rejected", "X-Mailer: FilterBox 2", plain},
			"Your message to bob@corp.example was rejected as spam.\n\n550 5.7.1 Message rejected as spam by content filter"), want: Bounce, reason: "spam rejection"},
		{name: "filter refusal without a client", raw: mail([]string{"From: quarantine@corp.example", "To: support@helpdesk.example", "Subject: Your message has been blocked", plain},
			"Your message to bob@corp.example has been identified as spam and was not delivered."), want: Bounce},
		{name: "null sender prose rejection", envelope: "<>", raw: mail([]string{"From: gateway@corp.example", "To: support@helpdesk.example", "Subject: Notice", plain},
			"Message rejected as spam."), want: Bounce},
		{name: "a customer complaining from a mail client", raw: mail(withSubject("Message rejected", "User-Agent: Thunderbird 128", plain),
			"Hello, my message to you was rejected as spam, why?"), want: Human},
	})
}
