-- migrations/functions/sync_failed.sql: sync_failed, both signatures, first created by
-- 0004_integrations.sql (five arguments) and
-- 0007_stores_amazon_privacy.sql (the sync account last).
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).

CREATE OR REPLACE FUNCTION sync_failed(p_source text, p_resource text, p_account text, p_error text,
                            p_integration text, p_sync_account text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
BEGIN
    INSERT INTO sync_state (source, account, resource) VALUES (p_source, p_sync_account, p_resource)
    ON CONFLICT DO NOTHING;
    UPDATE sync_state
       SET last_error = left(p_error, 1000), last_error_at = now()
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource
    RETURNING * INTO s;
    IF p_integration IS NOT NULL THEN
        PERFORM integration_mark(p_source, p_account, p_integration, left(p_error, 1000));
    END IF;
    RETURN sync_status_json(s);
END;
$$;

CREATE OR REPLACE FUNCTION sync_failed(p_source text, p_resource text, p_account text,
                                       p_error text, p_integration text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT sync_failed(p_source, p_resource, p_account, p_error, p_integration, 'default')
$$;
