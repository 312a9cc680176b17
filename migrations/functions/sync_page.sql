-- migrations/functions/sync_page.sql: sync_page, both signatures, first created by
-- 0004_integrations.sql (seven arguments) and
-- 0007_stores_amazon_privacy.sql (the sync account last).
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).

-- Commits one page of the sync account's pass (see 0004's sync_page). Rows
-- without an "account" key get the sync account, so an order lands under
-- its store or marketplace.
CREATE OR REPLACE FUNCTION sync_page(p_source text, p_resource text, p_account text, p_fence bigint,
                          p_rows jsonb, p_next text, p_skipped integer,
                          p_sync_account text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
    n integer;
    page_max timestamptz;
    v_rows jsonb;
BEGIN
    SELECT * INTO s FROM sync_state
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sync_page before sync_begin for %.%.%', p_source, p_sync_account,
            p_resource;
    END IF;
    PERFORM sync_check_fence(s, p_fence);
    n := jsonb_array_length(p_rows);
    IF n > 0 THEN
        SELECT jsonb_agg(CASE WHEN e ? 'account' THEN e
                              ELSE e || jsonb_build_object('account', p_sync_account) END
                         ORDER BY i)
          INTO v_rows FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS x(e, i);
        PERFORM sync_apply(p_source, p_resource, v_rows);
        SELECT max((e ->> 'updated_at')::timestamptz) INTO page_max
          FROM jsonb_array_elements(p_rows) e;
    END IF;
    UPDATE sync_state
       SET fence = p_fence, position = p_next,
           pass_max = CASE WHEN page_max IS NULL THEN pass_max
                           ELSE greatest(pass_max, page_max) END,
           pass_rows = pass_rows + n, rows_seen = rows_seen + n,
           skipped = skipped + coalesce(p_skipped, 0), pages = pages + 1,
           last_error = NULL, last_error_at = NULL
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource
    RETURNING * INTO s;
    IF p_next IS NULL THEN
        UPDATE sync_state
           SET cursor = coalesce(to_char(s.pass_max AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), cursor),
               last_success_at = now(), last_run_rows = s.pass_rows,
               pass_max = NULL, pass_rows = 0, pass_started_at = NULL
         WHERE source = p_source AND account = p_sync_account AND resource = p_resource
        RETURNING * INTO s;
    END IF;
    PERFORM integration_mark(p_source, p_account, 'connected', NULL);
    RETURN sync_status_json(s);
END;
$$;

CREATE OR REPLACE FUNCTION sync_page(p_source text, p_resource text, p_account text,
                                     p_fence bigint, p_rows jsonb, p_next text,
                                     p_skipped integer) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT sync_page(p_source, p_resource, p_account, p_fence, p_rows, p_next, p_skipped,
                     'default')
$$;
