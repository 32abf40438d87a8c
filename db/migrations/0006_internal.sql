-- postdesk schema, version 6: Message-IDs of internal mail (copies of notes, error mails to
-- agents): an agent's reply to one is an internal note too, never sent to the customer.
ALTER TABLE thread_ids ADD COLUMN internal BOOLEAN NOT NULL DEFAULT FALSE;
