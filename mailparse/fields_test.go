package mailparse

import (
	"fmt"
	"testing"
	"time"
)

func TestParseAddressList(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a@b.c", "[{ a@b.c}]"},
		{"  A@B.C  ", "[{ a@b.c}]"},
		{"John Doe <JOHN@Example.com>", "[{John Doe john@example.com}]"},
		{`"Doe, John" <j@x.y>, jane@x.y`, "[{Doe, John j@x.y} { jane@x.y}]"},
		{"John Q. Public <jqp@x.y>", "[{John Q. Public jqp@x.y}]"},
		{"jqp@x.y (John Q. Public)", "[{John Q. Public jqp@x.y}]"},
		{"John (the boss) <j@x.y>", "[{John j@x.y}]"},
		{"<only@bracket.s>", "[{ only@bracket.s}]"},
		{"Team: a@x.y, B <b@x.y>;, c@x.y", "[{ a@x.y} {B b@x.y} { c@x.y}]"},
		{"undisclosed-recipients:;", "[]"},
		{"a@x.y; b@x.y", "[{ a@x.y} { b@x.y}]"},
		{"a@x.y,,, ,b@x.y,", "[{ a@x.y} { b@x.y}]"},
		{`=?utf-8?q?J=C3=B6rg?= <j@x.de>`, "[{Jörg j@x.de}]"},
		{`"=?utf-8?B?w4lsb2RpZQ==?=" <e@x.fr>`, "[{Élodie e@x.fr}]"},
		{`"Quote \"me\"" <q@x.y>`, `[{Quote "me" q@x.y}]`},
		{"<mailto:Someone@X.Y>", "[{ someone@x.y}]"},
		{"<@route.one,@route.two:user@x.y>", "[{ user@x.y}]"},
		{"Broken <a@x.y", "[{Broken a@x.y}]"},
		{"John Doe john@x.y", "[{John Doe john@x.y}]"},
		{"no address here", "[]"},
		{"MAILER-DAEMON <>", "[]"},
		{"Mail Delivery Subsystem <MAILER-DAEMON>", "[{Mail Delivery Subsystem mailer-daemon}]"},
		{"a!b@host@relay.example", "[{ a!b@host}]"},
		{`"a@b"@x.y`, `[{ "a@b"@x.y}]`},
		{"x@[192.0.2.1]", "[{ x@[192.0.2.1]}]"},
		{"\"M\xfcller\" <m@x.de>", "[{Müller m@x.de}]"},
	} {
		eq(t, fmt.Sprintf("ParseAddressList(%q)", tc.in), fmt.Sprint(ParseAddressList(tc.in)), tc.want)
	}
	if a := ParseAddress("first@x.y, second@x.y"); a == nil || a.Email != "first@x.y" {
		t.Errorf("ParseAddress = %+v", a)
	}
	if a := ParseAddress("garbage"); a != nil {
		t.Errorf("ParseAddress(garbage) = %+v", a)
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00"},
		{"1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00"},
		{"Tue,  1 Jul 2003 10:52 +0200", "2003-07-01T10:52:00+02:00"},
		{"Tue, 01 Jul 2003 10:52:37 -0000 (UTC)", "2003-07-01T10:52:37Z"},
		{"Fri, 21 Nov 97 09:55:06 GMT", "1997-11-21T09:55:06Z"},
		{"Fri, 21 Nov 03 09:55:06 GMT", "2003-11-21T09:55:06Z"},
		{"Thu, 20 Nov 1997 09:55:06 MDT", "1997-11-20T09:55:06-06:00"},
		{"Thu, 20 Nov 1997 09:55:06 est", "1997-11-20T09:55:06-05:00"},
		{"Thursday, 20-Nov-97 09:55:06 GMT", "1997-11-20T09:55:06Z"},
		{"Tue May 28 11:02:16 1996", "1996-05-28T11:02:16Z"},
		{"Mon, 2 Jan 2006 15:04:05 +01:00", "2006-01-02T15:04:05+01:00"},
		{"Mon, 2 Jan 2006 15:04:05 GMT+0530", "2006-01-02T15:04:05+05:30"},
		{"Mon, 2 Jan 2006 15:04:05+0100", "2006-01-02T15:04:05+01:00"},
		{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05Z"},
		{"2006-01-02T15:04:05.123+02:00", "2006-01-02T15:04:05+02:00"},
		{"2006-01-02 15:04:05", "2006-01-02T15:04:05Z"},
		{"29-04-2017 23:34", "2017-04-29T23:34:00Z"},
		{"04/29/2017 23:34", "2017-04-29T23:34:00Z"},
		{"Tue, 029 Apr 2019 23:34:45 -0800 (PST)", "2019-04-29T23:34:45-08:00"},
		{"Fri, 23 Aug 2002 2:32:53 -0400", "2002-08-23T02:32:53-04:00"},
		{"Sat, 31 Dec 2016 23:59:60 +0000", "2016-12-31T23:59:59Z"},
		{"Wed, 3 September 2014 10:00:00 +0000", "2014-09-03T10:00:00Z"},
		{"", ""},
		{"garbage", ""},
		{"Mon, 31 Feb 2003 10:00:00 +0000", ""},
		{"Mon, 1 Jan 2003 25:00:00 +0000", "2003-01-01T00:00:00Z"},
	} {
		got := ""
		if d := parseDate(tc.in); !d.IsZero() {
			got = d.Format(time.RFC3339)
		}
		eq(t, fmt.Sprintf("parseDate(%q)", tc.in), got, tc.want)
	}
}

func TestDecodeQPAndBase64Units(t *testing.T) {
	out, broken := decodeQP([]byte("a=\r\nb=41=4\r\n=\r\n"))
	eq(t, "qp", string(out), "abA=4\r\n")
	eq(t, "qp broken", broken, true)
	out, broken = decodeBase64([]byte("QUJD\r\nRA==\r\n"))
	eq(t, "b64", string(out), "ABCD")
	eq(t, "b64 broken", broken, false)
	out, broken = decodeBase64([]byte("Q"))
	eq(t, "b64 lone", string(out), "")
	eq(t, "b64 lone broken", broken, true)
}

func TestMediaValue(t *testing.T) {
	mv := parseMediaValue(`Text/Plain; Charset="utf-8"; format=flowed; charset=ignored`, nil)
	eq(t, "value", mv.value, "text/plain")
	eq(t, "charset", mv.params["charset"], "utf-8")
	eq(t, "format", mv.params["format"], "flowed")
	mv = parseMediaValue(`text/plain charset="iso-2022-jp"`, nil)
	eq(t, "missing semicolon value", mv.value, "text/plain")
	eq(t, "missing semicolon charset", mv.params["charset"], "iso-2022-jp")
	mv = parseMediaValue(`multipart/mixed; boundary="a;b=c"  ; x=1`, nil)
	eq(t, "quoted specials", mv.params["boundary"], "a;b=c")
	eq(t, "after quoted", mv.params["x"], "1")
	mv = parseMediaValue(`attachment; filename="unterminated`, nil)
	eq(t, "unterminated", mv.params["filename"], "unterminated")
	eq(t, "bad", mv.bad, true)
}
