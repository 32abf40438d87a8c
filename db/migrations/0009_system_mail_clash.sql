-- postdesk schema, version 9: robot mail that reuses a Message-ID is a new mail (issue 11).
--
-- Robot mail kept as system mail follows the rule messages follow (tickets.sameMessage): a
-- redelivery is the same Message-ID with the same body hash (tickets.ContentHash) or the same
-- Date; other content under the same Message-ID is kept as another mail, the clash noted.
-- content_hash is '' for rows kept before: they compare as the same mail, as they always did.
ALTER TABLE system_mail ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE system_mail ADD COLUMN date_header {{ts}};
CREATE INDEX system_mail_message_id ON system_mail (property_id, message_id);
