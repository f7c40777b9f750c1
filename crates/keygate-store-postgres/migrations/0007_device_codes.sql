-- The device authorization grant (RFC 8628): one row per device authorization request.
-- Only SHA-256 hashes of the device code and of the normalized user code are kept.
-- (Mirrors the SQLite store's 0007.)
CREATE TABLE device_codes (
    hash             BYTEA  NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    user_code_hash   BYTEA  NOT NULL UNIQUE CHECK (length(user_code_hash) = 32),
    app_id           TEXT   COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    scopes           TEXT   COLLATE "C" NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    poll_interval    BIGINT NOT NULL,
    last_polled_at   BIGINT,
    status           TEXT   COLLATE "C" NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    -- The user who entered the user code first: only they may see and decide on it.
    user_id          TEXT   COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
    authorization_id TEXT   COLLATE "C" REFERENCES authorizations (id) ON DELETE CASCADE,
    decided_at       BIGINT,
    used_at          BIGINT
);
CREATE INDEX device_codes_by_expiry ON device_codes (expires_at);
CREATE INDEX device_codes_by_app ON device_codes (app_id);
CREATE INDEX device_codes_by_authorization ON device_codes (authorization_id)
    WHERE authorization_id IS NOT NULL;
