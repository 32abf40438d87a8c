package templates

import "testing"

func TestFormatSize(t *testing.T) {
	for _, c := range []struct {
		loc  string
		n    int64
		want string
	}{
		{"en", 0, "0 bytes"}, {"en", 999, "999 bytes"}, {"en", 1000, "1.0 kB"}, {"en", 120_400, "120 kB"},
		{"en", 1_240_000, "1.2 MB"}, {"en", 9_960_000, "10 MB"}, {"en", 999_960, "1.0 MB"}, {"en", 24_300_000, "24 MB"},
		{"en", 3_000_000_000_000, "3000 GB"}, {"fr", 512, "512 octets"}, {"fr", 1_240_000, "1,2 Mo"}, {"fr-ca", 120_000, "120 ko"},
		{"it", 5, "5 byte"}, {"it", 1_240_000, "1,2 MB"}, {"es", 1_240_000, "1,2 MB"}, {"de", 1_240_000, "1.2 MB"},
	} {
		if got := formatSize(c.loc, c.n); got != c.want {
			t.Errorf("formatSize(%q, %d) = %q, want %q", c.loc, c.n, got, c.want)
		}
	}
}
