-- IMAP mailboxes polled for a property, and the lease that lets one instance poll each.

-- name: mailbox-insert
INSERT INTO mailboxes (property_id, host, port, tls_mode, username, secret, folder, after_action, since_at, created_at, oauth_grant_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: mailbox-by-id
SELECT m.id, m.property_id, p.slug AS property, m.host, m.port, m.tls_mode, m.username, m.secret,
	m.folder, m.after_action, m.since_at, m.uidvalidity, m.last_uid, m.scan_until, m.imported, m.backlog,
	m.last_poll_at, m.last_error, m.lease_owner, m.lease_until, m.created_at,
	m.oauth_grant_id, COALESCE(g.provider, '') AS oauth_provider, COALESCE(g.username, '') AS oauth_user, g.signin_needed_at
	FROM mailboxes m JOIN properties p ON p.id = m.property_id LEFT JOIN oauth_grants g ON g.id = m.oauth_grant_id WHERE m.id = ?

-- name: mailboxes-all
SELECT m.id, m.property_id, p.slug AS property, m.host, m.port, m.tls_mode, m.username, m.secret,
	m.folder, m.after_action, m.since_at, m.uidvalidity, m.last_uid, m.scan_until, m.imported, m.backlog,
	m.last_poll_at, m.last_error, m.lease_owner, m.lease_until, m.created_at,
	m.oauth_grant_id, COALESCE(g.provider, '') AS oauth_provider, COALESCE(g.username, '') AS oauth_user, g.signin_needed_at
	FROM mailboxes m JOIN properties p ON p.id = m.property_id LEFT JOIN oauth_grants g ON g.id = m.oauth_grant_id ORDER BY m.id

-- name: mailboxes-of-property
SELECT m.id, m.property_id, p.slug AS property, m.host, m.port, m.tls_mode, m.username, m.secret,
	m.folder, m.after_action, m.since_at, m.uidvalidity, m.last_uid, m.scan_until, m.imported, m.backlog,
	m.last_poll_at, m.last_error, m.lease_owner, m.lease_until, m.created_at,
	m.oauth_grant_id, COALESCE(g.provider, '') AS oauth_provider, COALESCE(g.username, '') AS oauth_user, g.signin_needed_at
	FROM mailboxes m JOIN properties p ON p.id = m.property_id LEFT JOIN oauth_grants g ON g.id = m.oauth_grant_id WHERE m.property_id = ? ORDER BY m.id

-- name: mailbox-claim
-- A lease is free when nobody holds it or its holder let it expire: one conditional UPDATE decides.
UPDATE mailboxes SET lease_owner = ?, lease_until = ?
	WHERE id = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?) RETURNING id

-- name: mailbox-release
UPDATE mailboxes SET lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ? RETURNING id

-- name: mailbox-restart
UPDATE mailboxes SET uidvalidity = ?, last_uid = ?, scan_until = ?, since_at = ?, backlog = NULL
	WHERE id = ? AND lease_owner = ? RETURNING id

-- name: mailbox-advance
-- The checkpoint moves forward only.
UPDATE mailboxes SET last_uid = CASE WHEN last_uid < ? THEN ? ELSE last_uid END,
	imported = imported + ?, backlog = ? WHERE id = ? AND lease_owner = ? AND uidvalidity = ? RETURNING id

-- name: mailbox-polled
UPDATE mailboxes SET last_poll_at = ?, last_error = ?, backlog = ? WHERE id = ? AND lease_owner = ? RETURNING id

-- name: mailbox-polled-backlog-unknown
UPDATE mailboxes SET last_poll_at = ?, last_error = ? WHERE id = ? AND lease_owner = ? RETURNING id

-- name: mailboxes-of-grant
SELECT m.id, m.property_id, p.slug AS property, m.host, m.port, m.tls_mode, m.username, m.secret,
	m.folder, m.after_action, m.since_at, m.uidvalidity, m.last_uid, m.scan_until, m.imported, m.backlog,
	m.last_poll_at, m.last_error, m.lease_owner, m.lease_until, m.created_at,
	m.oauth_grant_id, COALESCE(g.provider, '') AS oauth_provider, COALESCE(g.username, '') AS oauth_user, g.signin_needed_at
	FROM mailboxes m JOIN properties p ON p.id = m.property_id LEFT JOIN oauth_grants g ON g.id = m.oauth_grant_id WHERE m.oauth_grant_id = ? ORDER BY m.id

-- name: mailbox-pause
-- A paused mailbox holds a lease nobody can take: no scan claims it, and the instance polling it
-- fails its next renewal and stops (see Pause).
UPDATE mailboxes SET lease_owner = ?, lease_until = ? WHERE id = ? AND property_id = ? RETURNING id

-- name: mailbox-resume
UPDATE mailboxes SET lease_owner = '', lease_until = NULL WHERE id = ? AND property_id = ? AND lease_owner = ? RETURNING id

-- name: mailbox-delete
DELETE FROM mailboxes WHERE id = ? AND property_id = ? RETURNING id
