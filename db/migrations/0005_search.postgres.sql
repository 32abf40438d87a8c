-- postdesk schema, version 5 (PostgreSQL; 0005_search.sqlite.sql is its SQLite twin): full-text
-- search over tickets and the indexes of the inbox lists (tickets.Search).

-- Text search with the 'simple' configuration (no stemming, no stop words: mail is in any
-- language). tickets.Search queries these very expressions, or the indexes are not used. Bodies are
-- indexed up to 100000 characters: a tsvector cannot exceed 1 MB, and a message whose index entry
-- could not be built could not be stored.
CREATE INDEX messages_search ON messages USING GIN (to_tsvector('simple', subject || ' ' || left(text_body, 100000)));
CREATE INDEX tickets_search ON tickets USING GIN (to_tsvector('simple', subject));

-- The lists: every view but trash reads deleted_at IS NULL, then walks one of these in order.
DROP INDEX tickets_property_updated;
CREATE INDEX tickets_list_updated ON tickets (property_id, deleted_at, updated_at, id);
CREATE INDEX tickets_list_created ON tickets (property_id, deleted_at, created_at, id);
-- "mine", "unassigned" and the assignee filter.
CREATE INDEX tickets_list_assignee ON tickets (property_id, assignee_agent_id, status, updated_at);
-- The tag filter, from the tag.
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);
