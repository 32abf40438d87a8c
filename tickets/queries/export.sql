-- Export and contact history: the IN lists are expanded with sqlx.In.

-- name: export-tickets-in
SELECT t.id, t.property_id, t.number, t.subject, t.status, t.priority,
	COALESCE(c.email, '') AS customer, COALESCE(c.name, '') AS customer_name,
	a.email AS assignee, d.name AS department, t.message_count, f.number AS follows_up,
	t.created_at, t.updated_at, t.closed_at, t.waiting, t.waiting_since, t.first_response_at, t.spam, t.deleted_at
	FROM tickets t
	LEFT JOIN contacts c ON c.id = t.contact_id
	LEFT JOIN agents a ON a.id = t.assignee_agent_id
	LEFT JOIN departments d ON d.id = t.assignee_department_id
	LEFT JOIN tickets f ON f.id = t.follows_up_ticket_id
	WHERE t.property_id = ? AND t.number IN (?)

-- name: export-messages-in
SELECT m.id, m.ticket_id, m.direction, m.kind, m.from_name, m.from_email, m.to_list, m.cc_list, m.subject,
	m.message_id, m.in_reply_to, m.refs, m.date_header, m.trimmed_text, m.text_body, m.threading, m.problems, m.raw_size, m.created_at
	FROM messages m WHERE m.ticket_id IN (?) ORDER BY m.created_at, m.id

-- name: export-attachments-in
SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.content_id, a.inline, a.sha256
	FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id IN (?) ORDER BY a.id

-- name: export-participants-in
SELECT ticket_id, email FROM ticket_participants WHERE ticket_id IN (?) ORDER BY email
