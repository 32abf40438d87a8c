package tickets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// A Message-ID names one message, but some mailers and ticket systems reuse them. A redelivery
// (an SMTP retry after a lost 250, the same mail fetched over IMAP too) is the same Message-ID
// with the same content; the same Message-ID with other content is a new message.
//
// The content is the body, not the raw bytes: every relay on a retry's path adds its own
// Received lines, a forwarder its Delivered-To or X-Original-To, a filter its X-Spam headers, so
// the raw bytes of one mail delivered twice differ in the header — but a relay never changes the
// body (RFC 5321 §4.4 lets it add trace fields only). Line ends and trailing blanks are
// normalised, since they are what a store-and-forward hop may rewrite. And the same Date is
// enough too: a copy whose body was changed on the way (a list's footer, an 8BITMIME downgrade
// to quoted-printable) still carries the Date its author's client set, which a mailer reusing
// an ID for another mail does not.

// ContentHash is the hash of raw's body (after the first blank line), with CRLF as LF and
// trailing white space and blank lines removed.
func ContentHash(raw []byte) string {
	body := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		body = raw[i+4:]
		if j := bytes.Index(raw, []byte("\n\n")); j >= 0 && j < i {
			body = raw[j+2:]
		}
	} else if j := bytes.Index(raw, []byte("\n\n")); j >= 0 {
		body = raw[j+2:]
	} else {
		body = nil // a header alone
	}
	h := sha256.New()
	h.Write([]byte("body1\n")) // the version of this normalisation
	blank := 0                 // blank lines seen and not yet written: trailing ones never are
	for line := range bytes.Lines(body) {
		line = bytes.TrimRight(line, " \t\r\n")
		if len(line) == 0 {
			blank++
			continue
		}
		for ; blank > 0; blank-- {
			h.Write([]byte{'\n'})
		}
		h.Write(line)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// storedCopy is a stored message with the Message-ID of one being delivered.
type storedCopy struct {
	TicketID    int64      `db:"ticket_id"`
	ContentHash string     `db:"content_hash"`
	Date        *time.Time `db:"date_header"`
}

// sameMessage reports whether a mail with content hash and date is a redelivery of c. A copy
// stored without a hash (before the hash was kept, or a mail postdesk sent) cannot be compared:
// it is the same message, as it always was.
func sameMessage(c storedCopy, hash string, date time.Time) bool {
	if c.ContentHash == "" || c.ContentHash == hash {
		return true
	}
	return c.Date != nil && !date.IsZero() && c.Date.Equal(storedDate(date))
}

// storedDate is a Date header as the messages table keeps it.
func storedDate(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// dedup decides whether in was stored before (dup, with that copy's ticket), and otherwise
// returns the key to store it under: its DedupKey, or — when a different message has its
// Message-ID already — that key with the content hash, and clash set.
func (s *Store) dedup(ctx context.Context, tx *sqlx.Tx, propertyID int64, in Inbound) (key string, dupTicket int64, dup, clash bool, err error) {
	key = DedupKey(in.MessageID, in.Raw)
	if in.MessageID == "" {
		var seen []int64
		if err := s.db.Select(ctx, tx, &seen, s.qs.MessageDedup, propertyID, key); err != nil {
			return "", 0, false, false, fmt.Errorf("tickets: dedup check: %w", err)
		}
		if len(seen) > 0 {
			return key, seen[0], true, false, nil
		}
		return key, 0, false, false, nil
	}
	var copies []storedCopy
	if err := s.db.Select(ctx, tx, &copies, s.qs.MessagesByMessageID, propertyID, in.MessageID); err != nil {
		return "", 0, false, false, fmt.Errorf("tickets: dedup check: %w", err)
	}
	for _, c := range copies {
		if sameMessage(c, in.contentHash, in.Date) {
			return key, c.TicketID, true, false, nil
		}
	}
	if len(copies) == 0 {
		return key, 0, false, false, nil
	}
	return key + "#" + in.contentHash, 0, false, true, nil
}
