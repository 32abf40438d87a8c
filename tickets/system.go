package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// SystemMail is a kept mail that belongs to no ticket (mail to postmaster@).
type SystemMail struct {
	ID           int64     `db:"id" json:"id"`
	Kind         string    `db:"kind" json:"kind"`
	EnvelopeFrom string    `db:"envelope_from" json:"envelope_from"`
	From         string    `db:"from_email" json:"from"`
	Subject      string    `db:"subject" json:"subject"`
	MessageID    string    `db:"message_id" json:"message_id"`
	Class        string    `db:"class" json:"class"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// KeepSystemMail stores in as a system mail of kind, once: a redelivery is recognised by its
// Message-ID (or its bytes) and stored is false then. then, when set, runs in the same transaction
// when the mail is new (it queues whatever the mail causes), so both happen or neither.
func (s *Store) KeepSystemMail(ctx context.Context, kind string, in Inbound, then func(ctx context.Context, tx *sqlx.Tx, id int64) error) (stored bool, err error) {
	raw := any(in.Raw)
	if s.pgLarge(len(in.Raw)) {
		raw = nil // follows in pieces (see pgPut)
	}
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := s.db.Select(ctx, tx, &ids, s.qs.SystemMailInsert,
			kind, DedupKey(in.MessageID, in.Raw), normEmail(in.EnvelopeFrom), normEmail(in.From.Email), in.Subject, in.MessageID, in.Kind, raw, s.Now()); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if raw == nil && in.Raw != nil {
			if err := s.pgPut(ctx, tx, s.qs.LOSetSystemMailRaw, ids[0], in.Raw); err != nil {
				return err
			}
		}
		stored = true
		if then == nil {
			return nil
		}
		return then(ctx, tx, ids[0])
	})
	if err != nil {
		return false, fmt.Errorf("tickets: keep %s mail: %w", kind, err)
	}
	return stored, nil
}

// SystemMails lists the newest kept system mails of kind, at most limit.
func (s *Store) SystemMails(ctx context.Context, kind string, limit int) ([]SystemMail, error) {
	var ms []SystemMail
	err := s.db.Select(ctx, nil, &ms, s.qs.SystemMails, kind, limit)
	if err != nil {
		return nil, fmt.Errorf("tickets: list %s mail: %w", kind, err)
	}
	return ms, nil
}
