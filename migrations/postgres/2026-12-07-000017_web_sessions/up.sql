-- Sessions of the web pages (`src/web`): a browser holds a random secret in an HttpOnly
-- cookie; only its SHA-256 is kept here, so a backup cannot be replayed as a session. A
-- session ends when its row is deleted: on sign-out, and by every rule that ends the API's
-- sessions (password change, deactivation, student passwords turned off).
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    -- Touched at most once a minute: the idle limit counts from here.
    last_seen_at TIMESTAMP NOT NULL,
    -- The absolute limit: never later than the API's refresh-token lifetime from sign-in.
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
