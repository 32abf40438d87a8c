-- Attachments, and large values sent to PostgreSQL in pieces (see pgPut).

-- name: attachment-insert
INSERT INTO attachments (message_id, filename, content_type, size, content_id, inline, sha256, data)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)

-- name: attachment-insert-returning
-- The row of a large attachment first; its data follows in pieces.
INSERT INTO attachments (message_id, filename, content_type, size, content_id, inline, sha256, data)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id

-- name: attachment-of-property
-- An attachment of another property is not found, exactly like one that does not exist.
SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.content_id, a.inline, a.sha256, a.data
	FROM attachments a JOIN messages m ON m.id = a.message_id
	WHERE m.property_id = ? AND a.id = ?

-- name: attachments-of-ticket
SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.content_id, a.inline, a.sha256
	FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = ? ORDER BY a.id

-- name: attachments-of-message
SELECT id, message_id, filename, content_type, size, content_id, inline, sha256, data FROM attachments WHERE message_id = ? ORDER BY id

-- name: lo-create
-- engine: postgres
SELECT lo_create(0)

-- name: lo-put
-- engine: postgres
SELECT lo_put(?, ?, ?)

-- name: lo-unlink
-- engine: postgres
SELECT lo_unlink(?)

-- name: lo-set-text-body
-- engine: postgres
UPDATE messages SET text_body = convert_from(lo_get(?), 'UTF8') WHERE id = ?

-- name: lo-set-trimmed-text
-- engine: postgres
UPDATE messages SET trimmed_text = convert_from(lo_get(?), 'UTF8') WHERE id = ?

-- name: lo-set-html-body
-- engine: postgres
UPDATE messages SET html_body = convert_from(lo_get(?), 'UTF8') WHERE id = ?

-- name: lo-set-raw
-- engine: postgres
UPDATE messages SET raw = lo_get(?) WHERE id = ?

-- name: lo-set-attachment-data
-- engine: postgres
UPDATE attachments SET data = lo_get(?) WHERE id = ?

-- name: lo-set-system-mail-raw
-- engine: postgres
UPDATE system_mail SET raw = lo_get(?) WHERE id = ?

-- name: attachment-info-of-property
-- The row without its bytes: what a download sends as headers before the bytes follow in pieces.
SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.content_id, a.inline, a.sha256
	FROM attachments a JOIN messages m ON m.id = a.message_id
	WHERE m.property_id = ? AND a.id = ?

-- name: attachment-piece
-- engine: sqlite
-- Bytes [from, from+n) of an attachment (from counts from 1), bounded by the query itself so a
-- piece is all that leaves the database. The size and sha256 the download started with are
-- conditions: a row purged (or its ID reused) mid-download gives no row, never another file's bytes.
SELECT substr(a.data, ?, ?) FROM attachments a JOIN messages m ON m.id = a.message_id
	WHERE m.property_id = ? AND a.id = ? AND a.size = ? AND a.sha256 = ?

-- name: attachment-piece
-- engine: postgres
SELECT substring(a.data FROM CAST(? AS INTEGER) FOR CAST(? AS INTEGER)) FROM attachments a JOIN messages m ON m.id = a.message_id
	WHERE m.property_id = ? AND a.id = ? AND a.size = ? AND a.sha256 = ?
