-- migrations/functions/sync_status_json.sql: sync_status_json, first created by
-- 0004_integrations.sql, redefined by 0007_stores_amazon_privacy.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).

-- The compact status of one (source, account, resource): what workers mirror
-- into Redis for GET /api/integrations/status.
CREATE OR REPLACE FUNCTION sync_status_json(s sync_state) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'source', s.source, 'account', s.account, 'resource', s.resource,
        'cursor', s.cursor, 'cursor_ms', sync_ms(s.cursor::timestamptz),
        'position', s.position,
        'last_success_ms', sync_ms(s.last_success_at),
        'last_error', s.last_error, 'last_error_ms', sync_ms(s.last_error_at),
        'rows_seen', s.rows_seen, 'last_run_rows', s.last_run_rows,
        'pass_rows', s.pass_rows, 'skipped', s.skipped, 'pages', s.pages,
        'updated_ms', sync_ms(s.updated_at))
$$;
