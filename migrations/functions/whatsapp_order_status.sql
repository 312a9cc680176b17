-- migrations/functions/whatsapp_order_status.sql: whatsapp_order_status, first created by 0002_commerce.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- A customer's orders: the one numbered p_number (only if it is theirs), or
-- with p_number NULL their p_limit latest. Returns
-- {"ok": true, "orders": [<commerce_order_json>, …]} (newest first; may be
-- empty without a number) or {"ok": false, "problem": "not_found"}.
CREATE OR REPLACE FUNCTION whatsapp_order_status(p_customer_id bigint, p_number bigint,
                                      p_limit integer DEFAULT 5)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_number IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM orders WHERE number = p_number AND customer_id = p_customer_id)
            THEN jsonb_build_object('ok', false, 'problem', 'not_found')
        ELSE jsonb_build_object('ok', true, 'orders', COALESCE((
            SELECT jsonb_agg(commerce_order_json(o.id) ORDER BY o.id DESC)
              FROM (SELECT id FROM orders
                     WHERE customer_id = p_customer_id
                       AND (p_number IS NULL OR number = p_number)
                     ORDER BY id DESC
                     LIMIT greatest(p_limit, 1)) o), '[]'::jsonb))
    END
$$;
