package tickets

import (
	"context"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/jmoiron/sqlx"

	"github.com/postdesk/postdesk/db"
)

// Attachment returns one attachment of a property's messages, with its bytes. An attachment of
// another property is ErrNotFound, exactly like one that does not exist: IDs are global, and an
// API must not tell a caller which IDs another property holds.
func (s *Store) Attachment(ctx context.Context, propertyID, attachmentID int64) (Attachment, error) {
	var a Attachment
	err := s.db.Get(ctx, nil, &a, s.qs.AttachmentOfProperty, propertyID, attachmentID)
	if db.IsNoRows(err) {
		return Attachment{}, fmt.Errorf("tickets: attachment %d: %w", attachmentID, ErrNotFound)
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("tickets: attachment %d: %w", attachmentID, err)
	}
	if a.Data == nil {
		a.Data = []byte{}
	}
	return a, nil
}

// MessageHTML returns the HTML body of one of a property's messages as it was received — unsafe to
// show as it is: callers sanitise it. A message without HTML gives "". A message of another
// property is ErrNotFound.
func (s *Store) MessageHTML(ctx context.Context, propertyID, messageID int64) (string, error) {
	var html string
	err := s.db.Get(ctx, nil, &html, s.qs.MessageHTML, propertyID, messageID)
	if db.IsNoRows(err) {
		return "", fmt.Errorf("tickets: message %d: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("tickets: message %d: %w", messageID, err)
	}
	return html, nil
}

// Large values on PostgreSQL. lib/pq builds each statement's whole message in memory — every
// argument, a bytea hex-encoded at twice its size — and drops it once sent. A 25 MiB message stored
// in one INSERT left several times its size of such buffers behind, and the collector (at the
// default GOGC) lets garbage grow to the size of everything live before it reclaims any: the peak
// was 8.7 times the message. So on PostgreSQL a large value is sent in pieces that the server
// assembles in a large object, and the heap is collected after each piece — what a piece left
// behind is all there is to collect, and it holds no pointers to scan. SQLite needs none of this:
// its driver copies arguments outside the Go heap.
const (
	pgLargeValue = 1 << 20 // values from this size are sent in pieces
	pgPiece      = 1 << 20 // bytes per piece (twice that on the wire, hex-encoded)
)

// pgLarge reports whether a value of n bytes is sent in pieces (see pgLargeValue).
func (s *Store) pgLarge(n int) bool { return s.db.Dialect == db.Postgres && n >= pgLargeValue }

// pgPut sets a column of one row to v, sent in pieces (see pgLargeValue). set is an UPDATE whose
// arguments are the large object holding v and the row's ID, such as s.qs.LOSetAttachmentData. The large object lives only inside tx.
func (s *Store) pgPut(ctx context.Context, tx *sqlx.Tx, set string, id int64, v []byte) error {
	var lo int64
	if err := s.db.Get(ctx, tx, &lo, s.qs.LOCreate); err != nil {
		return fmt.Errorf("tickets: large object: %w", err)
	}
	for off := 0; off < len(v); off += pgPiece {
		piece := v[off:min(off+pgPiece, len(v))]
		if err := s.db.Exec(ctx, tx, s.qs.LOPut, lo, int64(off), piece); err != nil {
			return fmt.Errorf("tickets: large object: %w", err)
		}
		runtime.GC()
	}
	if err := s.db.Exec(ctx, tx, set, lo, id); err != nil {
		return fmt.Errorf("tickets: store a large value: %w", err)
	}
	if err := s.db.Exec(ctx, tx, s.qs.LOUnlink, lo); err != nil {
		return fmt.Errorf("tickets: large object: %w", err)
	}
	return nil
}

// pgPutText is pgPut for a text column, whose UPDATE reads convert_from(lo_get(?), 'UTF8'). v is
// sent as the bytes it is made of, not copied.
func (s *Store) pgPutText(ctx context.Context, tx *sqlx.Tx, set string, id int64, v string) error {
	return s.pgPut(ctx, tx, set, id, unsafe.Slice(unsafe.StringData(v), len(v)))
}
