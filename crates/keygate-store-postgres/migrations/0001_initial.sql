-- Keygate's first PostgreSQL schema: the same tables, columns and constraints as the SQLite
-- store's 0001_initial.sql. Migrations are append-only: never edit this file once released; add
-- 0002_*.sql instead.
--
-- Conventions: timestamps are BIGINT unix seconds; ids are TEXT (lower-case hyphenated GUIDs);
-- credential hashes are 32-byte SHA-256 BYTEAs; scopes are TEXT in canonical space-separated form.
-- Every TEXT column uses the "C" collation, so ordering is bytewise as in SQLite, and names that
-- SQLite compares with COLLATE NOCASE are compared here through lower(), which under "C" folds
-- exactly the ASCII letters, as NOCASE does.

CREATE TABLE users (
    id            TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    email         TEXT   COLLATE "C" NOT NULL UNIQUE,
    display_name  TEXT   COLLATE "C" NOT NULL,
    public_alias  TEXT   COLLATE "C" NOT NULL,
    password_hash TEXT   COLLATE "C" NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sign_in_failures (
    email TEXT   COLLATE "C" NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email, at);

CREATE TABLE orgs (
    id                        TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    name                      TEXT    COLLATE "C" NOT NULL,
    owner_id                  TEXT    COLLATE "C" NOT NULL REFERENCES users (id),
    third_party_oauth_allowed BOOLEAN NOT NULL,
    created_at                BIGINT  NOT NULL
);
CREATE UNIQUE INDEX orgs_name_nocase ON orgs (lower(name));
CREATE INDEX orgs_denying_oauth ON orgs (third_party_oauth_allowed);

CREATE TABLE org_members (
    org_id  TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_by_user ON org_members (user_id);

CREATE TABLE projects (
    id          TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    org_id      TEXT   COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        TEXT   COLLATE "C" NOT NULL,
    description TEXT   COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX projects_name_nocase ON projects (org_id, lower(name));

CREATE TABLE repositories (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    project_id     TEXT COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           TEXT COLLATE "C" NOT NULL,
    default_branch TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX repositories_name_nocase ON repositories (project_id, lower(name));

CREATE TABLE sessions (
    hash       BYTEA  NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    user_id    TEXT   COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE settings (
    name  TEXT  COLLATE "C" NOT NULL PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE signing_keys (
    kid         TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    algorithm   TEXT   COLLATE "C" NOT NULL,
    private_der BYTEA  NOT NULL,
    state       TEXT   COLLATE "C" NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
-- At most one key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';

CREATE TABLE apps (
    id              TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    owner_id        TEXT   COLLATE "C" NOT NULL REFERENCES users (id),
    name            TEXT   COLLATE "C" NOT NULL,
    company_name    TEXT   COLLATE "C" NOT NULL,
    description     TEXT   COLLATE "C" NOT NULL,
    website         TEXT   COLLATE "C" NOT NULL,
    company_website TEXT   COLLATE "C" NOT NULL,
    terms_url       TEXT   COLLATE "C" NOT NULL,
    privacy_url     TEXT   COLLATE "C" NOT NULL,
    logo_url        TEXT   COLLATE "C" NOT NULL,
    callback_url    TEXT   COLLATE "C" NOT NULL,
    scopes          TEXT   COLLATE "C" NOT NULL,
    kind            TEXT   COLLATE "C" NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX apps_by_owner ON apps (owner_id, created_at, name);
CREATE INDEX apps_by_creation ON apps (created_at, name);

CREATE TABLE client_secrets (
    id         TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    app_id     TEXT   COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    hash       BYTEA  NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX client_secrets_by_app ON client_secrets (app_id);

-- secret_id names the client secret version that exchanged the code. It has no foreign key on
-- purpose: replacing a secret deletes the old version but keeps the (revoked) authorization.
CREATE TABLE authorizations (
    id         TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    user_id    TEXT   COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app_id     TEXT   COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    scopes     TEXT   COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    secret_id  TEXT   COLLATE "C"
);
CREATE INDEX authorizations_by_user ON authorizations (user_id, app_id);
CREATE INDEX authorizations_by_app ON authorizations (app_id);
CREATE INDEX authorizations_by_revocation ON authorizations (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE codes (
    hash             BYTEA  NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    authorization_id TEXT   COLLATE "C" NOT NULL REFERENCES authorizations (id) ON DELETE CASCADE,
    redirect_uri     TEXT   COLLATE "C" NOT NULL,
    code_challenge   TEXT   COLLATE "C",
    expires_at       BIGINT NOT NULL,
    used_at          BIGINT
);
CREATE INDEX codes_by_authorization ON codes (authorization_id);

CREATE TABLE refresh_tokens (
    hash             BYTEA  NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    access_id        TEXT   COLLATE "C" NOT NULL,
    authorization_id TEXT   COLLATE "C" NOT NULL REFERENCES authorizations (id) ON DELETE CASCADE,
    parent_hash      BYTEA  REFERENCES refresh_tokens (hash) ON DELETE CASCADE,
    secret_id        TEXT   COLLATE "C",
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    used_at          BIGINT
);
CREATE INDEX refresh_tokens_by_authorization ON refresh_tokens (authorization_id);
-- A rotation chain never forks: each token has at most one successor.
CREATE UNIQUE INDEX refresh_tokens_one_successor ON refresh_tokens (parent_hash)
    WHERE parent_hash IS NOT NULL;

-- The change feed. No foreign keys: a change must outlive what it is about (a deleted app's
-- revocations are still news to every node). Writers append under a transaction-scoped advisory
-- lock (see src/changes.rs), so sequence numbers become visible in commit order and a reader
-- that has seen `seq` has seen everything below it.
CREATE TABLE changes (
    seq     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind    TEXT   COLLATE "C" NOT NULL,
    subject TEXT   COLLATE "C" NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX changes_by_kind ON changes (kind, at);

CREATE TABLE builds (
    id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id      TEXT   COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    build_number    TEXT   COLLATE "C" NOT NULL,
    definition_name TEXT   COLLATE "C" NOT NULL,
    status          TEXT   COLLATE "C" NOT NULL,
    result          TEXT   COLLATE "C" NOT NULL,
    source_branch   TEXT   COLLATE "C" NOT NULL,
    requested_for   TEXT   COLLATE "C" NOT NULL REFERENCES users (id),
    queue_time      BIGINT NOT NULL
);
CREATE INDEX builds_by_project ON builds (project_id, id);

CREATE TABLE work_items (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id     TEXT   COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    rev            BIGINT NOT NULL,
    work_item_type TEXT   COLLATE "C" NOT NULL,
    fields_json    TEXT   COLLATE "C" NOT NULL,
    created_by     TEXT   COLLATE "C" NOT NULL REFERENCES users (id),
    created_at     BIGINT NOT NULL
);
CREATE INDEX work_items_by_project ON work_items (project_id, id);
