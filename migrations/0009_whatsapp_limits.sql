-- 0009_whatsapp_limits: per-customer limits on WhatsApp orders and the
-- expiry of pending ones (issue 17 §5, docs/WHATSAPP.md "Order rules").
--
-- orders.cancel_reason says who cancelled an order: 'customer' (CANCEL
-- <number>) or 'expired' (whatsapp_expire_pending, after
-- ORDER_PENDING_TTL_HOURS); NULL for orders cancelled before this migration
-- or by a sync. The expiry sweep and the per-customer count of open orders
-- read pending orders only, hence the partial indexes.
--
-- whatsapp_inbound and whatsapp_place_order gain the limit arguments, so the
-- old signatures are dropped here and migrations/functions/ recreates both
-- (a changed signature cannot be replaced: docs/MIGRATIONS.md).

ALTER TABLE orders ADD COLUMN cancel_reason text
    CHECK (cancel_reason IN ('customer', 'expired'));

CREATE INDEX orders_pending_placed_at ON orders (placed_at) WHERE status = 'pending';
CREATE INDEX orders_pending_customer ON orders (customer_id) WHERE status = 'pending';
CREATE INDEX orders_expired_cancelled_at ON orders (cancelled_at)
    WHERE cancel_reason = 'expired';

DROP FUNCTION whatsapp_inbound(text, text, text, text, text, text, integer, jsonb, text);
DROP FUNCTION whatsapp_place_order(text, bigint, jsonb, jsonb, text);
