-- A property's DKIM keys (RFC 6376), for sites whose relay does not sign: the sender signs the
-- property's mail with its active key just before handing the bytes to the relay. A key made
-- while another signs waits (not active) until its DNS record is published and it is activated.
CREATE TABLE dkim_keys (
    property_id BIGINT NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    -- the s= and d= of the signature: <selector>._domainkey.<domain> holds the public key
    selector    TEXT NOT NULL,
    domain      TEXT NOT NULL,
    -- rsa (rsa-sha256, 2048 bits) or ed25519 (ed25519-sha256, RFC 8463)
    algorithm   TEXT NOT NULL,
    -- the PKCS #8 private key, AES-GCM-sealed under a key derived from the server secret
    private_key {{blob}} NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  {{ts}} NOT NULL,
    PRIMARY KEY (property_id, selector)
);

-- One key signs a property's mail.
CREATE UNIQUE INDEX dkim_keys_active ON dkim_keys (property_id) WHERE active;

-- One DNS name, one key: two properties sending from one domain need two selectors.
CREATE UNIQUE INDEX dkim_keys_record ON dkim_keys (domain, selector);
