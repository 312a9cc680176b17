-- 0001_foundation: what the first issues need to start.
--
-- set_updated_at(): a BEFORE UPDATE trigger function that stamps updated_at,
-- so every table with that column keeps it right whoever writes the row.
-- integrations: one row per connected provider account (Twilio, Shopify,
-- Xero, Unleashed, ...) and whether Sentia can currently use it.
-- sync_state: where each periodic sync of a source's resource stands, so a
-- sync resumes from its cursor and operators see when it last worked.

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE integrations (
    provider   text NOT NULL,
    account    text NOT NULL,
    status     text NOT NULL DEFAULT 'disconnected'
               CHECK (status IN ('connected', 'disconnected', 'unauthorised')),
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, account)
);

CREATE TRIGGER integrations_set_updated_at
    BEFORE UPDATE ON integrations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE sync_state (
    source          text NOT NULL,
    resource        text NOT NULL,
    cursor          text,
    last_success_at timestamptz,
    last_error      text,
    last_error_at   timestamptz,
    rows_seen       bigint NOT NULL DEFAULT 0 CHECK (rows_seen >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, resource)
);

CREATE TRIGGER sync_state_set_updated_at
    BEFORE UPDATE ON sync_state
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
