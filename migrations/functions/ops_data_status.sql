-- migrations/functions/ops_data_status.sql: ops_data_status, the data side of
-- the operations contract (docs/OPERATIONS.md, "Metrics the rules read";
-- GET /health/detailed, /metrics, /api/v1/slo). Read-only, one statement.
--
-- Returns {
--   "now_s": epoch seconds of the database clock,
--   "integrations": [{"source", "resource", "last_success_s" (epoch s, 0 if never)}]
--       one per sync_state row (a resource some pass has run for),
--   "forecast": {"status", "success_rate", "finished_s"} of the newest finished
--       forecast_runs row, or null before the first,
--   "forecast_last_success_s": end of the newest succeeded run, or null,
--   "forecast_runs": {"h1": [finished, succeeded], "h24": [...], "d30": [...]},
--   "working_capital_s": computed_at of the newest snapshot, or null
-- }
CREATE OR REPLACE FUNCTION ops_data_status()
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH f AS (SELECT status, success_rate, finished_at FROM forecast_runs
                WHERE status <> 'running' ORDER BY finished_at DESC, id DESC LIMIT 1)
    SELECT jsonb_build_object(
        'now_s', extract(epoch FROM now()),
        'integrations', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                       'source', s.source, 'resource', s.resource,
                       'last_success_s', COALESCE(extract(epoch FROM s.last_success_at), 0))
                       ORDER BY s.source, s.resource)
              FROM sync_state s), '[]'::jsonb),
        'forecast', (SELECT jsonb_build_object('status', f.status,
                                               'success_rate', f.success_rate,
                                               'finished_s', extract(epoch FROM f.finished_at))
                       FROM f),
        'forecast_last_success_s', (SELECT extract(epoch FROM max(finished_at))
                                      FROM forecast_runs WHERE status = 'succeeded'),
        'forecast_runs', (SELECT jsonb_build_object(
                              'h1', jsonb_build_array(
                                  count(*) FILTER (WHERE finished_at > now() - interval '1 hour'),
                                  count(*) FILTER (WHERE finished_at > now() - interval '1 hour'
                                                     AND status = 'succeeded')),
                              'h24', jsonb_build_array(
                                  count(*) FILTER (WHERE finished_at > now() - interval '24 hours'),
                                  count(*) FILTER (WHERE finished_at > now() - interval '24 hours'
                                                     AND status = 'succeeded')),
                              'd30', jsonb_build_array(
                                  count(*), count(*) FILTER (WHERE status = 'succeeded')))
                            FROM forecast_runs
                           WHERE status <> 'running' AND finished_at > now() - interval '30 days'),
        'working_capital_s', (SELECT extract(epoch FROM max(computed_at))
                                FROM working_capital_snapshots))
$$;
