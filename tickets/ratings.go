package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
)

// The customers' ratings of their closed tickets. A close mail carries a signed link per choice
// (package rating); the page it opens records the choice through Rate. A ticket has one rating,
// which the customer may change, with its comment, while the close mail's links work (7 days
// after that close); a later close's links rate the ticket again, never an earlier close's. The
// ticket's log says "rated" (and "rating-changed"); the lists show and filter it (Ticket.Rating,
// Query.Rating), and RatingSummary counts them per property.

// RatingChoices lists the choices a rating may be, best first (rating.Choices).
var RatingChoices = []string{"good", "okay", "bad"}

// RatingNone is the list filter of the tickets without a rating.
const RatingNone = "none"

// MaxRatingComment is the longest comment kept with a rating, in characters.
const MaxRatingComment = 2000

// ErrRatingStale is a rating through a link of an earlier close than the one the ticket's
// rating is for: nothing changes.
var ErrRatingStale = errors.New("a later close of the ticket was rated")

// Rating is a customer's rating of a ticket.
type Rating struct {
	Rating    string    `db:"rating" json:"rating"`
	Comment   string    `db:"comment" json:"comment"`
	Customer  string    `db:"contact_email" json:"customer"` // who rated: the ticket's customer then
	ClosedAt  time.Time `db:"closed_at" json:"closed_at"`    // the close the rating is for
	RatedAt   time.Time `db:"rated_at" json:"rated_at"`      // first rated
	ChangedAt time.Time `db:"changed_at" json:"changed_at"`  // last changed (choice or comment)
}

func (r *Rating) normalise() {
	r.ClosedAt, r.RatedAt, r.ChangedAt = utc(r.ClosedAt), utc(r.RatedAt), utc(r.ChangedAt)
}

// RatingTarget is the ticket a rating link names, as its page shows it.
type RatingTarget struct {
	Property Property
	TicketID int64   `db:"id"`
	Number   int64   `db:"number"`
	Subject  string  `db:"subject"`
	Customer string  `db:"customer"`
	Rating   *Rating // nil: not rated yet
}

// RatingTarget reads the ticket a rating link names, within its property: ErrNotFound for a
// ticket of another property, purged, in the trash or merged into another.
func (s *Store) RatingTarget(ctx context.Context, propertyID, ticketID int64) (RatingTarget, error) {
	return s.ratingTarget(ctx, nil, propertyID, ticketID)
}

func (s *Store) ratingTarget(ctx context.Context, tx *sqlx.Tx, propertyID, ticketID int64) (RatingTarget, error) {
	var ts []RatingTarget
	if err := s.db.Select(ctx, tx, &ts, s.qs.RatingTarget, propertyID, ticketID); err != nil {
		return RatingTarget{}, fmt.Errorf("tickets: rating: ticket %d: %w", ticketID, err)
	}
	if len(ts) == 0 {
		return RatingTarget{}, fmt.Errorf("tickets: rating: ticket %d: %w", ticketID, ErrNotFound)
	}
	t := ts[0]
	p, err := s.propertyIn(ctx, tx, propertyID)
	if err != nil {
		return RatingTarget{}, err
	}
	t.Property = p
	var rs []Rating
	if err := s.db.Select(ctx, tx, &rs, s.qs.RatingOfTicket, ticketID); err != nil {
		return RatingTarget{}, fmt.Errorf("tickets: rating of ticket %d: %w", ticketID, err)
	}
	if len(rs) > 0 {
		rs[0].normalise()
		t.Rating = &rs[0]
	}
	return t, nil
}

// ratingOf is a ticket's rating, nil when it has none.
func (s *Store) ratingOf(ctx context.Context, tx *sqlx.Tx, ticketID int64) (*Rating, error) {
	var rs []Rating
	if err := s.db.Select(ctx, tx, &rs, s.qs.RatingOfTicket, ticketID); err != nil {
		return nil, fmt.Errorf("tickets: rating of ticket %d: %w", ticketID, err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	rs[0].normalise()
	return &rs[0], nil
}

// NewRating is a rating a customer gives through a link: of the ticket TicketID of the property
// PropertyID, for the close at ClosedAt (the link's).
type NewRating struct {
	PropertyID, TicketID int64
	ClosedAt             time.Time
	Rating               string // one of RatingChoices
	Comment              string
}

// Rate records a customer's rating, in one transaction: the ticket's one rating is inserted, or
// changed (choice and comment); the ticket's log gets "rated" the first time and
// "rating-changed" when the choice changes, as the customer (a comment alone logs nothing).
// Whether the link still works is the caller's (package rating checks its expiry). ErrNotFound:
// no such ticket in the property (or in the trash, or merged); ErrRatingStale: the rating is of
// a later close already; ErrInvalid: a choice not known.
func (s *Store) Rate(ctx context.Context, in NewRating) (RatingTarget, error) {
	if !slices.Contains(RatingChoices, in.Rating) {
		return RatingTarget{}, paramErr("rating", "rating %q: one of %s", in.Rating, strings.Join(RatingChoices, ", "))
	}
	comment := CleanRatingComment(in.Comment)
	var out RatingTarget
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		t, err := s.ratingTarget(ctx, tx, in.PropertyID, in.TicketID)
		if err != nil {
			return err
		}
		now := s.Now()
		var rated []time.Time
		if err := s.db.Select(ctx, tx, &rated, s.qs.RatingUpsert, t.TicketID, in.PropertyID, in.Rating, comment, t.Customer,
			in.ClosedAt.UTC(), now, now); err != nil {
			return fmt.Errorf("tickets: rate ticket %d: %w", t.TicketID, err)
		}
		if len(rated) == 0 {
			return fmt.Errorf("tickets: rate ticket #%d: %w", t.Number, ErrRatingStale)
		}
		actor := CustomerActor(t.Customer)
		switch {
		case t.Rating == nil:
			err = s.addEvent(ctx, tx, t.TicketID, "rated", actor, in.Rating, now)
		case t.Rating.Rating != in.Rating:
			err = s.addEvent(ctx, tx, t.TicketID, "rating-changed", actor, t.Rating.Rating+" → "+in.Rating, now)
		}
		if err != nil {
			return err
		}
		t.Rating = &Rating{Rating: in.Rating, Comment: comment, Customer: t.Customer, ClosedAt: in.ClosedAt.UTC(), RatedAt: utc(rated[0]), ChangedAt: now}
		out = t
		return nil
	})
	return out, err
}

// CleanRatingComment is a comment as it is kept: valid UTF-8, no control characters but line
// breaks, trimmed, at most MaxRatingComment characters.
func CleanRatingComment(c string) string {
	c = strings.ToValidUTF8(strings.ReplaceAll(c, "\r\n", "\n"), "")
	c = strings.Map(func(r rune) rune {
		if r == '\n' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, c)
	c = strings.TrimSpace(c)
	if r := []rune(c); len(r) > MaxRatingComment {
		c = strings.TrimSpace(string(r[:MaxRatingComment]))
	}
	return c
}

// CheckRatingFilter refuses a list's rating filter that is not "", one of RatingChoices or
// RatingNone.
func CheckRatingFilter(r string) error {
	if r == "" || r == RatingNone || slices.Contains(RatingChoices, r) {
		return nil
	}
	return paramErr("rating", "rating %q: one of %s or %s", r, strings.Join(RatingChoices, ", "), RatingNone)
}

// ratingCond is the condition of a list's rating filter on tickets t ("" for none).
func ratingCond(r string) (string, []any) {
	switch r {
	case "":
		return "", nil
	case RatingNone:
		return `NOT EXISTS (SELECT 1 FROM ticket_ratings rt WHERE rt.ticket_id = t.id)`, nil
	}
	return `EXISTS (SELECT 1 FROM ticket_ratings rt WHERE rt.ticket_id = t.id AND rt.rating = ?)`, []any{r}
}

// loadRatings fills the tickets' Rating (loadTags calls it: every list of tickets shows both).
func (s *Store) loadRatings(ctx context.Context, q sqlx.QueryerContext, ts []Ticket, idx map[int64]int) error {
	query, args, err := sqlx.In(s.qs.RatingsIn, keys(idx))
	if err != nil {
		return fmt.Errorf("tickets: ratings: %w", err)
	}
	var rows []struct {
		TicketID int64  `db:"ticket_id"`
		Rating   string `db:"rating"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(query), args...); err != nil {
		return fmt.Errorf("tickets: ratings: %w", err)
	}
	for _, r := range rows {
		ts[idx[r.TicketID]].Rating = &r.Rating
	}
	return nil
}

func keys(idx map[int64]int) []int64 {
	out := make([]int64, 0, len(idx))
	for id := range idx {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// RatingSummary counts a property's ratings given since a time (zero: all), of its tickets
// outside the trash.
type RatingSummary struct {
	Since *time.Time `json:"since"`
	Good  int        `json:"good"`
	Okay  int        `json:"okay"`
	Bad   int        `json:"bad"`
	Total int        `json:"total"`
	// GoodShare is Good over Total, 0 to 1 (0 when there is none).
	GoodShare float64 `json:"good_share"`
}

// RatingSummary counts the property's ratings given (first rated) at or after since; the zero
// time counts them all.
func (s *Store) RatingSummary(ctx context.Context, propertyID int64, since time.Time) (RatingSummary, error) {
	var rows []struct {
		Rating string `db:"rating"`
		N      int    `db:"n"`
	}
	if err := s.db.Select(ctx, nil, &rows, s.qs.RatingSummary, propertyID, since.UTC()); err != nil {
		return RatingSummary{}, fmt.Errorf("tickets: rating summary: %w", err)
	}
	var sum RatingSummary
	if !since.IsZero() {
		u := since.UTC()
		sum.Since = &u
	}
	for _, r := range rows {
		switch r.Rating {
		case "good":
			sum.Good = r.N
		case "okay":
			sum.Okay = r.N
		case "bad":
			sum.Bad = r.N
		}
		sum.Total += r.N
	}
	if sum.Total > 0 {
		sum.GoodShare = float64(sum.Good) / float64(sum.Total)
	}
	return sum, nil
}
