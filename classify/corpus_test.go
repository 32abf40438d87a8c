package classify

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/mailparse"
)

// Floors for the real-world corpus scores: the scores reached when they
// were set (kind 587/588, addresses 591/594, statuses 439/456, reply codes
// 410/431, permanent/temporary 579/591). A change that lowers one is a
// regression; raise them when a change improves a score.
const (
	floorKindAccuracy   = 0.998 // sisimai + not-bounce files with the expected kind
	floorAddressFound   = 0.994 // expected failed recipients for which an address was extracted
	floorStatusMatch    = 0.962 // expected (standard) enhanced statuses matched exactly
	floorReplyCodeMatch = 0.951 // expected reply codes matched exactly
	floorHardMatch      = 0.979 // Hard agrees with the class of the expected status
)

func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real-world corpus not found at %s (a fresh clone without ../shared/corpus): %v", dir, err)
	}
	return dir
}

type expectedFile struct {
	HelpdeskKind string `json:"helpdesk_kind"`
	Engine       string `json:"engine"`
	Results      []struct {
		Status     string `json:"status"`
		ReplyCode  string `json:"reply_code"`
		Reason     string `json:"reason"`
		HardBounce bool   `json:"hard_bounce"`
	} `json:"results"`
}

type expectedCorpus struct {
	Files     map[string]expectedFile    `json:"files"`
	NotBounce map[string]json.RawMessage `json:"not_bounce"`
}

// envelopeOf stands in for the SMTP envelope the corpus does not record:
// the Return-Path written at final delivery when there is one, else the
// From address (so a missing Return-Path never looks like the null path).
func envelopeOf(raw []byte) string {
	h := header{&mailparse.Parse(raw).Header.Header.Header}
	if rp, ok := h.lookup("return-path"); ok {
		return addrSpec(rp)
	}
	if f := addrSpec(h.get("from")); f != "" {
		return f
	}
	return "unknown@invalid"
}

// isSisimaiPseudoStatus: sisimai invents x.0.9xx codes for reasons it
// derives itself; no message carries them, so they cannot be matched.
func isSisimaiPseudoStatus(s string) bool {
	return len(s) >= 7 && strings.HasPrefix(s[1:], ".0.9")
}

func TestCorpusSisimai(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "sisimai-bounces")
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp expectedCorpus
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	debug := os.Getenv("CLASSIFY_DEBUG") != ""

	type outcome struct{ want, got Kind }
	var outcomes []outcome
	confusion := map[Kind]map[Kind]int{}
	record := func(name string, want, got Kind, reason string) {
		outcomes = append(outcomes, outcome{want, got})
		if confusion[want] == nil {
			confusion[want] = map[Kind]int{}
		}
		confusion[want][got]++
		if want != got {
			t.Logf("misclassified %s: want %s, got %s (%s)", name, want, got, reason)
		}
	}

	var recTotal, recFound, stTotal, stMatch, stPseudo, rcTotal, rcMatch, countMatch, countTotal, idFound, hardTotal, hardMatch int
	names := make([]string, 0, len(exp.Files))
	for n := range exp.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		e := exp.Files[name]
		raw, err := os.ReadFile(filepath.Join(dir, "maildir", name))
		if err != nil {
			t.Fatal(err)
		}
		r := classifyRaw(raw, envelopeOf(raw))
		record(name, Kind(e.HelpdeskKind), r.Kind, r.Reason)
		if e.HelpdeskKind != string(Bounce) {
			continue
		}
		countTotal++
		if r.OriginalMessageID != "" {
			idFound++
		}
		if len(r.Recipients) == len(e.Results) {
			countMatch++
		} else if debug {
			var got []string
			for _, rc := range r.Recipients {
				got = append(got, rc.Address)
			}
			t.Logf("count %s: want %d got %d %v (%s)", name, len(e.Results), len(r.Recipients), got, r.Reason)
		}
		for i, want := range e.Results {
			recTotal++
			var got Recipient
			if i < len(r.Recipients) {
				got = r.Recipients[i]
			}
			if strings.Contains(got.Address, "@") {
				recFound++
			} else if debug {
				t.Logf("no address %s[%d] (%s)", name, i, r.Reason)
			}
			if want.Status != "" && got.Address != "" {
				// Permanent vs temporary: the class of the expected
				// status, pseudo-statuses included.
				hardTotal++
				if got.Hard == (want.Status[0] == '5') {
					hardMatch++
				} else if debug {
					t.Logf("hard %s[%d]: want class %c got hard=%v (%s %s)", name, i, want.Status[0], got.Hard, got.Status, got.Diagnostic)
				}
			}
			if want.Status != "" {
				if isSisimaiPseudoStatus(want.Status) {
					stPseudo++
				} else {
					stTotal++
					if got.Status == want.Status {
						stMatch++
					} else if debug {
						t.Logf("status %s[%d]: want %s got %q (%s) %q", name, i, want.Status, got.Status, got.Address, got.Diagnostic)
					}
				}
			}
			if want.ReplyCode != "" {
				rcTotal++
				if got.ReplyCode == want.ReplyCode {
					rcMatch++
				} else if debug {
					t.Logf("reply code %s[%d]: want %s got %q (%s) %q", name, i, want.ReplyCode, got.ReplyCode, got.Address, got.Diagnostic)
				}
			}
		}
	}

	// Human mail that must not look like a robot.
	nbNames := make([]string, 0)
	for n := range exp.NotBounce {
		if !strings.HasPrefix(n, "_") {
			nbNames = append(nbNames, n)
		}
	}
	sort.Strings(nbNames)
	for _, name := range nbNames {
		var nb struct {
			HelpdeskKind string `json:"helpdesk_kind"`
		}
		_ = json.Unmarshal(exp.NotBounce[name], &nb)
		raw, err := os.ReadFile(filepath.Join(dir, "not-bounce", name))
		if err != nil {
			t.Fatal(err)
		}
		r := classifyRaw(raw, envelopeOf(raw))
		if nb.HelpdeskKind == "AMBIGUOUS" {
			t.Logf("not scored (ambiguous upstream) %s: %s (%s)", name, r.Kind, r.Reason)
			continue
		}
		record(name, Kind(nb.HelpdeskKind), r.Kind, r.Reason)
	}

	correct := 0
	for _, o := range outcomes {
		if o.want == o.got {
			correct++
		}
	}
	acc := float64(correct) / float64(len(outcomes))
	t.Logf("classify: %d/%d correct kind (%.1f%%)", correct, len(outcomes), 100*acc)
	wants := make([]string, 0, len(confusion))
	for k := range confusion {
		wants = append(wants, string(k))
	}
	sort.Strings(wants)
	for _, w := range wants {
		row := confusion[Kind(w)]
		total, ok := 0, row[Kind(w)]
		var cells []string
		for g, n := range row {
			total += n
			cells = append(cells, fmt.Sprintf("%s=%d", g, n))
		}
		sort.Strings(cells)
		t.Logf("  want %-21s %3d/%-3d correct; got: %s", w, ok, total, strings.Join(cells, " "))
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	t.Logf("recipients: address found %d/%d (%.1f%%), recipient count exact %d/%d bounces",
		recFound, recTotal, 100*ratio(recFound, recTotal), countMatch, countTotal)
	t.Logf("recipients: permanent/temporary (Hard) agrees with the expected status class %d/%d (%.1f%%)", hardMatch, hardTotal, 100*ratio(hardMatch, hardTotal))
	t.Logf("bounces: original Message-ID found in %d/%d (the rest do not carry it)", idFound, countTotal)
	t.Logf("recipients: status exact %d/%d (%.1f%%) (+%d sisimai pseudo-statuses x.0.9xx not scored), reply code exact %d/%d (%.1f%%)",
		stMatch, stTotal, 100*ratio(stMatch, stTotal), stPseudo, rcMatch, rcTotal, 100*ratio(rcMatch, rcTotal))

	if acc < floorKindAccuracy {
		t.Errorf("kind accuracy %.4f fell below the floor %.4f", acc, floorKindAccuracy)
	}
	if v := ratio(recFound, recTotal); v < floorAddressFound {
		t.Errorf("address extraction %.4f fell below the floor %.4f", v, floorAddressFound)
	}
	if v := ratio(stMatch, stTotal); v < floorStatusMatch {
		t.Errorf("status extraction %.4f fell below the floor %.4f", v, floorStatusMatch)
	}
	if v := ratio(hardMatch, hardTotal); v < floorHardMatch {
		t.Errorf("permanent/temporary verdict %.4f fell below the floor %.4f", v, floorHardMatch)
	}
	if v := ratio(rcMatch, rcTotal); v < floorReplyCodeMatch {
		t.Errorf("reply code extraction %.4f fell below the floor %.4f", v, floorReplyCodeMatch)
	}
}
