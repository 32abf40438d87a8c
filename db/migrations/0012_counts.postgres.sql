-- postdesk schema, version 12 (PostgreSQL; 0012_counts.sqlite.sql is its SQLite twin): how many
-- tickets each inbox view holds, without reading the tickets (tickets.CountViews).

-- One row per combination of the columns the inbox views look at ("bucket") in use on a property,
-- and slot: n tickets have it. The triggers below keep it in the changing transaction, on every
-- path that changes a ticket. assignee_agent_id is 0 for none; deleted is deleted_at IS NOT NULL,
-- snoozed snoozed_until IS NOT NULL. A row whose n falls to 0 stays, to be reused. No foreign key:
-- the rows of a deleted property's tickets fall to 0 through the trigger whichever order the
-- cascade deletes in.
--
-- slot is the ticket's id mod 16. A new ticket lands in the same bucket as every other new ticket
-- of its property, and that row stays locked until the delivery commits: one row would queue
-- concurrent deliveries behind each other, which is what the ticket numbers' sequences avoid
-- (tickets/numbers.go). Spread over 16 rows, they rarely meet. A ticket keeps its slot for life,
-- so no row's n ever goes below 0.
CREATE TABLE ticket_counts (
    property_id       BIGINT NOT NULL,
    status            TEXT NOT NULL,
    assignee_agent_id BIGINT NOT NULL,
    has_department    BOOLEAN NOT NULL,
    spam              BOOLEAN NOT NULL,
    deleted           BOOLEAN NOT NULL,
    snoozed           BOOLEAN NOT NULL,
    slot              SMALLINT NOT NULL,
    n                 BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot)
);

INSERT INTO ticket_counts (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot, n)
SELECT property_id, status, COALESCE(assignee_agent_id, 0), assignee_department_id IS NOT NULL,
    spam, deleted_at IS NOT NULL, snoozed_until IS NOT NULL, id % 16, COUNT(*)
FROM tickets
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
-- Statistics now, not at autovacuum's leisure: without them the planner expects a handful of rows
-- per property and sorts the buckets to group them (2 ms on 1455 rows) rather than hashing them.
ANALYZE ticket_counts;

-- ticket_counts_add adds d (+1 or -1) to a bucket's row.
CREATE FUNCTION ticket_counts_add(p BIGINT, st TEXT, a BIGINT, dep BOOLEAN, sp BOOLEAN, del BOOLEAN, sn BOOLEAN, sl SMALLINT, d BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF d > 0 THEN
        INSERT INTO ticket_counts (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot, n)
        VALUES (p, st, a, dep, sp, del, sn, sl, d)
        ON CONFLICT (property_id, status, assignee_agent_id, has_department, spam, deleted, snoozed, slot)
        DO UPDATE SET n = ticket_counts.n + EXCLUDED.n;
    ELSE
        UPDATE ticket_counts SET n = n + d
        WHERE property_id = p AND status = st AND assignee_agent_id = a AND has_department = dep
            AND spam = sp AND deleted = del AND snoozed = sn AND slot = sl;
    END IF;
END;
$$;

CREATE FUNCTION ticket_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_first BOOLEAN;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ticket_counts_add(NEW.property_id, NEW.status, COALESCE(NEW.assignee_agent_id, 0), NEW.assignee_department_id IS NOT NULL,
            NEW.spam, NEW.deleted_at IS NOT NULL, NEW.snoozed_until IS NOT NULL, (NEW.id % 16)::SMALLINT, 1);
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM ticket_counts_add(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL, (OLD.id % 16)::SMALLINT, -1);
        RETURN NULL;
    END IF;
    -- An update moves the ticket between two rows: lock them in one order, whichever way the
    -- ticket moves, so that two tickets moving opposite ways do not deadlock.
    old_first := ROW(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL)
        < ROW(NEW.property_id, NEW.status, COALESCE(NEW.assignee_agent_id, 0), NEW.assignee_department_id IS NOT NULL,
            NEW.spam, NEW.deleted_at IS NOT NULL, NEW.snoozed_until IS NOT NULL);
    IF old_first THEN
        PERFORM ticket_counts_add(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL, (OLD.id % 16)::SMALLINT, -1);
    END IF;
    PERFORM ticket_counts_add(NEW.property_id, NEW.status, COALESCE(NEW.assignee_agent_id, 0), NEW.assignee_department_id IS NOT NULL,
        NEW.spam, NEW.deleted_at IS NOT NULL, NEW.snoozed_until IS NOT NULL, (NEW.id % 16)::SMALLINT, 1);
    IF NOT old_first THEN
        PERFORM ticket_counts_add(OLD.property_id, OLD.status, COALESCE(OLD.assignee_agent_id, 0), OLD.assignee_department_id IS NOT NULL,
            OLD.spam, OLD.deleted_at IS NOT NULL, OLD.snoozed_until IS NOT NULL, (OLD.id % 16)::SMALLINT, -1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_counts_insert_delete AFTER INSERT OR DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_counts_track();

-- Only when a bucket column changed: a new message (message_count, updated_at) costs nothing.
CREATE TRIGGER ticket_counts_update AFTER UPDATE ON tickets FOR EACH ROW
    WHEN (OLD.property_id IS DISTINCT FROM NEW.property_id OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.assignee_agent_id IS DISTINCT FROM NEW.assignee_agent_id
        OR (OLD.assignee_department_id IS NULL) <> (NEW.assignee_department_id IS NULL)
        OR OLD.spam IS DISTINCT FROM NEW.spam
        OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
        OR (OLD.snoozed_until IS NULL) <> (NEW.snoozed_until IS NULL))
    EXECUTE FUNCTION ticket_counts_track();
