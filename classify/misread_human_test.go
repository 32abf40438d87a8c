package classify

import "testing"

// Customer mail the issue 11 item 10 rules took for robot mail. Robot mail opens no ticket and
// is purged after 30 days, so each of these was lost; every one must come out Human.

func TestCustomerMailIsNotRobotMail(t *testing.T) {
	gmailReply := []string{"In-Reply-To: <t-1@helpdesk.example>", "References: <t-1@helpdesk.example>", plain} // Gmail names no client
	tb := "User-Agent: Mozilla Thunderbird 128"
	runCases(t, []tcase{
		// Challenge-response subjects without a robot sender.
		{name: "whitelist request for a mail server", raw: mail(withSubject("Whitelist request for our mail server", plain), "Please whitelist 192.0.2.10, our notifications land in your spam folder."), want: Human},
		{name: "verification required for an account", raw: mail(withSubject("Verification required for my account", plain), "Your portal asks me to verify my account but the mail never arrives."), want: Human},
		{name: "challenge in a game subject", raw: mail(withSubject("Challenge 5 does not unlock", plain), "I finished level 4 but challenge 5 stays locked."), want: Human},
		{name: "whitelist request from a client", raw: mail(withSubject("Whitelist request for our mail server", tb, plain), "See subject."), want: Human},

		// Weak auto-reply subjects without a second signal.
		{name: "third person out of the office in a question", raw: mail(withSubject("Our admin is out of the office - password reset", plain), "Can you reset the password for bob@example.com? Our admin is away."), want: Human},
		{name: "German Auto is a car", raw: mail(withSubject("Auto: Ersatzteil bestellt", plain), "Guten Tag, das Ersatzteil für mein Auto ist bestellt."), want: Human},
		{name: "German Auto from a client", raw: mail(withSubject("AUTO: Ersatzteil bestellt", tb, plain), "Das Ersatzteil ist bestellt."), want: Human},

		// Spam-rejection prose from a person's client.
		{name: "customer reports a spam rejection with the SMTP code", raw: mail(withSubject("Email rejected by your server", tb, plain),
			"Hello, my mail to sales@helpdesk.example was rejected as spam by your filter.\nThe error was: 550 5.7.1 Message rejected as spam by your filter.\nCan you fix it?"), want: Human},
		{name: "customer reports a spam rejection from Gmail", raw: mail(withSubject("Email rejected by your server", plain),
			"Hi, my order confirmation reply was rejected as spam by your filter. Please check."), want: Human},

		// An away line in a customer's answer from a client that names itself nowhere.
		{name: "on vacation but answering", raw: mail(withSubject("Re: [#42] Replacement part", gmailReply...),
			"I'm on vacation until Monday, so please just close the ticket. The new part works fine."), want: Human},
		{name: "on vacation but answering, two lines", raw: mail(withSubject("Re: [#42] Replacement part", gmailReply...),
			"I'm on vacation until Monday.\nThe new part works fine, please close the ticket."), want: Human},
	})
}

// The robot mail the rules above must still catch.
func TestRobotMailStillCaught(t *testing.T) {
	reply := []string{"In-Reply-To: <t-1@helpdesk.example>", plain}
	runCases(t, []tcase{
		{name: "Lotus AUTO: with returning date", raw: mail(withSubject("AUTO: Ann Smith is out of the office (returning 05/01/2024)", plain), "I am out of the office."), want: AutoReply},
		{name: "Exchange Automatic reply", raw: mail(withSubject("Automatic reply: Your ticket", plain), "I am away."), want: AutoReply},
		{name: "Exchange Out of Office prefix on a reply", raw: mail(withSubject("Out of Office: Your ticket", reply...), "I am away."), want: AutoReply},
		{name: "AUTO: on the answered reply subject", raw: mail(withSubject("AUTO: Re: your ticket", plain), "x"), want: AutoReply},
		{name: "weak subject with X-Autorespond is caught by the header", raw: mail(withSubject("Our admin is out of the office", "X-Autorespond: yes", plain), "x"), want: AutoReply},
		{name: "weak subject from the null sender", envelope: "<>", raw: mail(withSubject("Auto: Ann Smith", plain), "x"), want: AutoReply, reason: "responder signal"},
		{name: "weak challenge subject from a no-reply sender", raw: mail([]string{"From: noreply@verify.example", "To: support@helpdesk.example", "Subject: Verification required", plain}, "Click the link."), want: Challenge, reason: "automated sender"},
		{name: "weak challenge subject with Precedence bulk", raw: mail(withSubject("Whitelist request", "Precedence: bulk", plain), "x"), want: Challenge},
		{name: "away notice only, with greeting and name", raw: mail(withSubject("Re: [#42] Replacement part", reply...),
			"Thank you for your message. I am on vacation until 6. Januar and will reply when I return.\nFor urgent matters please contact sales@example.com.\n\nBest regards,\nBob Miller"), want: AutoReply, reason: "out-of-office text"},
		{name: "away line with another sentence from the null sender", envelope: "<>", raw: mail(withSubject("Re: [#42] Replacement part", reply...),
			"I'm on vacation until Monday. The new part works fine."), want: AutoReply},
		{name: "spam refusal with the message returned", raw: mail([]string{"From: Bob Admin <bob@corp.example>", "To: support@helpdesk.example", "Subject: Message rejected", "User-Agent: Thunderbird 128",
			"Content-Type: multipart/mixed; boundary=b"}, "--b\n"+plain+"\n\nYour message was rejected as spam.\n--b\nContent-Type: message/rfc822\n\nMessage-ID: <orig-1@helpdesk.example>\nSubject: hi\n\nhello\n--b--\n"),
			want: Bounce, reason: "spam rejection", origID: "orig-1@helpdesk.example"},
	})
}
