-- The inbox views' counts (counts.go): the buckets of ticket_counts (db/migrations/0012_counts.*),
-- which the triggers on tickets keep.

-- name: view-buckets
-- A property's buckets (overdue is 0), then the tickets whose snooze is over but not yet woken
-- (overdue is 1), which their bucket counts as snoozed and the lists show: one statement, so both
-- parts see the same instant. The second part reads only those tickets, through tickets_snoozed:
-- the unary + keeps SQLite from walking the property's 100000 tickets by (property_id, number).
SELECT 0 AS overdue, status, assignee_agent_id, has_department, spam, deleted, snoozed, CAST(SUM(n) AS BIGINT) AS n
FROM ticket_counts
WHERE property_id = ? AND n > 0
GROUP BY status, assignee_agent_id, has_department, spam, deleted, snoozed
UNION ALL
SELECT 1, t.status, COALESCE(t.assignee_agent_id, 0), t.assignee_department_id IS NOT NULL,
    t.spam, t.deleted_at IS NOT NULL, 0 = 0, COUNT(*)
FROM tickets t
WHERE t.snoozed_until <= ? AND +t.property_id = ?
GROUP BY t.status, COALESCE(t.assignee_agent_id, 0), t.assignee_department_id IS NOT NULL, t.spam, t.deleted_at IS NOT NULL
