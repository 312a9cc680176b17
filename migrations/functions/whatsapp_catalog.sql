-- migrations/functions/whatsapp_catalog.sql: whatsapp_catalog, first created by 0002_commerce.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- One page of the active products with their available stock at
-- p_location, ordered by SKU. Returns {"page", "pages", "total",
-- "products": [{"sku", "name", "unit_price", "currency", "available"}]};
-- a page past the end has no products.
CREATE OR REPLACE FUNCTION whatsapp_catalog(p_location text, p_page integer, p_page_size integer)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH s AS (SELECT least(greatest(p_page_size, 1), 100) AS size,
                      least(greatest(p_page, 1), 1000000) AS page),
         n AS (SELECT count(*) AS total FROM products WHERE active)
    SELECT jsonb_build_object(
        'page', s.page,
        'pages', greatest((n.total + s.size - 1) / s.size, 1),
        'total', n.total,
        'products', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                       'sku', p.sku, 'name', p.name, 'unit_price', p.unit_price::text,
                       'currency', p.currency, 'available', p.available) ORDER BY p.k, p.sku)
              FROM (SELECT pr.sku, pr.name, pr.unit_price, pr.currency, upper(pr.sku) AS k,
                           greatest(COALESCE(i.on_hand - i.allocated, 0), 0) AS available
                      FROM products pr
                      LEFT JOIN inventory i ON i.sku = pr.sku AND i.location = p_location
                     WHERE pr.active
                     ORDER BY upper(pr.sku), pr.sku
                     OFFSET (s.page - 1)::bigint * s.size LIMIT s.size) p), '[]'::jsonb))
      FROM s, n
$$;
