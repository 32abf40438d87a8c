-- Agents, their roles on properties, and departments.

-- name: agent-upsert
-- An agent known from another property keeps its name: one property's admin cannot rename
-- another's agent.
INSERT INTO agents (email, name, created_at) VALUES (?, ?, ?)
	ON CONFLICT (email) DO UPDATE SET name = CASE
		WHEN EXISTS (SELECT 1 FROM property_agents x WHERE x.agent_id = agents.id AND x.property_id <> ?) THEN agents.name
		ELSE excluded.name END
	RETURNING id

-- name: agent-set-role
INSERT INTO property_agents (property_id, agent_id, role) VALUES (?, ?, ?)
	ON CONFLICT (property_id, agent_id) DO UPDATE SET role = excluded.role

-- name: agent-by-email
SELECT a.id, a.email, a.name, pa.role, a.created_at FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
	WHERE pa.property_id = ? AND a.email = ?

-- name: agent-by-id
SELECT a.id, a.email, a.name, pa.role, a.created_at, COALESCE(pa.signature, '') AS signature
	FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
	WHERE pa.property_id = ? AND a.id = ?

-- name: agents-of-property
SELECT a.id, a.email, a.name, pa.role, a.created_at FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
	WHERE pa.property_id = ? ORDER BY a.email

-- name: agent-on-property
SELECT agent_id FROM property_agents WHERE property_id = ? AND agent_id = ?

-- name: agent-id-by-email
-- Any agent, on any property.
SELECT id FROM agents WHERE email = ?

-- name: agents-involved
-- The agents who take part in a ticket (replied, or assigned).
SELECT a.id, a.email, a.name, pa.role, a.created_at FROM agents a JOIN property_agents pa ON pa.agent_id = a.id
	WHERE pa.property_id = ? AND (a.email IN (SELECT email FROM ticket_participants WHERE ticket_id = ?) OR a.id = (SELECT assignee_agent_id FROM tickets WHERE id = ?))
	ORDER BY a.email

-- name: audience
-- The first non-empty of: the assignee; the members of the ticket's department; the members of
-- the property's default department; all the property's agents (the caller keeps the first rank).
SELECT a.id, a.email, a.name, pa.role, a.created_at, x.rank FROM (
		SELECT assignee_agent_id AS agent_id, 1 AS rank FROM tickets WHERE id = ? AND assignee_agent_id IS NOT NULL
		UNION ALL SELECT m.agent_id, 2 FROM department_members m JOIN tickets t ON t.assignee_department_id = m.department_id WHERE t.id = ?
		UNION ALL SELECT m.agent_id, 3 FROM department_members m JOIN properties p ON p.default_department_id = m.department_id WHERE p.id = ?
		UNION ALL SELECT agent_id, 4 FROM property_agents WHERE property_id = ?
	) x JOIN agents a ON a.id = x.agent_id JOIN property_agents pa ON pa.agent_id = a.id AND pa.property_id = ?
	ORDER BY x.rank, a.email

-- name: department-upsert
INSERT INTO departments (property_id, name, name_key, created_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (property_id, name_key) DO UPDATE SET name = departments.name RETURNING id

-- name: department-member-add
INSERT INTO department_members (department_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING

-- name: department-by-name
SELECT id, property_id, name FROM departments WHERE property_id = ? AND name_key = ?

-- name: department-members
SELECT a.email FROM department_members m JOIN agents a ON a.id = m.agent_id
	WHERE m.department_id = ? ORDER BY a.email

-- name: departments-of-property
SELECT id, property_id, name FROM departments WHERE property_id = ? ORDER BY name_key

-- name: department-members-of-property
SELECT m.department_id, a.email FROM department_members m
	JOIN departments d ON d.id = m.department_id JOIN agents a ON a.id = m.agent_id
	WHERE d.property_id = ? ORDER BY a.email

-- name: department-id-by-name
SELECT id FROM departments WHERE property_id = ? AND name_key = ?

-- name: admins-of-property
-- The agents with one of two roles (admin, owner) on a property.
SELECT a.id, a.email, a.name, pa.role, a.created_at FROM agents a
	JOIN property_agents pa ON pa.agent_id = a.id WHERE pa.property_id = ? AND pa.role IN (?, ?) ORDER BY a.email

-- name: admins-of-all-properties
-- The agents with one of two roles on any property, each once, with the first such property.
SELECT a.email, a.name, MIN(pa.property_id) AS property_id FROM agents a
	JOIN property_agents pa ON pa.agent_id = a.id WHERE pa.role IN (?, ?) GROUP BY a.email, a.name ORDER BY a.email

-- name: agent-set-signature
-- NULL: the default signature.
UPDATE property_agents SET signature = ? WHERE property_id = ? AND agent_id IN (SELECT id FROM agents WHERE email = ?)
