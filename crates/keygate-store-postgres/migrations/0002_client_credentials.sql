-- Client-credentials grants (RFC 6749 §4.4) hang their tokens off an authorization like every
-- other grant, so replacing the secret or deleting the app revokes them through the same feed.
-- Such an authorization is the app's own, not a consent its owner gave: the flag keeps it off the
-- owner's authorizations page and out of the owner's "revoke". (Mirrors the SQLite store's 0002.)
ALTER TABLE authorizations ADD COLUMN client_credentials BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX authorizations_client_credentials ON authorizations (app_id, secret_id)
    WHERE client_credentials AND revoked_at IS NULL;
