package tickets

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"10MB": 10_000_000, "10 mb": 10_000_000, "512KB": 512_000, "2MiB": 2 << 20, "1.5MB": 1_500_000,
		"0": 0, "1500000": 1_500_000, "12B": 12, " 1GB ": 1_000_000_000, "1.5KiB": 1536, "0.0000001MB": 0,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "-1MB", "1e6", "1.5", "1.2.3MB", ".5MB", "5.MB", "10 MBs", "10 TB", "2000GB", "1_000"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

// Long fractions of the big units come to about the byte, and never overflow.
func TestParseSizeLongFractions(t *testing.T) {
	for in, want := range map[string]int64{"0.9999999999GiB": 1<<30 - 1, "1.9999999999GiB": 2<<30 - 1, "0.123456789123GB": 123_456_789, "1.0000000001GiB": 1 << 30} {
		got, err := ParseSize(in)
		if err != nil || got < want-2 || got > want+2 {
			t.Errorf("ParseSize(%q) = %d, %v; want about %d", in, got, err, want)
		}
	}
}
