-- postdesk schema, version 21: who a ticket is waiting for (tickets/waiting.go).

-- waiting: 'us' when the last person's message is the customer's (or nobody has written yet),
-- 'customer' when it is an agent's reply to them; NULL while the ticket is closed. waiting_since:
-- when that side started waiting: the customer's first unanswered message (since the last reopen),
-- or the agent's last reply. first_response_at: the first agent reply sent to the customer (not a
-- note, not an automatic mail). All three are derived from the ticket's messages by one statement,
-- tickets/queries/waiting.sql, which every change that stores a message or changes the status runs;
-- the backfill below is that statement over every ticket.
ALTER TABLE tickets ADD COLUMN waiting TEXT CHECK (waiting IN ('us', 'customer'));
ALTER TABLE tickets ADD COLUMN waiting_since {{ts}};
ALTER TABLE tickets ADD COLUMN first_response_at {{ts}};

-- The list's "waiting" sort and filter (tickets.Search, tickets.List): waiting for us first, the
-- longest waiting first; these expressions are tickets.waitingRank and tickets.waitingKey.
CREATE INDEX tickets_list_waiting ON tickets (property_id, (CASE waiting WHEN 'us' THEN 0 WHEN 'customer' THEN 1 ELSE 2 END), (COALESCE(waiting_since, updated_at)), id) WHERE deleted_at IS NULL;

-- The backfill: ticket-settle-waiting without its WHERE t.id = ? (each ticket updated once, so
-- once in the live change log of 0011 too; the counts of 0012 do not look at these columns).
WITH tk AS (
	SELECT t.id, t.status, t.created_at, p.ignore_list_mail,
		(SELECT MAX(e.created_at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'reopened') AS reopened_at,
		(SELECT MAX(m.id) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out' AND m.kind = 'human') AS last_out,
		(SELECT MIN(m.created_at) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out' AND m.kind = 'human') AS first_out,
		(SELECT MAX(m.id) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in' AND m.contact_id IS NOT NULL
			AND (m.kind = 'human' OR (m.kind = 'list' AND NOT p.ignore_list_mail))) AS last_in
	FROM tickets t JOIN properties p ON p.id = t.property_id
), w AS (
	SELECT tk.id,
		CASE WHEN tk.status <> 'open' THEN NULL
			WHEN COALESCE(tk.last_out, 0) > COALESCE(tk.last_in, 0) THEN 'customer'
			ELSE 'us' END AS waiting,
		CASE WHEN tk.status <> 'open' THEN NULL
			WHEN COALESCE(tk.last_out, 0) > COALESCE(tk.last_in, 0) THEN (SELECT m.created_at FROM messages m WHERE m.id = tk.last_out)
			ELSE COALESCE((SELECT MIN(m.created_at) FROM messages m WHERE m.ticket_id = tk.id AND m.id > COALESCE(tk.last_out, 0)
					AND (tk.reopened_at IS NULL OR m.created_at >= tk.reopened_at)
					AND m.direction = 'in' AND m.contact_id IS NOT NULL
					AND (m.kind = 'human' OR (m.kind = 'list' AND NOT tk.ignore_list_mail))),
				tk.reopened_at, tk.created_at) END AS since,
		tk.first_out
	FROM tk
)
UPDATE tickets SET waiting = w.waiting, waiting_since = w.since, first_response_at = w.first_out
	FROM w
	WHERE tickets.id = w.id AND (tickets.waiting IS DISTINCT FROM w.waiting
		OR tickets.waiting_since IS DISTINCT FROM w.since OR tickets.first_response_at IS DISTINCT FROM w.first_out);
