-- migrations/functions/sync_upsert_orders.sql: sync_upsert_orders, first created by
-- 0004_integrations.sql, redefined by 0007_stores_amazon_privacy.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).

-- Orders with their lines (Shopify orders of any store, Unleashed sales
-- orders, Amazon orders). Keyed by (source, account, external_id); a newer
-- stored version wins. A row with "lines" gets its lines replaced; a row
-- without keeps them. A line gives unit_price, or line_total (the price of
-- the whole quantity, Amazon's ItemPrice), or neither (an Amazon Pending
-- order: 0).
CREATE OR REPLACE FUNCTION sync_upsert_orders(p_source text, p_rows jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    accts text[];
    exts text[];
    with_lines bigint[];
BEGIN
    WITH r AS (
        SELECT DISTINCT ON (coalesce(account, 'default'), external_id)
               coalesce(account, 'default') AS account, external_id, status, external_status,
               currency, total, placed_at, cancelled_at, updated_at, raw
          FROM jsonb_to_recordset(p_rows) AS x(account text, external_id text, status text,
               external_status text, currency text, total numeric, placed_at timestamptz,
               cancelled_at timestamptz, updated_at timestamptz, raw jsonb)
         ORDER BY coalesce(account, 'default'), external_id, updated_at DESC
    ), up AS (
        INSERT INTO orders AS o (source, account, external_id, status, external_status, currency,
                                 total, placed_at, cancelled_at, external_updated_at, raw)
        SELECT p_source, account, external_id, status, external_status, currency, total,
               placed_at, cancelled_at, updated_at, raw
          FROM r
        ON CONFLICT (source, account, external_id) DO UPDATE
            SET status = excluded.status, external_status = excluded.external_status,
                currency = excluded.currency, total = excluded.total,
                placed_at = excluded.placed_at, cancelled_at = excluded.cancelled_at,
                external_updated_at = excluded.external_updated_at, raw = excluded.raw
            WHERE o.external_updated_at IS NULL
               OR excluded.external_updated_at >= o.external_updated_at
        RETURNING o.id, o.account, o.external_id
    )
    SELECT array_agg(id), array_agg(account), array_agg(external_id) INTO ids, accts, exts FROM up;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    -- the orders written whose row brings its lines
    SELECT array_agg(u.id) INTO with_lines
      FROM unnest(ids, accts, exts) AS u(id, account, external_id)
      JOIN (SELECT DISTINCT ON (coalesce(account, 'default'), external_id)
                   coalesce(account, 'default') AS account, external_id, lines
              FROM jsonb_to_recordset(p_rows) AS x(account text, external_id text,
                                                   updated_at timestamptz, lines jsonb)
             ORDER BY coalesce(account, 'default'), external_id, updated_at DESC) r
           USING (account, external_id)
     WHERE jsonb_typeof(r.lines) = 'array';
    IF with_lines IS NULL THEN
        RETURN cardinality(ids);
    END IF;
    DELETE FROM order_lines WHERE order_id = ANY (with_lines);
    INSERT INTO order_lines (order_id, line_no, sku, name, quantity, quantity_exact,
                             unit_price, line_total, external_line_id, external_product_id)
    SELECT u.id, li.line_no, coalesce(li.sku, ''), coalesce(li.name, li.sku, 'item'),
           ceil(li.quantity)::integer, li.quantity, p.unit_price,
           greatest(coalesce(li.line_total, round(li.quantity * p.unit_price, 2)), 0),
           li.external_line_id, coalesce(li.external_product_id, li.asin)
      FROM unnest(ids, accts, exts) AS u(id, account, external_id)
      JOIN (SELECT DISTINCT ON (coalesce(account, 'default'), external_id)
                   coalesce(account, 'default') AS account, external_id, lines
              FROM jsonb_to_recordset(p_rows) AS x(account text, external_id text,
                                                   updated_at timestamptz, lines jsonb)
             ORDER BY coalesce(account, 'default'), external_id, updated_at DESC) r
           USING (account, external_id),
           jsonb_to_recordset(r.lines) AS li(line_no integer, sku text, name text,
               quantity numeric, unit_price numeric, line_total numeric,
               external_line_id text, external_product_id text, asin text),
           LATERAL (SELECT greatest(coalesce(li.unit_price, round(li.line_total / li.quantity, 2),
                                             0), 0) AS unit_price) p
     WHERE u.id = ANY (with_lines) AND li.quantity > 0
    ON CONFLICT (order_id, line_no) DO NOTHING;
    RETURN cardinality(ids);
END;
$$;
