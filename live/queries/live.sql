-- The change log (ticket_changes, filled by the triggers of migration 0011 and by the presence
-- statements below) and presence. See feed.go for how the log is read.

-- name: live-log-end
-- Where a new feed starts: the end of the log as committed now.
SELECT COALESCE(MAX(id), 0) FROM ticket_changes

-- name: live-log-after
-- One page of the log above the cursor, in id order.
SELECT id, property_id, number, kind FROM ticket_changes WHERE id > ? ORDER BY id LIMIT ?

-- name: live-log-prune
-- Rows the feed has passed (id at most its cursor) and older than the retention.
DELETE FROM ticket_changes WHERE id <= ? AND at < ?

-- name: live-log-add
-- The database's clock, as the triggers use: the pruning compares one kind of time.
INSERT INTO ticket_changes (property_id, number, kind, at) VALUES (?, ?, ?, CURRENT_TIMESTAMP)

-- name: live-ticket-id
-- A ticket of the property in any state (the trash too: an agent may be looking at it).
SELECT id FROM tickets WHERE property_id = ? AND number = ?

-- name: live-presence-get
SELECT typing, expires_at FROM presence WHERE ticket_id = ? AND agent_id = ?

-- name: live-presence-upsert
INSERT INTO presence (ticket_id, agent_id, typing, expires_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (ticket_id, agent_id) DO UPDATE SET typing = excluded.typing, expires_at = excluded.expires_at

-- name: live-presence-delete
-- Leaving: the row's expiry says whether the agent was still there.
DELETE FROM presence WHERE ticket_id = ? AND agent_id = ? RETURNING expires_at

-- name: live-presence-of
-- Who is on a ticket now, by email.
SELECT p.agent_id, a.email, a.name, p.typing FROM presence p
	JOIN tickets t ON t.id = p.ticket_id
	JOIN agents a ON a.id = p.agent_id
	WHERE t.property_id = ? AND t.number = ? AND p.expires_at > ?
	ORDER BY a.email, p.agent_id

-- name: live-presence-expired-any
-- Whether a sweep has anything to do (a read: SQLite's sweep would otherwise take the write lock
-- at every poll).
SELECT COUNT(*) FROM presence WHERE expires_at <= ?

-- name: live-presence-expire
-- The heartbeats that ran out, deleted once whichever instance gets there first; their tickets are
-- logged as presence changes.
DELETE FROM presence WHERE expires_at <= ? RETURNING ticket_id

-- name: live-ticket-key
SELECT property_id, number FROM tickets WHERE id = ?
