-- The admin lifecycle: editing and removing properties, removing agents, departments and their
-- members.

-- name: property-set-name
UPDATE properties SET name = ? WHERE id = ?

-- name: property-set-from-address
UPDATE properties SET from_address = ? WHERE id = ?

-- name: property-set-reopen-window
UPDATE properties SET reopen_window_secs = ? WHERE id = ?

-- name: property-contents
-- What removing a property removes, counted (the outbox: mail not yet sent).
SELECT (SELECT COUNT(*) FROM tickets WHERE property_id = ?) AS tickets,
	(SELECT COUNT(*) FROM messages WHERE property_id = ?) AS messages,
	(SELECT COUNT(*) FROM contacts WHERE property_id = ?) AS contacts,
	(SELECT COUNT(*) FROM property_agents WHERE property_id = ?) AS agents,
	(SELECT COUNT(*) FROM departments WHERE property_id = ?) AS departments,
	(SELECT COUNT(*) FROM mailboxes WHERE property_id = ?) AS mailboxes,
	(SELECT COUNT(*) FROM outbox WHERE property_id = ? AND status IN ('queued', 'sending')) AS unsent_mail,
	(SELECT COUNT(*) FROM system_mail WHERE property_id = ?) AS system_mail

-- name: property-delete
-- Everything of the property goes with it: every table that refers to properties or tickets does
-- so ON DELETE CASCADE (tickets' links to its contacts and departments go in the same statement).
DELETE FROM properties WHERE id = ? RETURNING id

-- name: property-delete-counts
-- The counters have no foreign key: the triggers left their rows at zero.
DELETE FROM ticket_counts WHERE property_id = ?

-- name: property-delete-changes
-- The live feed's log of the property's tickets (no foreign key either).
DELETE FROM ticket_changes WHERE property_id = ?

-- name: property-owners
-- engine: postgres
-- The owners, locked until the change that may demote or remove one commits: two owners demoting
-- each other at once are taken one after the other, and the second sees one owner left.
SELECT agent_id FROM property_agents WHERE property_id = ? AND role = 'owner' ORDER BY agent_id FOR UPDATE

-- name: property-owners
-- engine: sqlite
-- SQLite has one writer: the change is the only one while it runs.
SELECT agent_id FROM property_agents WHERE property_id = ? AND role = 'owner' ORDER BY agent_id

-- name: agent-tickets-unassign
-- A removed agent's tickets: unassigned, so the notifications go to the default department or to
-- every agent (the counts' triggers move them between buckets).
UPDATE tickets SET assignee_agent_id = NULL, updated_at = ? WHERE property_id = ? AND assignee_agent_id = ? RETURNING id

-- name: agent-departments-leave
DELETE FROM department_members WHERE agent_id = ? AND department_id IN (SELECT id FROM departments WHERE property_id = ?)

-- name: agent-leave-property
DELETE FROM property_agents WHERE property_id = ? AND agent_id = ? RETURNING agent_id

-- name: department-rename
UPDATE departments SET name = ?, name_key = ? WHERE id = ?

-- name: department-tickets-unassign
UPDATE tickets SET assignee_department_id = NULL, updated_at = ? WHERE property_id = ? AND assignee_department_id = ? RETURNING id

-- name: department-clear-default
UPDATE properties SET default_department_id = NULL WHERE id = ? AND default_department_id = ?

-- name: department-delete
DELETE FROM departments WHERE id = ? AND property_id = ?

-- name: department-member-remove
DELETE FROM department_members WHERE department_id = ? AND agent_id = ? RETURNING agent_id

-- name: department-default
SELECT COALESCE(default_department_id, 0) FROM properties WHERE id = ?

-- name: contact-upsert-copied
-- Someone copied on a customer's mail becomes a contact of the property, unless they are one of its
-- agents; the name is learnt from the first mail that has one.
INSERT INTO contacts (property_id, email, name, created_at)
	SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
		WHERE pa.property_id = ? AND a.email = ?)
	ON CONFLICT (property_id, email) DO UPDATE SET name = CASE WHEN contacts.name = '' THEN excluded.name ELSE contacts.name END
