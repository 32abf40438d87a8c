package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// The kinds of system mail.
const (
	// SystemPostmaster is mail to postmaster@ that no property takes.
	SystemPostmaster = "postmaster"
	// SystemRobot is robot mail (an auto-reply, a bounce, a challenge, list mail a property
	// ignores, our own mail coming back) that threads into no ticket: never a ticket, never
	// answered, kept for the property's admins until the retention time has passed.
	SystemRobot = "robot"
)

// DefaultSystemMailRetention is how long robot system mail is kept when the setting is unset.
const DefaultSystemMailRetention = 30 * 24 * time.Hour

// maxSystemText bounds the text kept beside the raw bytes: enough to read, and the bytes have it
// all.
const maxSystemText = 64 << 10

// SystemMail is a kept mail that belongs to no ticket.
type SystemMail struct {
	ID           int64     `db:"id" json:"id"`
	Kind         string    `db:"kind" json:"kind"`
	Property     string    `db:"property" json:"property,omitempty"` // slug; "" for postmaster mail
	EnvelopeFrom string    `db:"envelope_from" json:"envelope_from"`
	From         string    `db:"from_email" json:"from"`
	Subject      string    `db:"subject" json:"subject"`
	MessageID    string    `db:"message_id" json:"message_id"`
	Class        string    `db:"class" json:"class"` // the classifier's kind: bounce, auto-reply…
	Problems     string    `db:"problems" json:"problems,omitempty"`
	Text         string    `db:"text_body" json:"text,omitempty"` // only when read by ID
	Raw          []byte    `db:"raw" json:"-"`                    // only when read by ID
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// KeepSystemMail stores in as a system mail of kind, once: a redelivery is recognised by its
// Message-ID (or its bytes) and stored is false then. then, when set, runs in the same transaction
// when the mail is new (it queues whatever the mail causes), so both happen or neither.
func (s *Store) KeepSystemMail(ctx context.Context, kind string, in Inbound, then func(ctx context.Context, tx *sqlx.Tx, id int64) error) (stored bool, err error) {
	err = s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		id, err := s.insertSystemMail(ctx, tx, kind, 0, DedupKey(in.MessageID, in.Raw), in)
		if err != nil || id == 0 {
			return err
		}
		stored = true
		if then == nil {
			return nil
		}
		return then(ctx, tx, id)
	})
	if err != nil {
		return false, fmt.Errorf("tickets: keep %s mail: %w", kind, err)
	}
	return stored, nil
}

// insertSystemMail inserts in as system mail inside tx; id is 0 when key was kept before.
// propertyID 0 is none.
func (s *Store) insertSystemMail(ctx context.Context, tx *sqlx.Tx, kind string, propertyID int64, key string, in Inbound) (int64, error) {
	raw := any(in.Raw)
	if s.pgLarge(len(in.Raw)) {
		raw = nil // follows in pieces (see pgPut)
	}
	text := in.Text
	if len(text) > maxSystemText {
		text = strings.ToValidUTF8(text[:maxSystemText], "")
	}
	hash := in.contentHash
	if hash == "" {
		hash = ContentHash(in.Raw) // KeepSystemMail's mail did not come through Deliver
	}
	var date *time.Time
	if !in.Date.IsZero() {
		t := storedDate(in.Date)
		date = &t
	}
	var ids []int64
	if err := s.db.Select(ctx, tx, &ids, s.qs.SystemMailInsert,
		kind, nullID(propertyID), key, normEmail(in.EnvelopeFrom), normEmail(in.From.Email), in.Subject, in.MessageID, in.Kind,
		strings.Join(in.Problems, "\n"), text, raw, hash, date, s.Now()); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if raw == nil && in.Raw != nil {
		if err := s.pgPut(ctx, tx, s.qs.LOSetSystemMailRaw, ids[0], in.Raw); err != nil {
			return 0, err
		}
	}
	return ids[0], nil
}

// keepRobotMail keeps, inside a delivery's transaction, robot mail that threads into no ticket
// of p. kept is false for a redelivery (seen true) and for a blocked sender's mail.
func (s *Store) keepRobotMail(ctx context.Context, tx *sqlx.Tx, p Property, key string, in Inbound) (kept, seen bool, err error) {
	// A blocked address's mail is dropped without a trace, a robot's too.
	var blocked int
	if err := s.db.Get(ctx, tx, &blocked, s.qs.ContactIsBlocked, p.ID, normEmail(in.From.Email), true); err != nil {
		return false, false, fmt.Errorf("tickets: keep robot mail: %w", err)
	}
	if blocked > 0 {
		return false, false, nil
	}
	// A Message-ID reused by a different robot mail is another mail, by the rule messages follow
	// (sameMessage): kept under its key with the content hash, the clash noted.
	key, seen, clash, err := s.robotKey(ctx, tx, p.ID, key, in)
	if err != nil || seen {
		return false, seen, err
	}
	if clash {
		in.Problems = append(append([]string(nil), in.Problems...),
			"Message-ID <"+in.MessageID+"> is also that of an earlier, different robot mail: kept as a new one")
	}
	// The unique key is (kind, dedup_key): the property is part of the key, since one mail may
	// come to several properties.
	id, err := s.insertSystemMail(ctx, tx, SystemRobot, p.ID, fmt.Sprintf("p%d:%s", p.ID, key), in)
	if err != nil {
		return false, false, fmt.Errorf("tickets: keep robot mail: %w", err)
	}
	if id == 0 && in.MessageID != "" {
		// A concurrent delivery kept this Message-ID first: Deliver tries again, and sees whether
		// it kept this mail or another.
		return false, false, errDuplicate
	}
	return id != 0, id == 0, nil
}

// robotKey is the key robot mail in is kept under (key is its delivery's dedup key): seen when a
// kept robot mail of p is the same mail, key with the content hash and clash when one with its
// Message-ID is another.
func (s *Store) robotKey(ctx context.Context, tx *sqlx.Tx, propertyID int64, key string, in Inbound) (_ string, seen, clash bool, err error) {
	if in.MessageID == "" {
		return key, false, false, nil // keyed by its bytes: the same key is the same mail
	}
	var copies []storedCopy
	if err := s.db.Select(ctx, tx, &copies, s.qs.SystemMailsByMsgID, propertyID, in.MessageID, SystemRobot); err != nil {
		return "", false, false, fmt.Errorf("tickets: keep robot mail: dedup check: %w", err)
	}
	for _, c := range copies {
		if sameMessage(c, in.contentHash, in.Date) {
			return key, true, false, nil
		}
	}
	base := DedupKey(in.MessageID, in.Raw)
	if len(copies) == 0 || key != base {
		// New, or already keyed as a clash with a stored message (see dedup), and noted so.
		return key, false, false, nil
	}
	return base + "#" + in.contentHash, false, true, nil
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

// SystemMailFilter selects system mail; zero fields select all.
type SystemMailFilter struct {
	PropertyID int64  // 0: every property's and the postmaster's
	Kind       string // SystemPostmaster, SystemRobot
	Class      string // the classifier's kind
	Limit      int    // 0: 100
}

// ListSystemMail lists kept system mail, newest first.
func (s *Store) ListSystemMail(ctx context.Context, f SystemMailFilter) ([]SystemMail, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	ms := []SystemMail{}
	err := s.db.Select(ctx, nil, &ms, s.qs.SystemMailsFiltered, f.PropertyID, f.PropertyID, f.Kind, f.Kind, f.Class, f.Class, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("tickets: list system mail: %w", err)
	}
	return ms, nil
}

// SystemMailByID reads one system mail with its text and raw bytes; propertyID, when not 0,
// must be the property it came to (ErrNotFound otherwise).
func (s *Store) SystemMailByID(ctx context.Context, propertyID, id int64) (SystemMail, error) {
	var m SystemMail
	err := s.db.Get(ctx, nil, &m, s.qs.SystemMailByID, id, propertyID, propertyID)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("tickets: system mail %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("tickets: system mail %d: %w", id, err)
	}
	return m, nil
}

const settingSystemMailRetention = "system_mail_retention"

// SystemMailRetention is how long robot system mail is kept (DefaultSystemMailRetention unless
// set).
func (s *Store) SystemMailRetention(ctx context.Context) (time.Duration, error) {
	var vs []string
	if err := s.db.Select(ctx, nil, &vs, s.qs.SettingGet, settingSystemMailRetention); err != nil {
		return 0, fmt.Errorf("tickets: system mail retention: %w", err)
	}
	if len(vs) == 0 {
		return DefaultSystemMailRetention, nil
	}
	d, err := time.ParseDuration(vs[0])
	if err != nil {
		return 0, fmt.Errorf("tickets: system mail retention %q: %w", vs[0], err)
	}
	return d, nil
}

// SetSystemMailRetention sets how long robot system mail is kept: at least an hour, so that a
// mail is never purged while its sender may still be retrying it.
func (s *Store) SetSystemMailRetention(ctx context.Context, d time.Duration) error {
	if d < time.Hour {
		return fmt.Errorf("tickets: %w: system mail retention %s: at least 1h", ErrInvalid, d)
	}
	if err := s.db.Exec(ctx, nil, s.qs.SettingPut, settingSystemMailRetention, d.String()); err != nil {
		return fmt.Errorf("tickets: set system mail retention: %w", err)
	}
	return nil
}

// PurgeSystemMail deletes robot system mail kept longer than the retention time, and says how
// many. Instances sharing a database may all run it: a row is deleted once.
func (s *Store) PurgeSystemMail(ctx context.Context) (int64, error) {
	keep, err := s.SystemMailRetention(ctx)
	if err != nil {
		return 0, err
	}
	var ids []int64
	if err := s.db.Select(ctx, nil, &ids, s.qs.SystemMailPurge, SystemRobot, s.Now().Add(-keep)); err != nil {
		return 0, fmt.Errorf("tickets: purge system mail: %w", err)
	}
	return int64(len(ids)), nil
}
