-- postdesk schema, version 8: mail that is no longer lost (issue 11).
--
-- List mail (List-Id, List-Post, Precedence: list) opens tickets like any mail and is never
-- answered automatically (RFC 3834 §2); a property that really wants it ignored says so.
ALTER TABLE properties ADD COLUMN ignore_list_mail BOOLEAN NOT NULL DEFAULT FALSE;

-- Robot mail that threads nowhere (auto-replies, bounces, challenges) is kept for the admins of
-- the property it came to, for a retention time: property_id is NULL for postmaster mail.
ALTER TABLE system_mail ADD COLUMN property_id BIGINT REFERENCES properties (id) ON DELETE CASCADE;
ALTER TABLE system_mail ADD COLUMN problems TEXT NOT NULL DEFAULT '';
ALTER TABLE system_mail ADD COLUMN text_body TEXT NOT NULL DEFAULT '';
CREATE INDEX system_mail_property ON system_mail (property_id, kind, id);
CREATE INDEX system_mail_created ON system_mail (created_at);

-- A Message-ID reused by a different mail is a new message: content_hash is the hash of the
-- mail's body (see tickets.ContentHash), '' for rows stored before; a redelivery is the same
-- Message-ID with the same content (or, when a copy was changed on the way, the same Date).
ALTER TABLE messages ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_message_id ON messages (property_id, message_id);
