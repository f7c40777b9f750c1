-- Certificates registered on apps, for client authentication with a signed JWT
-- (`private_key_jwt`, RFC 7523 §2.2). The certificate is public; it is kept as DER, with its
-- SHA-1 and SHA-256 thumbprints (the `x5t` and `x5t#S256` a client assertion names).
-- (Mirrors the SQLite store's 0008.)
CREATE TABLE app_certificates (
    id                TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    app_id            TEXT   COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    thumbprint_sha1   BYTEA  NOT NULL CHECK (length(thumbprint_sha1) = 20),
    thumbprint_sha256 BYTEA  NOT NULL CHECK (length(thumbprint_sha256) = 32),
    der               BYTEA  NOT NULL,
    subject           TEXT   COLLATE "C" NOT NULL,
    description       TEXT   COLLATE "C" NOT NULL,
    not_before        BIGINT NOT NULL,
    not_after         BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    UNIQUE (app_id, thumbprint_sha256)
);

-- The client assertions already used, by app and the SHA-256 of their `jti`, until they expire:
-- an assertion is accepted once (the insert that finds its row taken is the replay).
CREATE TABLE client_assertion_jtis (
    app_id     TEXT   COLLATE "C" NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    jti_hash   BYTEA  NOT NULL CHECK (length(jti_hash) = 32),
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, jti_hash)
);
CREATE INDEX client_assertion_jtis_by_expiry ON client_assertion_jtis (expires_at);
