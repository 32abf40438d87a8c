package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/postdesk/postdesk/db"
)

// Streaming an attachment. A download reads the row without its bytes (AttachmentInfo: the headers
// need only the size and type), then the bytes in pieces, each read by its own bounded query
// (substr on SQLite's blob, substring on PostgreSQL's bytea), so what is in memory is one piece
// whatever the file's size.
//
// What the Go heap holds is bounded; SQLite's own work is not: substr on a blob column reads the
// whole value inside SQLite before it cuts the piece (a 100-byte piece of a 50 MiB blob took 25 ms,
// of a 1 MiB blob 0.3 ms), in SQLite's memory, outside the Go heap, freed when the query ends. A
// 25 MiB download so reads the blob 25 times (about 0.45 s). PostgreSQL slices an uncompressed
// out-of-line bytea without reading the rest. Storing attachments in chunk rows would remove this.
//
// Consistency without a long transaction: a transaction held open while a slow client downloads
// would hold a pooled connection (SQLite has eight) and a snapshot for minutes — and on SQLite,
// whose transactions begin IMMEDIATE here, the write lock. Instead every piece query has the size
// and sha256 the download started with as conditions: a row purged mid-download gives no row, an
// error (IDs are never reused on either engine; the conditions make that no premise of ours). The bytes are hashed as
// they go, and a sum other than the row's sha256 is an error too (after the last piece).

// attachmentPiece is the most bytes one piece query reads.
const attachmentPiece = 1 << 20

// ErrAttachmentChanged is returned by WriteAttachment when the attachment went away or changed
// while it was being written (a purge mid-download), or its bytes do not match its recorded size
// and sha256. What was written before is not the whole file.
var ErrAttachmentChanged = errors.New("tickets: the attachment changed while it was read")

// AttachmentInfo returns the row of one attachment of a property's messages, without its bytes
// (Data is nil). An attachment of another property is ErrNotFound, exactly like a missing one.
func (s *Store) AttachmentInfo(ctx context.Context, propertyID, attachmentID int64) (Attachment, error) {
	var a Attachment
	err := s.db.Get(ctx, nil, &a, s.qs.AttachmentInfoOfProperty, propertyID, attachmentID)
	if db.IsNoRows(err) {
		return Attachment{}, fmt.Errorf("tickets: attachment %d: %w", attachmentID, ErrNotFound)
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("tickets: attachment %d: %w", attachmentID, err)
	}
	return a, nil
}

// WriteAttachment copies the bytes of one attachment of a property's messages to w, in pieces of
// at most 1 MiB each read by its own bounded query, so memory stays one piece whatever the size.
// It returns the bytes written. An attachment of another property is ErrNotFound, like a missing
// one (nothing is written); one purged or changed mid-way is ErrAttachmentChanged, after the
// pieces read before were written; an error of w is returned as it is, wrapped.
func (s *Store) WriteAttachment(ctx context.Context, propertyID, attachmentID int64, w io.Writer) (int64, error) {
	a, err := s.AttachmentInfo(ctx, propertyID, attachmentID)
	if err != nil {
		return 0, err
	}
	return s.writeAttachment(ctx, propertyID, a, w)
}

// writeAttachment writes the bytes of a, whose row was read as it is, to w (see WriteAttachment).
func (s *Store) writeAttachment(ctx context.Context, propertyID int64, a Attachment, w io.Writer) (int64, error) {
	h := sha256.New()
	var piece pieceBuf
	var written int64
	for written < a.Size {
		n := min(a.Size-written, attachmentPiece)
		// substr and substring count from 1.
		err := s.db.Get(ctx, nil, &piece, s.qs.AttachmentPiece, written+1, n, propertyID, a.ID, a.Size, a.SHA256)
		if db.IsNoRows(err) {
			return written, fmt.Errorf("%w: attachment %d is gone after %d of %d bytes", ErrAttachmentChanged, a.ID, written, a.Size)
		}
		if err != nil {
			return written, fmt.Errorf("tickets: attachment %d: %w", a.ID, err)
		}
		if int64(len(piece.b)) != n {
			return written, fmt.Errorf("%w: attachment %d has %d bytes at %d, not %d (size %d)", ErrAttachmentChanged, a.ID, len(piece.b), written, n, a.Size)
		}
		h.Write(piece.b)
		m, err := w.Write(piece.b)
		written += int64(m)
		if err != nil {
			return written, fmt.Errorf("tickets: attachment %d: write: %w", a.ID, err)
		}
		if m != len(piece.b) {
			return written, fmt.Errorf("tickets: attachment %d: write: %w", a.ID, io.ErrShortWrite)
		}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != a.SHA256 {
		return written, fmt.Errorf("%w: attachment %d: its bytes hash to %s, its row says %s", ErrAttachmentChanged, a.ID, sum, a.SHA256)
	}
	return written, nil
}

// pieceBuf receives one piece of a blob, copied from the driver's memory into a buffer reused from
// piece to piece (database/sql would otherwise copy each piece into a new slice).
type pieceBuf struct{ b []byte }

// Scan implements sql.Scanner.
func (p *pieceBuf) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		p.b = append(p.b[:0], v...)
	case string:
		p.b = append(p.b[:0], v...)
	case nil:
		p.b = p.b[:0]
	default:
		return fmt.Errorf("tickets: a piece of an attachment is a %T, not bytes", src)
	}
	return nil
}
