-- migrations/functions/whatsapp_cancel_order.sql: whatsapp_cancel_order, first created by 0002_commerce.sql.
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- Cancels a customer's pending order and releases its stock allocation.
-- Returns {"ok": true, "order": …} or {"ok": false, "problem": not_found |
-- already_cancelled | not_pending, "order": … when found}. Calling it again
-- for the same order answers already_cancelled and releases nothing twice:
-- the status change is the guard. cancel_reason 'customer' tells it from an
-- expiry (whatsapp_expire_pending).
CREATE OR REPLACE FUNCTION whatsapp_cancel_order(p_customer_id bigint, p_number bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_order orders%ROWTYPE;
BEGIN
    SELECT * INTO v_order FROM orders
     WHERE number = p_number AND customer_id = p_customer_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('ok', false, 'problem', 'not_found');
    ELSIF v_order.status = 'cancelled' THEN
        RETURN jsonb_build_object('ok', false, 'problem', 'already_cancelled',
                                  'order', commerce_order_json(v_order.id));
    ELSIF v_order.status <> 'pending' THEN
        RETURN jsonb_build_object('ok', false, 'problem', 'not_pending',
                                  'order', commerce_order_json(v_order.id));
    END IF;

    IF v_order.stock_location IS NOT NULL THEN
        PERFORM 1 FROM inventory i
         WHERE i.location = v_order.stock_location
           AND i.sku IN (SELECT sku FROM order_lines WHERE order_id = v_order.id)
         ORDER BY i.sku
           FOR UPDATE;
        UPDATE inventory i SET allocated = greatest(i.allocated - l.qty, 0)
          FROM (SELECT sku, sum(quantity) AS qty FROM order_lines
                 WHERE order_id = v_order.id GROUP BY sku) l
         WHERE i.sku = l.sku AND i.location = v_order.stock_location;
    END IF;
    UPDATE orders SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'customer'
     WHERE id = v_order.id;
    RETURN jsonb_build_object('ok', true, 'order', commerce_order_json(v_order.id));
END;
$$;
