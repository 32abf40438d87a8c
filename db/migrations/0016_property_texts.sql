-- The "your ticket was closed" mail to the customer (off by default), and the texts a property
-- sets for its acknowledgement and close mails, per locale, instead of the built-in ones: plain
-- text with {placeholders} (templates/custom.go), never a Go template.
ALTER TABLE properties ADD COLUMN close_mail BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE property_texts (
    property_id BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    locale      TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    updated_at  {{ts}} NOT NULL,
    PRIMARY KEY (property_id, kind, locale)
);
