-- Keygate's first schema. Migrations are append-only: never edit this file once released; add
-- 0002_*.sql instead.
--
-- Conventions: timestamps are INTEGER unix seconds; ids are TEXT (lower-case hyphenated GUIDs);
-- credential hashes are 32-byte SHA-256 BLOBs; scopes are TEXT in canonical space-separated form.
-- Tables are STRICT so a value of the wrong type is refused at write time, not discovered at read.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    public_alias  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sign_in_failures (
    email TEXT    NOT NULL,
    at    INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email, at);

CREATE TABLE orgs (
    id                        TEXT    NOT NULL PRIMARY KEY,
    name                      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    owner_id                  TEXT    NOT NULL REFERENCES users (id),
    third_party_oauth_allowed INTEGER NOT NULL CHECK (third_party_oauth_allowed IN (0, 1)),
    created_at                INTEGER NOT NULL
) STRICT;
CREATE INDEX orgs_denying_oauth ON orgs (third_party_oauth_allowed);

CREATE TABLE org_members (
    org_id  TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, user_id)
) STRICT;
CREATE INDEX org_members_by_user ON org_members (user_id);

CREATE TABLE projects (
    id          TEXT    NOT NULL PRIMARY KEY,
    org_id      TEXT    NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL COLLATE NOCASE,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
) STRICT;

CREATE TABLE repositories (
    id             TEXT NOT NULL PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           TEXT NOT NULL COLLATE NOCASE,
    default_branch TEXT NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE sessions (
    hash       BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE signing_keys (
    kid         TEXT    NOT NULL PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_der BLOB    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) STRICT;
-- At most one key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';

CREATE TABLE apps (
    id              TEXT    NOT NULL PRIMARY KEY,
    owner_id        TEXT    NOT NULL REFERENCES users (id),
    name            TEXT    NOT NULL,
    company_name    TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    website         TEXT    NOT NULL,
    company_website TEXT    NOT NULL,
    terms_url       TEXT    NOT NULL,
    privacy_url     TEXT    NOT NULL,
    logo_url        TEXT    NOT NULL,
    callback_url    TEXT    NOT NULL,
    scopes          TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX apps_by_owner ON apps (owner_id, created_at, name);
CREATE INDEX apps_by_creation ON apps (created_at, name);

CREATE TABLE client_secrets (
    id         TEXT    NOT NULL PRIMARY KEY,
    app_id     TEXT    NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    hash       BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX client_secrets_by_app ON client_secrets (app_id);

-- secret_id names the client secret version that exchanged the code. It has no foreign key on
-- purpose: replacing a secret deletes the old version but keeps the (revoked) authorization.
CREATE TABLE authorizations (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id     TEXT    NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    secret_id  TEXT
) STRICT;
CREATE INDEX authorizations_by_user ON authorizations (user_id, app_id);
CREATE INDEX authorizations_by_app ON authorizations (app_id);
CREATE INDEX authorizations_by_revocation ON authorizations (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE codes (
    hash             BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    authorization_id TEXT    NOT NULL REFERENCES authorizations (id) ON DELETE CASCADE,
    redirect_uri     TEXT    NOT NULL,
    code_challenge   TEXT,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
) STRICT;
CREATE INDEX codes_by_authorization ON codes (authorization_id);

CREATE TABLE refresh_tokens (
    hash             BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    access_id        TEXT    NOT NULL,
    authorization_id TEXT    NOT NULL REFERENCES authorizations (id) ON DELETE CASCADE,
    parent_hash      BLOB    REFERENCES refresh_tokens (hash) ON DELETE CASCADE,
    secret_id        TEXT,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
) STRICT;
CREATE INDEX refresh_tokens_by_authorization ON refresh_tokens (authorization_id);
-- A rotation chain never forks: each token has at most one successor.
CREATE UNIQUE INDEX refresh_tokens_one_successor ON refresh_tokens (parent_hash)
    WHERE parent_hash IS NOT NULL;

-- The change feed. No foreign keys: a change must outlive what it is about (a deleted app's
-- revocations are still news to every node).
CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX changes_by_kind ON changes (kind, at);

CREATE TABLE builds (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    build_number    TEXT    NOT NULL,
    definition_name TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    result          TEXT    NOT NULL,
    source_branch   TEXT    NOT NULL,
    requested_for   TEXT    NOT NULL REFERENCES users (id),
    queue_time      INTEGER NOT NULL
) STRICT;
CREATE INDEX builds_by_project ON builds (project_id, id);

CREATE TABLE work_items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rev            INTEGER NOT NULL,
    work_item_type TEXT    NOT NULL,
    fields_json    TEXT    NOT NULL,
    created_by     TEXT    NOT NULL REFERENCES users (id),
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX work_items_by_project ON work_items (project_id, id);
