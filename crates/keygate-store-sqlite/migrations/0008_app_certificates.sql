-- Certificates registered on apps, for client authentication with a signed JWT
-- (`private_key_jwt`, RFC 7523 §2.2). The certificate is public; it is kept as DER, with its
-- SHA-1 and SHA-256 thumbprints (the `x5t` and `x5t#S256` a client assertion names).
CREATE TABLE app_certificates (
    id                TEXT    NOT NULL PRIMARY KEY,
    app_id            TEXT    NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    thumbprint_sha1   BLOB    NOT NULL CHECK (length(thumbprint_sha1) = 20),
    thumbprint_sha256 BLOB    NOT NULL CHECK (length(thumbprint_sha256) = 32),
    der               BLOB    NOT NULL,
    subject           TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    not_before        INTEGER NOT NULL,
    not_after         INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    UNIQUE (app_id, thumbprint_sha256)
) STRICT;

-- The client assertions already used, by app and the SHA-256 of their `jti`, until they expire:
-- an assertion is accepted once (the insert that finds its row taken is the replay).
CREATE TABLE client_assertion_jtis (
    app_id     TEXT    NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    jti_hash   BLOB    NOT NULL CHECK (length(jti_hash) = 32),
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, jti_hash)
) STRICT;
CREATE INDEX client_assertion_jtis_by_expiry ON client_assertion_jtis (expires_at);
