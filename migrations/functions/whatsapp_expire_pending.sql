-- migrations/functions/whatsapp_expire_pending.sql: whatsapp_expire_pending, first created here
-- (issue 17 §5). Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- Cancels WhatsApp orders still pending p_ttl_hours after they were placed
-- (at most p_limit of them, oldest first), releases their stock allocation
-- and says whom to tell. Called by the whatsapp.expire_pending job
-- (worker/jobs/whatsapp.c) with ORDER_PENDING_TTL_HOURS.
--
-- Exactly once, whoever runs it at the same time: an order is taken with
-- FOR UPDATE SKIP LOCKED and must still be pending, so a concurrent run
-- (another worker, a customer's CANCEL) either skips it or finds it no longer
-- pending; the status change, cancel_reason 'expired' and the release are one
-- transaction. The inventory rows of all taken orders are locked in SKU
-- order in one statement, as whatsapp_place_order does, so the sweep never
-- deadlocks with orders being placed.
--
-- Returns {"expired": N, "notify": [{"number", "to", "order"}, …]}: the
-- orders expired now plus those expired (at most p_limit in all) in the last p_renotify_hours whose
-- notification (idempotency key "expired:<number>") does not exist yet — the
-- job enqueues one notify.whatsapp per entry with that key, so a crash
-- between this commit and the enqueue is repaired by the next run, and a
-- second enqueue of the same key is refused by the queue and the
-- notifications row (one message per order). "to" is the customer's
-- WhatsApp address: customers.phone, the From Twilio last gave (it may differ
-- from the WhatsApp id in some countries), else whatsapp:+<wa_id> when phone
-- was cleared or is not a WhatsApp address.
CREATE OR REPLACE FUNCTION whatsapp_expire_pending(p_ttl_hours integer, p_limit integer,
                                                   p_renotify_hours integer DEFAULT 24)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_ids bigint[];
BEGIN
    SELECT COALESCE(array_agg(id), '{}') INTO v_ids FROM (
        SELECT o.id FROM orders o
         WHERE o.status = 'pending' AND o.source = 'whatsapp'
           AND o.placed_at < now() - make_interval(hours => p_ttl_hours)
         ORDER BY o.placed_at, o.id
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED) t;

    PERFORM 1 FROM inventory i
      JOIN orders o ON o.id = ANY (v_ids) AND i.location = o.stock_location
     WHERE i.sku IN (SELECT sku FROM order_lines WHERE order_id = o.id)
     ORDER BY i.sku, i.location
       FOR UPDATE OF i;

    UPDATE inventory i SET allocated = greatest(i.allocated - l.qty, 0)
      FROM (SELECT o.stock_location AS location, ol.sku, sum(ol.quantity) AS qty
              FROM orders o JOIN order_lines ol ON ol.order_id = o.id
             WHERE o.id = ANY (v_ids) AND o.stock_location IS NOT NULL
             GROUP BY o.stock_location, ol.sku) l
     WHERE i.sku = l.sku AND i.location = l.location;

    UPDATE orders SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'expired'
     WHERE id = ANY (v_ids);

    RETURN jsonb_build_object(
        'expired', cardinality(v_ids),
        'notify', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                       'number', t.number, 'to', t.address,
                       'order', commerce_order_json(t.id)) ORDER BY t.number)
              FROM (SELECT o.id, o.number, CASE WHEN c.phone LIKE 'whatsapp:+%'
                                   THEN c.phone ELSE 'whatsapp:+' || c.wa_id END AS address
                      FROM orders o JOIN customers c ON c.id = o.customer_id
                     WHERE o.cancel_reason = 'expired'
                       AND o.cancelled_at > now() - make_interval(hours => p_renotify_hours)
                       AND NOT EXISTS (SELECT 1 FROM notifications n
                                        WHERE n.idempotency_key = 'expired:' || o.number)
                     ORDER BY o.number
                     LIMIT p_limit) t), '[]'::jsonb));
END;
$$;
