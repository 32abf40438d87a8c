-- Full-text search. The list's filters, order and keyset are built in search.go from fixed
-- fragments; this is the one statement of it whose text is fixed.

-- name: search-fts-count
-- engine: sqlite
-- A bounded count of the matches tells SQLite's planner how common the words are.
SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT ?)
