package rules

import (
	"regexp"
	"testing"
)

func TestOwnAddresses(t *testing.T) {
	acme := Addresses{From: "Support@Acme.example", Domain: "desk.example"}
	for _, c := range []struct {
		addr string
		own  bool
	}{
		{"support@acme.example", true},     // the from address
		{" SUPPORT@ACME.EXAMPLE ", true},   // compared normalised
		{"acme@desk.example", true},        // the forwarding address
		{"acme+t0ken@desk.example", true},  // a reply address
		{"globex@desk.example", true},      // another property's: still postdesk's
		{"acme@anything.example", false},   // the slug at another domain is a customer
		{"acme+x@anything.example", false}, // so is a "reply address" there
		{"ann@acme.example", false},        // the from address's domain is not ours
		{"desk.example", false},            // no local part
		{"@desk.example", false},           // no local part
		{"", false},
	} {
		if got := acme.Own(c.addr); got != c.own {
			t.Errorf("Own(%q) = %v, want %v", c.addr, got, c.own)
		}
	}
	// Without a from address or a domain, nothing matches by accident.
	for _, a := range []Addresses{{}, {From: "support@acme.example"}, {Domain: "desk.example"}} {
		if a.Own("") || a.Own("ann@customer.example") {
			t.Errorf("%+v: a customer is own", a)
		}
	}
	if (Addresses{From: "support@acme.example"}).Own("acme@desk.example") {
		t.Error("with no domain known, a forwarding address was taken as own")
	}
}

func TestPriorities(t *testing.T) {
	for _, p := range []string{"low", "normal", "high", "urgent", DefaultPriority} {
		if !ValidPriority(p) {
			t.Errorf("%q is not valid", p)
		}
	}
	for _, p := range []string{"", "Normal", "critical"} {
		if ValidPriority(p) {
			t.Errorf("%q is valid", p)
		}
	}
}

func TestNewMessageIDIsUniqueAndAtTheDomain(t *testing.T) {
	re := regexp.MustCompile(`^[a-z2-7]{24}@desk\.example$`)
	a, b := NewMessageID("desk.example"), NewMessageID("desk.example")
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Fatalf("NewMessageID = %q, %q", a, b)
	}
}
