-- Tickets: reading one, changing its state, its tags, participants and read state.

-- name: ticket-list-base
-- The list view; List adds the status filter, the order and the limit.
SELECT t.id, t.property_id, t.number, t.subject, t.status, t.priority,
	COALESCE(c.email, '') AS customer, COALESCE(c.name, '') AS customer_name,
	a.email AS assignee, d.name AS department, t.message_count, f.number AS follows_up,
	t.created_at, t.updated_at, t.closed_at, t.waiting, t.waiting_since, t.first_response_at
	FROM tickets t
	LEFT JOIN contacts c ON c.id = t.contact_id
	LEFT JOIN agents a ON a.id = t.assignee_agent_id
	LEFT JOIN departments d ON d.id = t.assignee_department_id
	LEFT JOIN tickets f ON f.id = t.follows_up_ticket_id
	WHERE t.property_id = ? AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL

-- name: ticket-by-number
SELECT t.id, t.property_id, t.number, t.subject, t.status, t.priority,
	COALESCE(c.email, '') AS customer, COALESCE(c.name, '') AS customer_name,
	a.email AS assignee, d.name AS department, t.message_count, f.number AS follows_up,
	t.created_at, t.updated_at, t.closed_at, t.waiting, t.waiting_since, t.first_response_at
	FROM tickets t
	LEFT JOIN contacts c ON c.id = t.contact_id
	LEFT JOIN agents a ON a.id = t.assignee_agent_id
	LEFT JOIN departments d ON d.id = t.assignee_department_id
	LEFT JOIN tickets f ON f.id = t.follows_up_ticket_id
	WHERE t.property_id = ? AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL AND t.number = ?

-- name: ticket-by-id-any-state
-- A ticket moved to the trash after its mail was queued still gets that mail sent.
SELECT t.id, t.property_id, t.number, t.subject, t.status, t.priority,
	COALESCE(c.email, '') AS customer, COALESCE(c.name, '') AS customer_name,
	a.email AS assignee, d.name AS department, t.message_count, f.number AS follows_up,
	t.created_at, t.updated_at, t.closed_at, t.waiting, t.waiting_since, t.first_response_at
	FROM tickets t
	LEFT JOIN contacts c ON c.id = t.contact_id
	LEFT JOIN agents a ON a.id = t.assignee_agent_id
	LEFT JOIN departments d ON d.id = t.assignee_department_id
	LEFT JOIN tickets f ON f.id = t.follows_up_ticket_id
	WHERE t.property_id = ? AND t.id = ?

-- name: ticket-with-state-by-number
-- In the trash or not, with the trash and spam state; never a merged ticket's pointer (merge.go).
SELECT t.id, t.property_id, t.number, t.subject, t.status, t.priority,
	COALESCE(c.email, '') AS customer, COALESCE(c.name, '') AS customer_name,
	a.email AS assignee, d.name AS department, t.message_count, f.number AS follows_up,
	t.created_at, t.updated_at, t.closed_at, t.waiting, t.waiting_since, t.first_response_at, t.spam, t.deleted_at, t.snoozed_until
	FROM tickets t
	LEFT JOIN contacts c ON c.id = t.contact_id
	LEFT JOIN agents a ON a.id = t.assignee_agent_id
	LEFT JOIN departments d ON d.id = t.assignee_department_id
	LEFT JOIN tickets f ON f.id = t.follows_up_ticket_id
	WHERE t.property_id = ? AND t.number = ? AND t.merged_into_ticket_id IS NULL

-- name: tickets-of-contact
-- A contact's history: their tickets outside the trash, and those they were copied on, newest first.
SELECT t.id, t.property_id, t.number, t.subject, t.status, t.priority,
	COALESCE(c.email, '') AS customer, COALESCE(c.name, '') AS customer_name,
	a.email AS assignee, d.name AS department, t.message_count, f.number AS follows_up,
	t.created_at, t.updated_at, t.closed_at, t.waiting, t.waiting_since, t.first_response_at, t.spam, t.deleted_at
	FROM tickets t
	LEFT JOIN contacts c ON c.id = t.contact_id
	LEFT JOIN agents a ON a.id = t.assignee_agent_id
	LEFT JOIN departments d ON d.id = t.assignee_department_id
	LEFT JOIN tickets f ON f.id = t.follows_up_ticket_id
	WHERE t.property_id = ? AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL
		AND (t.contact_id = ? OR t.id IN (SELECT tp.ticket_id FROM ticket_participants tp WHERE tp.email = ? AND tp.role = 'cc'))
	ORDER BY t.created_at DESC, t.id DESC

-- name: ticket-id-by-number
SELECT id FROM tickets WHERE property_id = ? AND number = ? AND deleted_at IS NULL AND merged_into_ticket_id IS NULL

-- name: ticket-key-by-number
SELECT id, number, contact_id, spam, deleted_at, updated_at FROM tickets WHERE property_id = ? AND number = ? AND merged_into_ticket_id IS NULL

-- name: ticket-subject
SELECT subject FROM tickets WHERE id = ?

-- name: ticket-insert
INSERT INTO tickets (property_id, number, subject, status, contact_id, follows_up_ticket_id, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: ticket-set-created
-- A ticket an agent opens: its priority, assignee and first message.
UPDATE tickets SET priority = ?, assignee_agent_id = ?, assignee_department_id = ?, message_count = 1 WHERE id = ?

-- name: ticket-set-forwarded
UPDATE tickets SET message_count = 1, spam = ? WHERE id = ?

-- name: ticket-set-spam
UPDATE tickets SET spam = ? WHERE id = ?

-- name: ticket-count-message
UPDATE tickets SET message_count = message_count + 1, updated_at = ? WHERE id = ?

-- name: ticket-count-robot-message
-- Robots do not move a ticket up the inbox; people do.
UPDATE tickets SET message_count = message_count + 1 WHERE id = ?

-- name: ticket-count-human-message
-- A customer's answer also ends a snooze: the ticket is back in the open views.
UPDATE tickets SET message_count = message_count + 1, updated_at = ?, snoozed_until = NULL WHERE id = ?

-- name: ticket-set-message-count
UPDATE tickets SET message_count = ? WHERE id = ?

-- name: ticket-touch
UPDATE tickets SET updated_at = ? WHERE id = ?

-- name: ticket-reopen-by-mail
UPDATE tickets SET status = ?, closed_at = NULL, snoozed_until = NULL, updated_at = ? WHERE id = ?

-- name: ticket-set-status
-- No change (and no event) when the ticket is in that status already, or in the trash.
UPDATE tickets SET status = ?, closed_at = ?, snoozed_until = NULL, updated_at = ?
	WHERE id = ? AND deleted_at IS NULL AND status <> ? RETURNING id, spam

-- name: ticket-set-priority
UPDATE tickets SET priority = ?, updated_at = ? WHERE id = ? AND priority <> ? RETURNING id

-- name: ticket-snooze
UPDATE tickets SET snoozed_until = ?, updated_at = ? WHERE id = ?

-- name: ticket-unsnooze
UPDATE tickets SET snoozed_until = NULL, updated_at = ? WHERE id = ? AND snoozed_until IS NOT NULL RETURNING id

-- name: tickets-due-closed
-- The closed tickets tickets-wake-snoozed is about to wake: waking them is reopening them.
SELECT id FROM tickets WHERE snoozed_until IS NOT NULL AND snoozed_until <= ? AND deleted_at IS NULL AND status = ?

-- name: tickets-wake-snoozed
-- The UPDATE claims the rows it changes: one instance wakes each ticket.
UPDATE tickets SET snoozed_until = NULL, status = ?, closed_at = NULL, updated_at = ?
	WHERE snoozed_until IS NOT NULL AND snoozed_until <= ? AND deleted_at IS NULL RETURNING property_id, id, number

-- name: ticket-assign
UPDATE tickets SET assignee_agent_id = ?, assignee_department_id = ?, updated_at = ? WHERE id = ?

-- name: ticket-unassign
UPDATE tickets SET assignee_agent_id = NULL, assignee_department_id = NULL, updated_at = ?
	WHERE id = ? AND (assignee_agent_id IS NOT NULL OR assignee_department_id IS NOT NULL) RETURNING id

-- name: ticket-trash
UPDATE tickets SET deleted_at = ? WHERE id = ?

-- name: ticket-restore
UPDATE tickets SET deleted_at = NULL WHERE id = ?

-- name: ticket-tag-count
SELECT COUNT(*) FROM ticket_tags WHERE ticket_id = ? AND tag = ?

-- name: ticket-tag-add
INSERT INTO ticket_tags (ticket_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING

-- name: ticket-tag-remove
DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ? RETURNING tag

-- name: ticket-tags-in
-- Expanded with sqlx.In for the tickets of a page.
SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id IN (?) ORDER BY tag

-- name: participant-add
INSERT INTO ticket_participants (ticket_id, email, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING

-- name: participants-of-ticket
SELECT email FROM ticket_participants WHERE ticket_id = ? ORDER BY email

-- name: ticket-read-mark
INSERT INTO ticket_reads (ticket_id, agent_id, read_at) VALUES (?, ?, ?)
	ON CONFLICT (ticket_id, agent_id) DO UPDATE SET read_at = excluded.read_at

-- name: ticket-read-forget
DELETE FROM ticket_reads WHERE ticket_id = ? AND agent_id = ?

-- name: ticket-spam-sender
UPDATE contacts SET spam = ? WHERE id = ? AND property_id = ? AND spam <> ? RETURNING email

-- name: ticket-customer-email
SELECT c.email FROM contacts c JOIN tickets t ON t.contact_id = c.id WHERE t.id = ?

-- name: ticket-block-state
SELECT number, (SELECT COUNT(*) FROM messages WHERE ticket_id = tickets.id) AS left_count
	FROM tickets WHERE id = ? AND property_id = ?

-- name: property-tags
-- The tags in use on a property's tickets, for completion.
SELECT DISTINCT g.tag FROM ticket_tags g JOIN tickets t ON t.id = g.ticket_id WHERE t.property_id = ? ORDER BY g.tag LIMIT 1000

-- name: ticket-read-by
-- 1 when the agent has read the ticket as it is now.
SELECT CASE WHEN r.read_at >= t.updated_at THEN 1 ELSE 0 END FROM tickets t
	JOIN ticket_reads r ON r.ticket_id = t.id AND r.agent_id = ?
	WHERE t.property_id = ? AND t.number = ?
