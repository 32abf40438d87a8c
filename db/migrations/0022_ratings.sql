-- postdesk schema, version 22: the customers' ratings of their closed tickets (tickets/ratings.go,
-- the signed links of package rating).

-- One rating per ticket (the primary key): the latest choice through a close mail's link, its
-- comment, who gave it (the ticket's customer then, as an address: contacts can be removed) and
-- for which close (closed_at, the close the link was minted for: a link of an earlier close never
-- overwrites the rating of a later one). rated_at is the first rating, changed_at the last change.
-- Deleted with the ticket (a purge) and the property.
CREATE TABLE ticket_ratings (
    ticket_id     BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    property_id   BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    rating        TEXT NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    closed_at     {{ts}} NOT NULL,
    rated_at      {{ts}} NOT NULL,
    changed_at    {{ts}} NOT NULL
);
-- The per-property summary over a period.
CREATE INDEX ticket_ratings_property ON ticket_ratings (property_id, rated_at);
