-- Who a ticket is waiting for (tickets/waiting.go): the rule, as one statement.

-- name: ticket-settle-waiting
-- Derives waiting, waiting_since and first_response_at of one ticket from its messages, its status
-- and its last reopening, and writes them when they changed (an unchanged ticket is not updated,
-- so nothing is logged for the live feed). A person's message is a customer's (in, from a contact:
-- the customer, someone in Cc, or a customer's mail an agent forwarded; a robot's kind never, list
-- mail only where the property takes it for a person's) or an agent's reply (out: sent to the
-- customer); notes, refused or held agent mail and robots' mail change nothing. Messages are in
-- the order they were stored (id). The first response is the first agent reply stored on the
-- ticket at or after its creation (a merge brings older replies along), and is sticky: once set it
-- never moves (a merge, a purged message). Cost: one pass (once) over the ticket's index entries
-- of messages_waiting (never the message rows), then a second (w) over the entries from its last
-- reply on, only while it is open. Migration 0021 ran this very statement over every ticket.
WITH tk AS MATERIALIZED (
	SELECT t.id, t.status, t.created_at, p.ignore_list_mail,
		(SELECT MAX(e.created_at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'reopened') AS reopened_at
	FROM tickets t JOIN properties p ON p.id = t.property_id
	WHERE t.id = ?
), once AS MATERIALIZED (
	SELECT tk.id, tk.status, tk.created_at, tk.ignore_list_mail, tk.reopened_at,
		MAX(CASE WHEN m.direction = 'out' AND m.kind = 'human' THEN m.id END) AS last_out,
		MIN(CASE WHEN m.direction = 'out' AND m.kind = 'human' AND m.created_at >= tk.created_at THEN m.created_at END) AS first_out,
		MAX(CASE WHEN m.direction = 'in' AND m.contact_id IS NOT NULL
			AND (m.kind = 'human' OR (m.kind = 'list' AND NOT tk.ignore_list_mail)) THEN m.id END) AS last_in
	FROM tk LEFT JOIN messages m ON m.ticket_id = tk.id
	GROUP BY tk.id, tk.status, tk.created_at, tk.ignore_list_mail, tk.reopened_at
), w AS MATERIALIZED (
	SELECT o.id,
		CASE WHEN o.status <> 'open' THEN NULL
			WHEN COALESCE(o.last_out, 0) > COALESCE(o.last_in, 0) THEN 'customer'
			ELSE 'us' END AS waiting,
		CASE WHEN o.status <> 'open' THEN NULL
			WHEN COALESCE(o.last_out, 0) > COALESCE(o.last_in, 0) THEN MAX(CASE WHEN m.id = o.last_out THEN m.created_at END)
			ELSE COALESCE(MIN(CASE WHEN m.id > COALESCE(o.last_out, 0)
					AND (o.reopened_at IS NULL OR m.created_at >= o.reopened_at)
					AND m.direction = 'in' AND m.contact_id IS NOT NULL
					AND (m.kind = 'human' OR (m.kind = 'list' AND NOT o.ignore_list_mail)) THEN m.created_at END),
				o.reopened_at, o.created_at) END AS since,
		o.first_out
	FROM once o LEFT JOIN messages m ON m.ticket_id = o.id AND m.id >= COALESCE(o.last_out, 0) AND o.status = 'open'
	GROUP BY o.id, o.status, o.created_at, o.ignore_list_mail, o.reopened_at, o.last_out, o.last_in, o.first_out
)
UPDATE tickets SET waiting = w.waiting, waiting_since = w.since, first_response_at = COALESCE(tickets.first_response_at, w.first_out)
	FROM w
	WHERE tickets.id = w.id AND (tickets.waiting IS DISTINCT FROM w.waiting OR tickets.waiting_since IS DISTINCT FROM w.since
		OR (tickets.first_response_at IS NULL AND w.first_out IS NOT NULL))
