-- migrations/functions/sync_apply.sql: sync_apply, first created by
-- 0004_integrations.sql, redefined by 0007_stores_amazon_privacy.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).

-- Rows of any (source, resource) → the matching upsert; the count written.
-- Used by sync pages and by webhook follow-up jobs alike. This CASE is the one
-- place SQL names the providers' resources: each (source, resource) needs its
-- own upsert here anyway (docs/ARCHITECTURE.md, "Recipe: a new provider sync").
CREATE OR REPLACE FUNCTION sync_apply(p_source text, p_resource text, p_rows jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    CASE p_source || '.' || p_resource
        WHEN 'shopify.orders' THEN RETURN sync_upsert_orders('shopify', p_rows);
        WHEN 'shopify.products' THEN RETURN sync_upsert_products('shopify', p_rows);
        WHEN 'shopify.inventory' THEN RETURN sync_upsert_shopify_inventory(p_rows);
        WHEN 'xero.invoices' THEN RETURN sync_upsert_invoices(p_rows);
        WHEN 'xero.contacts' THEN RETURN sync_upsert_contacts(p_rows);
        WHEN 'unleashed.stock' THEN RETURN sync_upsert_unleashed_stock(p_rows);
        WHEN 'unleashed.products' THEN RETURN sync_upsert_products('unleashed', p_rows);
        WHEN 'unleashed.purchase_orders' THEN RETURN sync_upsert_purchase_orders(p_rows);
        WHEN 'unleashed.sales_orders' THEN RETURN sync_upsert_orders('unleashed', p_rows);
        WHEN 'amazon.orders' THEN RETURN sync_upsert_orders('amazon', p_rows);
        ELSE RAISE EXCEPTION 'no upsert for %.%', p_source, p_resource
                 USING ERRCODE = '22023';
    END CASE;
END;
$$;
