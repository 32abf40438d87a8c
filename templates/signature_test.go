package templates

import "testing"

func TestAnAgentsMessageIsNeverSignedTwice(t *testing.T) {
	for _, c := range []struct {
		custom, name, text string
		signed             bool
	}{
		{"", "Alice Martin", "Your parcel left today.", false},
		{"", "Alice Martin", "Your parcel left today.\n\nBest,\nAlice", true},
		{"", "Alice Martin", "Your parcel left today.\n\n— Alice Martin.\n", true},
		{"", "Alice Martin", "Thanks\n-- \nAlice M., Acme support\n+1 555", true},
		{"", "Alice Martin", "Ask Alice\nabout it", false}, // the name inside, not as a signature
		{"Alice, Acme customer care\n+33 1 23 45 67 89", "Alice Martin", "Done.", false},
		{"Alice, Acme customer care", "Bo", "Done.\nAlice, Acme customer care", true},
		{"", "", "Done.", false},
	} {
		d := Data{AgentSignature: c.custom, Actor: Person{Name: c.name}, Message: Message{Text: c.text}}
		if got := d.Signed(); got != c.signed {
			t.Errorf("Signed(%q by %q, signature %q) = %v, want %v", c.text, c.name, c.custom, got, c.signed)
		}
	}
}
