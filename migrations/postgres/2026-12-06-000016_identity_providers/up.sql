-- Sign-in with a district's identity provider (OpenID Connect). A district registers its
-- providers; a sign-in that is under way keeps its state here for ten minutes, then the
-- one-time code the client exchanges for tokens for one minute.

CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY,
    district_id TEXT NOT NULL REFERENCES districts (id),
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    -- The client secret, sealed under the server's seal key (`seal`): a database backup does
    -- not hold it in the clear. Its data key, wrapped, beside it.
    client_secret_key TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    -- How a signed-in person is matched to an account: by e-mail, OneRoster sourcedId or
    -- username, read from the ID-token claim `claim_name`.
    account_match TEXT NOT NULL,
    claim_name TEXT NOT NULL,
    -- Matching by e-mail takes only an address the provider says it verified
    -- (`email_verified: true`), unless the district turned this off for a provider whose
    -- addresses only it assigns.
    require_verified_email BOOLEAN NOT NULL,
    -- JSON list of the district's client addresses a sign-in may return to (exact match).
    redirect_uris TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT identity_providers_match CHECK (account_match IN ('email', 'sourced_id', 'username')),
    CONSTRAINT identity_providers_name UNIQUE (district_id, name)
);

CREATE TABLE oidc_sign_ins (
    -- SHA-256 of the `state` sent to the provider: the state itself is never stored.
    state_hash TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES identity_providers (id),
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    -- Where the client asked to be sent back, its own state, and its PKCE challenge (S256).
    redirect_uri TEXT NOT NULL,
    client_state TEXT,
    client_challenge TEXT NOT NULL,
    -- SHA-256 of the cookie the browser that started got: the return must come from it.
    browser_hash TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- Set when the provider sends the browser back: a state is honoured once.
    returned_at TIMESTAMP,
    -- The first replay of the return, and the first return from another browser (each
    -- recorded once in the audit trail).
    replayed_at TIMESTAMP,
    foreign_browser_at TIMESTAMP,
    -- After a successful return: the account, and the hash of the one-time code for it.
    user_id TEXT,
    handoff_hash TEXT UNIQUE,
    handoff_expires_at TIMESTAMP,
    handoff_used_at TIMESTAMP
);
CREATE INDEX oidc_sign_ins_expires ON oidc_sign_ins (expires_at);
-- A sign-in matched by e-mail looks the address up without regard to case.
CREATE INDEX users_district_email ON users (district_id, lower(email));

-- A district may turn password sign-in off for its students (they sign in with the district's
-- identity provider); staff passwords are unaffected.
ALTER TABLE districts ADD COLUMN student_passwords BOOLEAN NOT NULL DEFAULT TRUE;
