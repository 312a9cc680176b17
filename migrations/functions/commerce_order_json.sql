-- migrations/functions/commerce_order_json.sql: commerce_order_json, first created by 0002_commerce.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- One order as the replies need it; money as text so 2 decimals survive.
CREATE OR REPLACE FUNCTION commerce_order_json(p_order_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'number', o.number, 'status', o.status, 'currency', o.currency,
        'total', o.total::text, 'source', o.source,
        'created_at', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'lines', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                       'sku', l.sku, 'name', l.name, 'qty', l.quantity,
                       'unit_price', l.unit_price::text,
                       'line_total', l.line_total::text) ORDER BY l.line_no)
              FROM order_lines l WHERE l.order_id = o.id), '[]'::jsonb))
      FROM orders o WHERE o.id = p_order_id
$$;
