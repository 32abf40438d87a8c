-- Merging a ticket into another (merge.go): the pointer it leaves, and what moves.

-- name: ticket-merged-into
-- The number of the ticket a merged ticket of the property points to (none: not merged).
SELECT a.number FROM tickets b JOIN tickets a ON a.id = b.merged_into_ticket_id WHERE b.property_id = ? AND b.number = ?

-- name: merge-ticket
-- One side of a merge, by number, in any state.
SELECT t.id, t.number, t.subject, t.contact_id, t.deleted_at, m.number AS merged_into
	FROM tickets t LEFT JOIN tickets m ON m.id = t.merged_into_ticket_id
	WHERE t.property_id = ? AND t.number = ?

-- name: ticket-number-of
SELECT number FROM tickets WHERE id = ?

-- name: merge-point
-- The merged ticket becomes a pointer, closed, unsnoozed: only while it is neither merged nor in
-- the trash (a concurrent change re-checked by the engine).
UPDATE tickets SET merged_into_ticket_id = ?, status = 'closed', closed_at = COALESCE(closed_at, ?), snoozed_until = NULL, updated_at = ?
	WHERE id = ? AND merged_into_ticket_id IS NULL AND deleted_at IS NULL RETURNING id

-- name: merge-touch-into
-- The ticket merged into: changed now, and no longer following up the ticket it takes in.
UPDATE tickets SET updated_at = ?,
	follows_up_ticket_id = CASE WHEN follows_up_ticket_id = ? THEN NULL ELSE follows_up_ticket_id END
	WHERE id = ? AND merged_into_ticket_id IS NULL AND deleted_at IS NULL RETURNING id

-- name: merge-messages
UPDATE messages SET ticket_id = ? WHERE ticket_id = ?

-- name: merge-thread-ids
-- Every Message-ID of the merged ticket (ghost keys too) now threads to the other.
UPDATE thread_ids SET ticket_id = ? WHERE ticket_id = ?

-- name: merge-events
UPDATE ticket_events SET ticket_id = ? WHERE ticket_id = ?

-- name: merge-outbox
UPDATE outbox SET ticket_id = ? WHERE ticket_id = ?

-- name: merge-tags
INSERT INTO ticket_tags (ticket_id, tag) SELECT ?, tag FROM ticket_tags WHERE ticket_id = ? ON CONFLICT DO NOTHING

-- name: merge-tags-drop
DELETE FROM ticket_tags WHERE ticket_id = ?

-- name: merge-participants
-- The merged ticket's customer joins as a Cc: the ticket merged into keeps its own customer.
INSERT INTO ticket_participants (ticket_id, email, role)
	SELECT ?, email, CASE WHEN role = 'customer' THEN 'cc' ELSE role END FROM ticket_participants WHERE ticket_id = ?
	ON CONFLICT DO NOTHING

-- name: merge-participants-drop
DELETE FROM ticket_participants WHERE ticket_id = ?

-- name: merge-loop-holds
INSERT INTO loop_holds (ticket_id, email, held_at, last_at, held)
	SELECT ?, email, held_at, last_at, held FROM loop_holds WHERE ticket_id = ?
	ON CONFLICT DO NOTHING

-- name: merge-loop-holds-drop
DELETE FROM loop_holds WHERE ticket_id = ?

-- name: merge-reads-drop
-- Read state is of the ticket as it was: the merged ticket's is gone, the other one changed.
DELETE FROM ticket_reads WHERE ticket_id = ?

-- name: merge-follow-ups
UPDATE tickets SET follows_up_ticket_id = ? WHERE follows_up_ticket_id = ? AND id <> ?

-- name: merge-pointers
-- Tickets merged into the merged ticket before point to the other one: a pointer is one hop.
UPDATE tickets SET merged_into_ticket_id = ? WHERE merged_into_ticket_id = ?

-- name: merge-count
UPDATE tickets SET message_count = (SELECT COUNT(*) FROM messages WHERE ticket_id = ?) WHERE id = ?

-- name: merge-purge-pointers
-- A purged ticket takes the pointers of the tickets merged into it along.
DELETE FROM tickets WHERE merged_into_ticket_id = ? AND property_id = ?
