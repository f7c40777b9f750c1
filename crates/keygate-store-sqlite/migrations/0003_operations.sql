-- Operations: two client secrets per app, the audit log, and admin tokens.

-- Each secret version occupies one of an app's two slots. Every app had exactly one secret until
-- now (replacing deleted all older versions), so existing versions become primary.
ALTER TABLE client_secrets ADD COLUMN slot TEXT NOT NULL DEFAULT 'primary'
    CHECK (slot IN ('primary', 'alternative'));
CREATE UNIQUE INDEX client_secrets_one_per_slot ON client_secrets (app_id, slot);

-- Security events. No foreign keys: an app's history outlives the app, and a user's the user.
-- Targets and details never hold a credential (see keygate_core::model::audit).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    app_id      TEXT,
    org_id      TEXT,
    client_addr TEXT,
    detail      TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_events_by_app ON audit_events (app_id, id) WHERE app_id IS NOT NULL;
CREATE INDEX audit_events_by_org ON audit_events (org_id, id) WHERE org_id IS NOT NULL;
CREATE INDEX audit_events_by_time ON audit_events (at);

-- Bearer credentials for the registration REST API; only the SHA-256 of the value is kept.
CREATE TABLE admin_tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
