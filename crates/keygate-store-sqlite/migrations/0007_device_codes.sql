-- The device authorization grant (RFC 8628): one row per device authorization request.
-- Only SHA-256 hashes of the device code and of the normalized user code are kept.
CREATE TABLE device_codes (
    hash             BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    user_code_hash   BLOB    NOT NULL UNIQUE CHECK (length(user_code_hash) = 32),
    app_id           TEXT    NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    scopes           TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    poll_interval    INTEGER NOT NULL,
    last_polled_at   INTEGER,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    -- The user who entered the user code first: only they may see and decide on it.
    user_id          TEXT    REFERENCES users (id) ON DELETE CASCADE,
    authorization_id TEXT    REFERENCES authorizations (id) ON DELETE CASCADE,
    decided_at       INTEGER,
    used_at          INTEGER
) STRICT;
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);
CREATE INDEX device_codes_by_app ON device_codes (app_id);
CREATE INDEX device_codes_by_authorization ON device_codes (authorization_id)
    WHERE authorization_id IS NOT NULL;
