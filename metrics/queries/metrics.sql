-- What the collector reads at scrape time (see collector.go): the counts are the database's, so
-- every instance reports the same truth and a restart loses nothing.

-- name: metrics-outbox-by-status
SELECT status, COUNT(*) AS n FROM outbox GROUP BY status

-- name: metrics-mailboxes
SELECT p.slug, m.username, m.host, m.folder, m.last_poll_at, m.last_error, m.created_at
	FROM mailboxes m JOIN properties p ON p.id = m.property_id ORDER BY m.id
