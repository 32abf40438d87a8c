package tickets

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// What an agent does to the tickets in their inbox beyond answering them: read state, trash,
// purge and spam. Every function takes the property and a ticket number of that property: a
// number of another property is ErrNotFound, whatever tickets the other property holds.

// ticketWithState is a ticket with what the list view leaves out.
type ticketWithState struct {
	Ticket
	Spam         bool       `db:"spam"`
	DeletedAt    *time.Time `db:"deleted_at"`
	SnoozedUntil *time.Time `db:"snoozed_until"`
}

func (t *ticketWithState) normalise() {
	t.Ticket.normalise()
	for _, p := range []**time.Time{&t.DeletedAt, &t.SnoozedUntil} {
		if *p != nil {
			d := utc(**p)
			*p = &d
		}
	}
}

// ticketAnyState reads a property's ticket by number, in the trash or not.
func (s *Store) ticketAnyState(ctx context.Context, propertyID, number int64) (ticketWithState, error) {
	var ts []ticketWithState
	if err := s.db.Select(ctx, nil, &ts, s.qs.TicketWithStateByNumber, propertyID, number); err != nil {
		return ticketWithState{}, fmt.Errorf("tickets: ticket #%d: %w", number, err)
	}
	if len(ts) == 0 {
		return ticketWithState{}, s.notFound(ctx, nil, propertyID, number)
	}
	plain := []Ticket{ts[0].Ticket}
	if err := s.loadTags(ctx, s.db.DB, plain); err != nil {
		return ticketWithState{}, err
	}
	ts[0].Ticket = plain[0]
	ts[0].normalise()
	return ts[0], nil
}

// ticketKey is what a change needs to know of a ticket, read in its transaction.
type ticketKey struct {
	ID        int64      `db:"id"`
	Number    int64      `db:"number"`
	ContactID *int64     `db:"contact_id"`
	Spam      bool       `db:"spam"`
	DeletedAt *time.Time `db:"deleted_at"`
	UpdatedAt time.Time  `db:"updated_at"`
}

// lockTicket finds a property's ticket by number inside tx (in the trash or not).
func (s *Store) lockTicket(ctx context.Context, tx *sqlx.Tx, propertyID, number int64) (ticketKey, error) {
	var ks []ticketKey
	if err := s.db.Select(ctx, tx, &ks, s.qs.TicketKeyByNumber, propertyID, number); err != nil {
		return ticketKey{}, fmt.Errorf("tickets: ticket #%d: %w", number, err)
	}
	if len(ks) == 0 {
		return ticketKey{}, s.notFound(ctx, tx, propertyID, number)
	}
	return ks[0], nil
}

// agentOf resolves an agent of the property (by ID, or by email when the ID is not known).
// An agent of another property is ErrNotFound.
func (s *Store) agentOf(ctx context.Context, tx *sqlx.Tx, propertyID int64, a Agent) (int64, error) {
	var ids []int64
	var err error
	if a.ID != 0 {
		err = s.db.Select(ctx, tx, &ids, s.qs.AgentOnProperty, propertyID, a.ID)
	} else {
		found, ok, ferr := s.propertyAgent(ctx, tx, propertyID, a.Email)
		if ok {
			ids = append(ids, found.ID)
		}
		err = ferr
	}
	if err != nil {
		return 0, fmt.Errorf("tickets: agent %q: %w", a.Email, err)
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("tickets: agent %q: %w", a.Email, ErrNotFound)
	}
	return ids[0], nil
}

// MarkRead marks a ticket read for an agent: it is read while read_at >= the ticket's updated_at,
// so until the ticket next changes. Read state is the agent's, not a change to the ticket: it
// writes no event and does not move the ticket.
func (s *Store) MarkRead(ctx context.Context, p Property, number int64, agent Agent) error {
	return s.MarkReadAt(ctx, p, number, agent, time.Time{})
}

// MarkReadAt marks a ticket read as it was at seen (its updated_at when the agent was shown it):
// a change after seen, made while the page was being built, still shows as unread. A zero seen
// is now.
func (s *Store) MarkReadAt(ctx context.Context, p Property, number int64, agent Agent, seen time.Time) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		agentID, err := s.agentOf(ctx, tx, p.ID, agent)
		if err != nil {
			return err
		}
		t, err := s.lockTicket(ctx, tx, p.ID, number)
		if err != nil {
			return err
		}
		at := s.Now()
		if u := utc(t.UpdatedAt); u.After(at) {
			at = u // a clock behind the ticket's last change must still mark it read
		}
		if !seen.IsZero() && seen.Before(at) {
			at = seen
		}
		if err := s.db.Exec(ctx, tx, s.qs.TicketReadMark, t.ID, agentID, at); err != nil {
			return fmt.Errorf("tickets: mark #%d read: %w", number, err)
		}
		return nil
	})
}

// MarkUnread forgets that an agent read a ticket.
func (s *Store) MarkUnread(ctx context.Context, p Property, number int64, agent Agent) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		agentID, err := s.agentOf(ctx, tx, p.ID, agent)
		if err != nil {
			return err
		}
		t, err := s.lockTicket(ctx, tx, p.ID, number)
		if err != nil {
			return err
		}
		if err := s.db.Exec(ctx, tx, s.qs.TicketReadForget, t.ID, agentID); err != nil {
			return fmt.Errorf("tickets: mark #%d unread: %w", number, err)
		}
		return nil
	})
}

// Trash moves a ticket to the trash, from where Restore brings it back: it leaves every view and
// threading (an answer to it opens a new ticket) but keeps all its data. Trashing a ticket in the
// trash changes nothing.
func (s *Store) Trash(ctx context.Context, p Property, number int64, actor Actor) (Ticket, error) {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		t, err := s.lockTicket(ctx, tx, p.ID, number)
		if err != nil || t.DeletedAt != nil {
			return err
		}
		now := s.Now()
		if err := s.db.Exec(ctx, tx, s.qs.TicketTrash, now, t.ID); err != nil {
			return fmt.Errorf("tickets: trash #%d: %w", number, err)
		}
		return s.addEvent(ctx, tx, t.ID, "trashed", actor, "", now)
	})
	if err != nil {
		return Ticket{}, err
	}
	t, err := s.ticketAnyState(ctx, p.ID, number)
	return t.Ticket, err
}

// Restore takes a ticket out of the trash. Restoring a ticket not in the trash changes nothing.
func (s *Store) Restore(ctx context.Context, p Property, number int64, actor Actor) (Ticket, error) {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		t, err := s.lockTicket(ctx, tx, p.ID, number)
		if err != nil || t.DeletedAt == nil {
			return err
		}
		now := s.Now()
		if err := s.db.Exec(ctx, tx, s.qs.TicketRestore, t.ID); err != nil {
			return fmt.Errorf("tickets: restore #%d: %w", number, err)
		}
		return s.addEvent(ctx, tx, t.ID, "restored", actor, "", now)
	})
	if err != nil {
		return Ticket{}, err
	}
	t, err := s.ticketAnyState(ctx, p.ID, number)
	return t.Ticket, err
}

// Purge deletes a ticket in the trash for good, with everything that belongs to it. A ticket not
// in the trash is ErrInvalid: purging is the second step, never the first.
func (s *Store) Purge(ctx context.Context, p Property, number int64, actor Actor) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		t, err := s.lockTicket(ctx, tx, p.ID, number)
		if err != nil {
			return err
		}
		if t.DeletedAt == nil {
			return fmt.Errorf("tickets: purge #%d: %w: only a ticket in the trash can be purged", number, ErrInvalid)
		}
		return s.purgeTicket(ctx, tx, p, t.ID, t.Number, actor, s.Now())
	})
}

// purgeTicket deletes a ticket and everything of it inside tx (mail sent for it stays, as the
// record of mail sent: see purge.sql). Tickets that follow it up lose the link, and say so in
// their log.
func (s *Store) purgeTicket(ctx context.Context, tx *sqlx.Tx, p Property, ticketID, number int64, actor Actor, now time.Time) error {
	steps := []struct{ what, query string }{
		{"attachments", s.qs.PurgeAttachments},
		{"messages", s.qs.PurgeMessages},
		{"events", s.qs.PurgeEvents},
		{"tags", s.qs.PurgeTags},
		{"participants", s.qs.PurgeParticipants},
		{"message-ids", s.qs.PurgeThreadIDs},
		{"read state", s.qs.PurgeReads},
		{"unsent mail", s.qs.PurgeUnsentMail},
		{"sent mail", s.qs.PurgeSentMail},
	}
	for _, st := range steps {
		if err := s.db.Exec(ctx, tx, st.query, ticketID); err != nil {
			return fmt.Errorf("tickets: purge #%d: %s: %w", number, st.what, err)
		}
	}
	var followers []int64
	if err := s.db.Select(ctx, tx, &followers, s.qs.PurgeUnlinkFollowUps, ticketID); err != nil {
		return fmt.Errorf("tickets: purge #%d: unlink follow-ups: %w", number, err)
	}
	for _, f := range followers {
		if err := s.addEvent(ctx, tx, f, "unlinked", actor, fmt.Sprintf("ticket #%d, which this one followed up, was deleted for good", number), now); err != nil {
			return err
		}
	}
	if err := s.db.Exec(ctx, tx, s.qs.MergePurgePointers, ticketID, p.ID); err != nil {
		return fmt.Errorf("tickets: purge #%d: the tickets merged into it: %w", number, err)
	}
	if err := s.db.Exec(ctx, tx, s.qs.PurgeTicket, ticketID, p.ID); err != nil {
		return fmt.Errorf("tickets: purge #%d: %w", number, err)
	}
	s.log.Info("ticket purged", "property", p.Slug, "ticket", number, "actor", actor)
	return nil
}

// MarkSpam flags a ticket as spam, and its customer too: later mail from them goes to spam.
func (s *Store) MarkSpam(ctx context.Context, p Property, number int64, actor Actor) (Ticket, error) {
	return s.setSpam(ctx, p, number, actor, true)
}

// UnmarkSpam clears the spam flag of a ticket and of its customer.
func (s *Store) UnmarkSpam(ctx context.Context, p Property, number int64, actor Actor) (Ticket, error) {
	return s.setSpam(ctx, p, number, actor, false)
}

func (s *Store) setSpam(ctx context.Context, p Property, number int64, actor Actor, spam bool) (Ticket, error) {
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		t, err := s.lockTicket(ctx, tx, p.ID, number)
		if err != nil {
			return err
		}
		changed := t.Spam != spam
		if changed {
			if err := s.db.Exec(ctx, tx, s.qs.TicketSetSpam, spam, t.ID); err != nil {
				return fmt.Errorf("tickets: spam #%d: %w", number, err)
			}
		}
		var sender []string
		if t.ContactID != nil {
			if err := s.db.Select(ctx, tx, &sender, s.qs.TicketSpamSender,
				spam, *t.ContactID, p.ID, spam); err != nil {
				return fmt.Errorf("tickets: spam #%d: sender: %w", number, err)
			}
		}
		if !changed && len(sender) == 0 {
			return nil
		}
		kind, detail := "marked-spam", ""
		if !spam {
			kind = "unmarked-spam"
		}
		if len(sender) > 0 {
			detail = "sender " + sender[0]
			if spam {
				detail += ": later mail from them goes to spam"
			}
		}
		return s.addEvent(ctx, tx, t.ID, kind, actor, detail, s.Now())
	})
	if err != nil {
		return Ticket{}, err
	}
	t, err := s.ticketAnyState(ctx, p.ID, number)
	return t.Ticket, err
}
