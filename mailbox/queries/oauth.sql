-- OAuth2 grants: the refresh token of an account signed in with Google or Microsoft.

-- name: grant-save
-- A new sign-in replaces the account's refresh token and ends its "needs sign-in" state.
INSERT INTO oauth_grants (provider, username, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (provider, username) DO UPDATE SET secret = excluded.secret, signin_needed_at = NULL,
	last_error = '', updated_at = excluded.updated_at RETURNING id

-- name: grant-by-id
SELECT id, provider, username, secret, signin_needed_at, last_error, created_at, updated_at FROM oauth_grants WHERE id = ?

-- name: grant-by-account
SELECT id, provider, username, secret, signin_needed_at, last_error, created_at, updated_at FROM oauth_grants
	WHERE provider = ? AND username = ?

-- name: grants-all
SELECT id, provider, username, secret, signin_needed_at, last_error, created_at, updated_at FROM oauth_grants ORDER BY id

-- name: grant-rotate
UPDATE oauth_grants SET secret = ?, updated_at = ? WHERE id = ? AND signin_needed_at IS NULL RETURNING id

-- name: grant-signin-needed
-- Only the first failure moves the grant into the state: that one tells the admins.
UPDATE oauth_grants SET signin_needed_at = ?, last_error = ?, updated_at = ?
	WHERE id = ? AND signin_needed_at IS NULL RETURNING id
