-- migrations/functions/sync_begin.sql: sync_begin, both signatures, first created by
-- 0004_integrations.sql (three arguments) and
-- 0007_stores_amazon_privacy.sql (the sync account last).
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).

CREATE OR REPLACE FUNCTION sync_begin(p_source text, p_resource text, p_fence bigint,
                           p_sync_account text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
BEGIN
    INSERT INTO sync_state (source, account, resource) VALUES (p_source, p_sync_account, p_resource)
    ON CONFLICT DO NOTHING;
    SELECT * INTO s FROM sync_state
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource FOR UPDATE;
    PERFORM sync_check_fence(s, p_fence);
    UPDATE sync_state
       SET fence = p_fence, pass_started_at = coalesce(pass_started_at, now())
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource
    RETURNING * INTO s;
    RETURN sync_status_json(s);
END;
$$;

-- 0004's signatures: the single-store pass, account 'default'.
CREATE OR REPLACE FUNCTION sync_begin(p_source text, p_resource text, p_fence bigint)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT sync_begin(p_source, p_resource, p_fence, 'default')
$$;
