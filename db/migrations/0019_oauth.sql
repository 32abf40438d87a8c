-- OAuth2 sign-ins (Google, Microsoft 365) for mailboxes and the relay that cannot log in with a
-- password. One grant per provider and account: the mailboxes opened as that account (its own,
-- the shared mailboxes it may open) and the relay share its refresh token, so it is refreshed once.
CREATE TABLE oauth_grants (
    id               {{pk}},
    -- google or microsoft
    provider         TEXT NOT NULL,
    -- the account that signed in
    username         TEXT NOT NULL,
    -- the refresh token, AES-GCM-sealed under a key derived from the server secret
    secret           {{blob}} NOT NULL,
    -- set when a refresh failed for good (consent revoked, token expired): the mailboxes using
    -- the grant stop until an admin signs in again, which clears it
    signin_needed_at {{ts}},
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       {{ts}} NOT NULL,
    updated_at       {{ts}} NOT NULL,
    UNIQUE (provider, username)
);

-- A mailbox logs in with the grant's access token when set, else with its password.
ALTER TABLE mailboxes ADD COLUMN oauth_grant_id BIGINT;
