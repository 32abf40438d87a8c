-- The tickets' event log.

-- name: event-add
INSERT INTO ticket_events (ticket_id, kind, actor, detail, created_at) VALUES (?, ?, ?, ?, ?)

-- name: events-of-ticket
SELECT kind, actor, detail, created_at FROM ticket_events WHERE ticket_id = ? ORDER BY id

-- name: events-in
-- Expanded with sqlx.In.
SELECT ticket_id, kind, actor, detail, created_at FROM ticket_events WHERE ticket_id IN (?) ORDER BY id
