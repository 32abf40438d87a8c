package templates

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden renders Sample(kind) for every kind in every built-in locale and
// compares subject, text and HTML byte for byte with
// testdata/golden/<locale>/<kind>.{subject,txt,html}.
func TestGolden(t *testing.T) {
	s := mustDefault(t)
	for _, loc := range Locales() {
		for _, kind := range Kinds() {
			t.Run(loc+"/"+kind, func(t *testing.T) {
				r, err := s.Render(kind, loc, Sample(kind))
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join("testdata", "golden", loc)
				for ext, got := range map[string]string{"subject": r.Subject + "\n", "txt": r.Text, "html": r.HTML} {
					file := filepath.Join(dir, kind+"."+ext)
					if *update {
						if err := os.MkdirAll(dir, 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
							t.Fatal(err)
						}
						continue
					}
					want, err := os.ReadFile(file)
					if err != nil {
						t.Fatalf("%v (run go test ./templates -update to write the golden files)", err)
					}
					if got != string(want) {
						t.Errorf("%s differs from the rendering (go test ./templates -update rewrites it)\n--- got:\n%s\n--- want:\n%s", file, got, want)
					}
				}
			})
		}
	}
}

func mustDefault(t testing.TB) *Set {
	t.Helper()
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
