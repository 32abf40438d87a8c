package notify

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/postdesk/postdesk/db"
	"github.com/postdesk/postdesk/dbtest"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/templates"
)

// Mail queued by a postdesk that rendered at send time (an intent, no bytes) is rendered by the
// upgrade step, byte for byte what this version renders; a row with no intent is left for the
// sender to fail, and a row that has its bytes is not touched.
func TestRenderQueuedUpgradesMailWithoutBytes(t *testing.T) {
	tpl, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newRenderEnv(t, d, tpl)
		ctx := context.Background()
		if _, err := e.deliver("Printer on fire", "q1@customer.example"); err != nil {
			t.Fatal(err)
		}
		type row struct {
			ID  int64  `db:"id"`
			Raw []byte `db:"raw"`
		}
		read := func() []row {
			var rs []row
			if err := d.SelectContext(ctx, &rs, `SELECT id, raw FROM outbox ORDER BY id`); err != nil {
				t.Fatal(err)
			}
			return rs
		}
		before := read()
		if len(before) != 2 {
			t.Fatalf("%d mails queued, want 2", len(before))
		}
		// As an older postdesk left them: the first without bytes, the second too and with no
		// intent to render.
		if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE outbox SET raw = ? WHERE id = ?`), []byte{}, before[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE outbox SET raw = ?, spec = ? WHERE id = ?`), []byte{}, "", before[1].ID); err != nil {
			t.Fatal(err)
		}
		n := New(e.s, tpl, Config{Domain: "desk.example", Secret: e.secret})
		q := outbox.NewQueue(d, func() time.Time { return *e.now })
		done, err := n.RenderQueued(ctx, q)
		if err != nil || done != 1 {
			t.Fatalf("rendered %d (%v), want 1", done, err)
		}
		after := read()
		if !bytes.Equal(sameBoundaries(after[0].Raw), sameBoundaries(before[0].Raw)) {
			t.Fatalf("the upgraded mail differs from what this version renders:\n%s\n---\n%s", after[0].Raw, before[0].Raw)
		}
		if len(after[1].Raw) != 0 {
			t.Fatal("a row with no intent was given bytes")
		}
		// Run again (a restart): nothing more to do, nothing changed.
		if done, err := n.RenderQueued(ctx, q); err != nil || done != 0 {
			t.Fatalf("second run rendered %d (%v)", done, err)
		}
	})
}

var boundaryRE = regexp.MustCompile(`boundary=([0-9a-f]+)`)

// sameBoundaries replaces the random MIME boundaries of raw by fixed ones: two renderings of one
// mail differ in nothing else.
func sameBoundaries(raw []byte) []byte {
	for i, m := range boundaryRE.FindAllSubmatch(raw, -1) {
		raw = bytes.ReplaceAll(raw, m[1], []byte(fmt.Sprintf("BOUNDARY%d", i)))
	}
	return raw
}
