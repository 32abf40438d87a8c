-- postdesk schema, version 5 (SQLite; 0005_search.postgres.sql is its PostgreSQL twin): full-text
-- search over tickets and the indexes of the inbox lists (tickets.Search).

-- One FTS5 index over every message and every ticket's subject. Contentless: the text lives in
-- messages and tickets only. The rowid names the ticket, so a match needs no lookup: a message's
-- row is ticket_id << 32 | messages.id (unique while message ids stay below 2^32), a ticket's
-- subject row is ticket_id << 32. Bodies are indexed up to 100000 characters, as on PostgreSQL.
-- The triggers keep the index true.
CREATE VIRTUAL TABLE search_fts USING fts5(subject, text_body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 0');

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search_fts (rowid, subject, text_body) VALUES ((new.ticket_id << 32) | new.id, new.subject, substr(new.text_body, 1, 100000));
END;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search_fts WHERE rowid = (old.ticket_id << 32) | old.id;
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF subject, text_body, ticket_id ON messages BEGIN
    DELETE FROM search_fts WHERE rowid = (old.ticket_id << 32) | old.id;
    INSERT INTO search_fts (rowid, subject, text_body) VALUES ((new.ticket_id << 32) | new.id, new.subject, substr(new.text_body, 1, 100000));
END;
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO search_fts (rowid, subject, text_body) VALUES (new.id << 32, new.subject, '');
END;
CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM search_fts WHERE rowid = old.id << 32;
END;
CREATE TRIGGER tickets_search_update AFTER UPDATE OF subject ON tickets BEGIN
    DELETE FROM search_fts WHERE rowid = old.id << 32;
    INSERT INTO search_fts (rowid, subject, text_body) VALUES (new.id << 32, new.subject, '');
END;

INSERT INTO search_fts (rowid, subject, text_body) SELECT (ticket_id << 32) | id, subject, substr(text_body, 1, 100000) FROM messages;
INSERT INTO search_fts (rowid, subject, text_body) SELECT id << 32, subject, '' FROM tickets;

-- The lists. Every view but trash reads deleted_at IS NULL, then walks one of these in the order
-- asked for, the id breaking ties (partial indexes: PostgreSQL orders by an index only past
-- equalities, and IS NULL is not one). The priority expression is the one tickets.Search sorts by.
DROP INDEX tickets_property_updated;
CREATE INDEX tickets_list_updated ON tickets (property_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_list_created ON tickets (property_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_list_status ON tickets (property_id, status, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_list_priority ON tickets (property_id, (CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 ELSE 1 END), id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_trash ON tickets (property_id, deleted_at) WHERE deleted_at IS NOT NULL;
-- "mine" and the assignee filter.
CREATE INDEX tickets_list_assignee ON tickets (property_id, assignee_agent_id, status, updated_at, id);
-- The tag filter, from the tag.
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);
