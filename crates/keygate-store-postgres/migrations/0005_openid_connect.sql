-- OpenID Connect: a signing key per purpose. Access tokens (and every other credential) keep the
-- algorithm chosen at first start or by rotation; ID tokens are always signed RS256, the one
-- algorithm every OpenID client must verify, by a key of their own.

ALTER TABLE signing_keys ADD COLUMN purpose TEXT COLLATE "C" NOT NULL DEFAULT 'access'
    CHECK (purpose IN ('access', 'id_token'));
-- At most one key signs for each purpose at a time.
DROP INDEX signing_keys_one_active;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (purpose) WHERE state = 'active';

-- RP-initiated logout: where an app may send the browser after signing out (space separated,
-- each validated like the callback URL).
ALTER TABLE apps ADD COLUMN post_logout_redirect_uris TEXT COLLATE "C" NOT NULL DEFAULT '';

-- The `sub` of the app's ID tokens and UserInfo: the user's id ('public'), or a value derived
-- from the app and the user that no other app sees ('pairwise').
ALTER TABLE apps ADD COLUMN subject_type TEXT COLLATE "C" NOT NULL DEFAULT 'public'
    CHECK (subject_type IN ('public', 'pairwise'));
