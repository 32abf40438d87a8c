-- Who a ticket is waiting for (tickets/waiting.go): the rule, as one statement.

-- name: ticket-settle-waiting
-- Derives waiting, waiting_since and first_response_at of one ticket from its messages, its status
-- and its last reopening, and writes them when they changed (an unchanged ticket is not updated,
-- so nothing is logged for the live feed). A person's message is a customer's (in, from a contact:
-- the customer, someone in Cc, or a customer's mail an agent forwarded; a robot's kind never, list
-- mail only where the property takes it for a person's) or an agent's reply (out: sent to the
-- customer); notes, refused or held agent mail and robots' mail change nothing. Messages are in
-- the order they were stored (id). Migration 0021 ran this very statement over every ticket.
WITH tk AS (
	SELECT t.id, t.status, t.created_at, p.ignore_list_mail,
		(SELECT MAX(e.created_at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'reopened') AS reopened_at,
		(SELECT MAX(m.id) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out' AND m.kind = 'human') AS last_out,
		(SELECT MIN(m.created_at) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out' AND m.kind = 'human') AS first_out,
		(SELECT MAX(m.id) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in' AND m.contact_id IS NOT NULL
			AND (m.kind = 'human' OR (m.kind = 'list' AND NOT p.ignore_list_mail))) AS last_in
	FROM tickets t JOIN properties p ON p.id = t.property_id
	WHERE t.id = ?
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
		OR tickets.waiting_since IS DISTINCT FROM w.since OR tickets.first_response_at IS DISTINCT FROM w.first_out)
