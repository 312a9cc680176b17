-- 0006_auth: API keys for programs and the audit log of dashboard commands
-- (DESIGN.md §8, docs/AUTH.md).
--
-- api_keys: a key is shown once at creation ("sentia_" + 43 base64url
-- characters) and only its SHA-256 (lower-case hex) is kept. The API looks a
-- key up by key_hash among the rows not revoked (lib/auth/apikey.c), through
-- a cache of at most 60 s, so revoked_at takes effect within a minute.
-- last_used_at is written at most once a minute per key. Rows are never
-- deleted: a revoked key keeps its name, creator and dates for the audit.
--
-- audit_log: one row per dashboard command and per key management action
-- (who, with which role and kind of credential, what, on what, under which
-- request id, and how it ended). Read newest first by the admin audit route,
-- optionally narrowed to one subject or one action; the indexes serve those
-- reads with keyset paging on (at, id).

CREATE TABLE api_keys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'manager', 'admin')),
    key_hash      text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    created_by    text NOT NULL CHECK (created_by <> ''),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    revoked_by    text
);

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    subject     text NOT NULL,
    role        text NOT NULL CHECK (role IN ('none', 'viewer', 'operator', 'manager', 'admin')),
    auth_kind   text NOT NULL CHECK (auth_kind IN ('clerk', 'api_key', 'cli')),
    action      text NOT NULL CHECK (action <> ''),
    target      text,
    request_id  text,
    outcome     text NOT NULL CHECK (outcome <> ''),
    detail      jsonb
);

CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject_at ON audit_log (subject, at DESC, id DESC);
CREATE INDEX audit_log_action_at ON audit_log (action, at DESC, id DESC);
