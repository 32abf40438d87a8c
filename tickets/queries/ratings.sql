-- The customers' ratings of their closed tickets (ratings.go): one row per ticket.

-- name: rating-target
-- The ticket a rating link names, within its property; never a merged ticket's pointer or one in
-- the trash.
SELECT t.id, t.number, t.subject, COALESCE(c.email, '') AS customer
	FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id
	WHERE t.property_id = ? AND t.id = ? AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL

-- name: rating-of-ticket
SELECT rating, comment, contact_email, closed_at, rated_at, changed_at FROM ticket_ratings WHERE ticket_id = ?

-- name: rating-upsert
-- A link of an earlier close than the one rated changes nothing (no row returned).
INSERT INTO ticket_ratings (ticket_id, property_id, rating, comment, contact_email, closed_at, rated_at, changed_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (ticket_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment,
		contact_email = excluded.contact_email, closed_at = excluded.closed_at, changed_at = excluded.changed_at
	WHERE ticket_ratings.closed_at <= excluded.closed_at
	RETURNING rated_at

-- name: ratings-in
-- Expanded with sqlx.In.
SELECT ticket_id, rating FROM ticket_ratings WHERE ticket_id IN (?)

-- name: rating-summary
-- The ratings given since a time, of the property's tickets outside the trash.
SELECT r.rating, COUNT(*) AS n FROM ticket_ratings r JOIN tickets t ON t.id = r.ticket_id
	WHERE r.property_id = ? AND r.rated_at >= ? AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL
	GROUP BY r.rating
