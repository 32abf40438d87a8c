-- postdesk schema, version 5 (PostgreSQL; 0005_search.sqlite.sql is its SQLite twin): full-text
-- search over tickets and the indexes of the inbox lists (tickets.Search).

-- Text search with the 'simple' configuration (no stemming, no stop words: mail is in any
-- language). Each message keeps its words (a stored tsvector, without positions: the searches are
-- of words, not phrases), so that testing a ticket's messages is cheap when the list is walked for a
-- common word, and a GIN index finds the messages of a rare one. Bodies count up to 100000
-- characters: a tsvector cannot exceed 1 MB, and a message whose words could not be computed could
-- not be stored. Ticket subjects are searched too. tickets.Search queries these very expressions.
-- The punctuation PostgreSQL's parser would keep inside one word (ann@example.org, example.org,
-- order-1234, v2.5) is a space first: words are what SQLite's FTS5 sees, so a search for "ann"
-- or "example" finds the address on both engines.
ALTER TABLE messages ADD COLUMN search_tsv tsvector
    GENERATED ALWAYS AS (strip(to_tsvector('simple', translate(subject || ' ' || left(text_body, 100000), '@.-/_:+''', '        ')))) STORED;
CREATE INDEX messages_search ON messages USING GIN (search_tsv);
CREATE INDEX tickets_search ON tickets USING GIN (to_tsvector('simple', translate(subject, '@.-/_:+''', '        ')));
-- The planner chooses between the two by how common it thinks the words are. A word missing from
-- the statistics' most common ones counts as half as common as the least of them: with the default
-- 1000 words, that was 3000 tickets for a number found in one, and the list was walked to its end
-- (1.5 s instead of 1 ms). Keeping 10000 words makes the guess for the others small.
ALTER TABLE messages ALTER COLUMN search_tsv SET STATISTICS 1000;
ALTER INDEX tickets_search ALTER COLUMN 1 SET STATISTICS 1000;

-- The lists. Every view but trash reads deleted_at IS NULL, then walks one of these in the order
-- asked for, the id breaking ties (partial indexes: PostgreSQL orders by an index only past
-- equalities, and IS NULL is not one). The priority expression is the one tickets.Search sorts by.
DROP INDEX tickets_property_updated;
CREATE INDEX tickets_list_updated ON tickets (property_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_list_created ON tickets (property_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_list_status ON tickets (property_id, status, id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_list_priority ON tickets (property_id, (CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 WHEN 'high' THEN 2 WHEN 'urgent' THEN 3 ELSE 1 END), id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_trash ON tickets (property_id, deleted_at) WHERE deleted_at IS NOT NULL;
-- A list reads one page of an index in order; a parallel plan only adds the start of its workers
-- (measured: 13 ms became 86 ms for a full-text search walking the list).
ALTER TABLE tickets SET (parallel_workers = 0);
-- "mine" and the assignee filter.
CREATE INDEX tickets_list_assignee ON tickets (property_id, assignee_agent_id, status, updated_at, id);
-- The tag filter, from the tag.
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);
