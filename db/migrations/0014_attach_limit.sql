-- postdesk schema, version 14: the customer's files in the agents' copies (issue 13).
--
-- The agents' copies of a message carry its attachments when they come to at most attach_limit
-- bytes in all; the others are signed download links. 0: never attached, always linked.
ALTER TABLE properties ADD COLUMN attach_limit BIGINT NOT NULL DEFAULT 10000000;
