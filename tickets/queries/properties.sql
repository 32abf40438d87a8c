-- Properties, their ticket numbers, and server settings.

-- name: property-insert
INSERT INTO properties (slug, name, from_address, reopen_window_secs, locale, ignore_list_mail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: property-by-slug
SELECT id, slug, name, from_address, reopen_window_secs, locale, acknowledge, ignore_list_mail, attach_limit, close_mail, created_at FROM properties WHERE slug = ?

-- name: property-by-id
SELECT id, slug, name, from_address, reopen_window_secs, locale, acknowledge, ignore_list_mail, attach_limit, close_mail, created_at FROM properties WHERE id = ?

-- name: properties-by-from-address
SELECT id, slug, name, from_address, reopen_window_secs, locale, acknowledge, ignore_list_mail, attach_limit, close_mail, created_at FROM properties WHERE from_address = ? ORDER BY id

-- name: properties-all
SELECT id, slug, name, from_address, reopen_window_secs, locale, acknowledge, ignore_list_mail, attach_limit, close_mail, created_at FROM properties ORDER BY slug

-- name: property-set-ignore-list-mail
UPDATE properties SET ignore_list_mail = ? WHERE id = ?

-- name: property-set-default-department
UPDATE properties SET default_department_id = ? WHERE id = ?

-- name: ticket-number-next
-- engine: sqlite
-- One writer anyway: the counter is a column of the property, and numbers have no gaps.
UPDATE properties SET next_ticket_number = next_ticket_number + 1 WHERE id = ? RETURNING next_ticket_number - 1

-- name: ticket-number-next
-- engine: postgres
-- A sequence per property, whose nextval never waits (numbers.go says why).
SELECT nextval(?::regclass)

-- name: property-next-number
SELECT next_ticket_number FROM properties WHERE id = ?

-- name: setting-secret-insert
INSERT INTO settings (name, value) VALUES ('server_secret', ?) ON CONFLICT (name) DO NOTHING

-- name: setting-secret
SELECT value FROM settings WHERE name = 'server_secret'

-- name: properties-of-agent
-- The properties an agent works on, by their email, in slug order.
SELECT p.id, p.slug, p.name, p.from_address, p.reopen_window_secs, p.locale, p.acknowledge, p.ignore_list_mail, p.attach_limit, p.close_mail, p.created_at
	FROM properties p JOIN property_agents pa ON pa.property_id = p.id JOIN agents a ON a.id = pa.agent_id
	WHERE a.email = ? ORDER BY p.slug

-- name: property-set-acknowledge
UPDATE properties SET acknowledge = ? WHERE id = ?

-- name: property-set-locale
UPDATE properties SET locale = ? WHERE id = ?

-- name: property-set-attach-limit
UPDATE properties SET attach_limit = ? WHERE id = ?

-- name: property-set-close-mail
UPDATE properties SET close_mail = ? WHERE id = ?
