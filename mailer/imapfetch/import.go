package imapfetch

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/postdesk/postdesk/mailparse"
)

// job is a fetched message on its way to a delivery worker.
type job struct {
	fetched
	worker int
	id     string          // its Message-ID, "" when none
	after  []chan struct{} // deliveries it must wait for: the messages it answers
	done   chan struct{}   // closed once it is delivered (or given up)
}

func (j job) wait(ctx context.Context) {
	for _, ch := range j.after {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// threads keeps the order of conversations within a sync. A message that answers one still in
// flight (its Message-ID is in the In-Reply-To or References, RFC 5322 §3.6.4) goes to the same
// worker, behind it, and also waits for it: otherwise the reply would find no ticket and open one
// of its own. Everything else spreads over the workers. A message only ever waits for messages
// dispatched before it, so the waits cannot form a cycle.
type threads struct {
	mu       sync.Mutex
	inflight map[string]flight // by Message-ID
}

type flight struct {
	worker int
	done   chan struct{}
}

func newThreads() *threads { return &threads{inflight: map[string]flight{}} }

func (t *threads) add(f fetched, workers int) job {
	j := job{fetched: f, done: make(chan struct{})}
	if ids := msgIDs(f.raw, "Message-ID"); len(ids) > 0 {
		j.id = ids[0]
	}
	refs := append(msgIDs(f.raw, "In-Reply-To"), msgIDs(f.raw, "References")...)
	h := fnv.New32a()
	h.Write([]byte(j.id))
	j.worker = int(h.Sum32() % uint32(workers))
	t.mu.Lock()
	defer t.mu.Unlock()
	placed := false
	for _, r := range refs {
		if p, ok := t.inflight[r]; ok && !slices.Contains(j.after, p.done) {
			j.after = append(j.after, p.done)
			if !placed {
				j.worker, placed = p.worker, true
			}
		}
	}
	if j.id != "" {
		t.inflight[j.id] = flight{worker: j.worker, done: j.done}
	}
	return j
}

func (t *threads) finish(j job) {
	t.mu.Lock()
	if p, ok := t.inflight[j.id]; ok && p.done == j.done {
		delete(t.inflight, j.id)
	}
	t.mu.Unlock()
	close(j.done)
}

// importState tracks the messages of one sync. Deliveries finish out of order; the checkpoint
// only passes a UID once every UID below it in the sync is done.
type importState struct {
	uids []imap.UID // ascending

	mu      sync.Mutex
	state   map[imap.UID]uint8
	dup     map[imap.UID]bool
	ready   []imap.UID // committed, after-action not yet applied
	next    int        // uids[:next] are done
	unsaved int        // imported since the last advance
	err0    error      // the first delivery failure

	imported, duplicates, skipped, refused int
}

const (
	pending uint8 = iota
	committed
	done
)

func newImportState(uids []imap.UID) *importState {
	st := make(map[imap.UID]uint8, len(uids))
	for _, u := range uids {
		st[u] = pending
	}
	return &importState{uids: uids, state: st, dup: map[imap.UID]bool{}}
}

func (s *importState) has(u imap.UID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.state[u]
	return ok
}

func (s *importState) delivered(u imap.UID, dup bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.err0 == nil {
			s.err0 = fmt.Errorf("imapfetch: deliver UID %d: %w", u, err)
		}
		return
	}
	s.state[u] = committed
	s.dup[u] = dup
	s.ready = append(s.ready, u)
}

func (s *importState) skip(u imap.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[u] = done
	s.skipped++
}

// refuse marks u done without its after-action: the receiver can never store it (a permanent
// failure), and the folder is the only place its raw is kept.
func (s *importState) refuse(u imap.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[u] = done
	s.refused++
}

func (s *importState) refusedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func (s *importState) takeReady() []imap.UID {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.ready
	s.ready = nil
	sortUIDs(r)
	return r
}

func (s *importState) acted(uids []imap.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range uids {
		s.state[u] = done
		if s.dup[u] {
			s.duplicates++
		} else {
			s.imported++
			s.unsaved++
		}
	}
}

// advance returns the UID the checkpoint may move to (0: none yet), how many messages were
// imported since the last call, and how many are left.
func (s *importState) advance() (upto uint32, imported, left int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.next < len(s.uids) && s.state[s.uids[s.next]] == done {
		s.next++
	}
	if s.next > 0 {
		upto = uint32(s.uids[s.next-1])
	}
	imported, s.unsaved = s.unsaved, 0
	return upto, imported, len(s.uids) - s.next
}

func (s *importState) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err0
}

func (s *importState) counts() (imported, duplicates, skipped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.imported, s.duplicates, s.skipped
}

func sortUIDs(u []imap.UID) { slices.Sort(u) }

// envelopeSender is the sender a fetched message is classified with. Mail read from a mailbox has
// no SMTP envelope of its own: the final MTA recorded it in Return-Path (RFC 5321 §4.4), else the
// From address stands in. Never "" for mail that says who sent it: that is the null sender of
// bounces and auto-replies (Return-Path: <> keeps saying so, and classify reads it).
func envelopeSender(raw []byte) string {
	if v, ok := headerField(raw, "Return-Path"); ok {
		if a := mailparse.ParseAddress(v); a != nil && a.Email != "" {
			return a.Email
		}
	}
	for _, name := range []string{"From", "Sender"} {
		if v, ok := headerField(raw, name); ok {
			if a := mailparse.ParseAddress(v); a != nil && a.Email != "" {
				return a.Email
			}
		}
	}
	return ""
}

// headerField returns the unfolded value of the first header field called name. It reads the
// header leniently (LF or CRLF line ends, anything else tolerated) and never fails.
func headerField(raw []byte, name string) (string, bool) {
	var val []byte
	found := false
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // end of the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if found {
				val = append(append(val, ' '), bytes.TrimSpace(line)...)
			}
			continue
		}
		if found {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(bytes.TrimSpace(k)), name) {
			found, val = true, append([]byte(nil), bytes.TrimSpace(v)...)
		}
	}
	return string(val), found
}

// msgIDs returns the message identifiers (RFC 5322 §3.6.4) in the first header field called
// name, without their angle brackets.
func msgIDs(raw []byte, name string) []string {
	v, ok := headerField(raw, name)
	if !ok {
		return nil
	}
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			ids = append(ids, id)
		}
		v = v[i+j+1:]
	}
	if len(ids) == 0 && strings.TrimSpace(v) != "" && !strings.ContainsAny(v, " \t") {
		ids = append(ids, strings.TrimSpace(v)) // an identifier without its brackets
	}
	return ids
}
