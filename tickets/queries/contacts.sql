-- Contacts: the customers of a property.

-- name: contact-summaries
-- The contact list; Contacts adds the search, the cursor, the order and the limit. Last seen goes
-- through the customer's own tickets (indexed by contact), not every message of the property.
SELECT c.id, c.email, c.name, c.bouncing, c.blocked, c.spam,
	(SELECT COUNT(*) FROM tickets t WHERE t.contact_id = c.id AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL) AS tickets,
	(SELECT MAX(m.created_at) FROM tickets t JOIN messages m ON m.ticket_id = t.id
		WHERE t.contact_id = c.id AND m.contact_id = c.id) AS last_seen
	FROM contacts c WHERE c.property_id = ?

-- name: contact-summary-by-email
SELECT c.id, c.email, c.name, c.bouncing, c.blocked, c.spam,
	(SELECT COUNT(*) FROM tickets t WHERE t.contact_id = c.id AND t.deleted_at IS NULL AND t.merged_into_ticket_id IS NULL) AS tickets,
	(SELECT MAX(m.created_at) FROM tickets t JOIN messages m ON m.ticket_id = t.id
		WHERE t.contact_id = c.id AND m.contact_id = c.id) AS last_seen
	FROM contacts c WHERE c.property_id = ? AND c.email = ?

-- name: contact-upsert
-- A contact's name is learnt from the first mail that has one.
INSERT INTO contacts (property_id, email, name, created_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (property_id, email) DO UPDATE SET name = CASE WHEN contacts.name = '' THEN excluded.name ELSE contacts.name END
	RETURNING id, blocked, spam

-- name: contact-unblock
UPDATE contacts SET blocked = ? WHERE property_id = ? AND email = ? RETURNING id

-- name: contact-mark-bouncing
UPDATE contacts SET bouncing = ? WHERE property_id = ? AND email = ?

-- name: contact-of-ticket
SELECT c.id, c.email, c.name, c.bouncing, c.blocked FROM contacts c JOIN tickets t ON t.contact_id = c.id WHERE t.id = ?

-- name: ticket-cc
-- Everyone else on the ticket who is not an agent: they receive agents' replies.
SELECT p.email FROM ticket_participants p WHERE p.ticket_id = ? AND p.role = 'cc'
	AND p.email NOT IN (SELECT a.email FROM agents a JOIN property_agents pa ON pa.agent_id = a.id WHERE pa.property_id = ?) ORDER BY p.email
