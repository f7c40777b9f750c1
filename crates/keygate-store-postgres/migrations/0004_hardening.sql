-- Hardening: sign-in failures remember the address they came from, so throttling can count per
-- (account, address) and per address instead of locking an account out; and apps can be allowed
-- to introspect tokens minted for other apps (resource servers).

-- The client address (IPv4, or the /64 prefix of an IPv6 address); NULL for failures recorded
-- before this migration and for sign-ins that arrived without a network address.
ALTER TABLE sign_in_failures ADD COLUMN address TEXT COLLATE "C";
CREATE INDEX sign_in_failures_by_address ON sign_in_failures (address, at) WHERE address IS NOT NULL;

-- TRUE when the app is a resource server that may introspect any token; FALSE (the default)
-- limits its introspection to tokens minted for itself.
ALTER TABLE apps ADD COLUMN may_introspect BOOLEAN NOT NULL DEFAULT FALSE;
