-- migrations/functions/whatsapp_place_order.sql: whatsapp_place_order, first created by 0002_commerce.sql
-- (its old signature dropped by 0009_whatsapp_limits.sql).
-- Re-applied by sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- Places the order a WhatsApp message asked for, or says why not.
--
-- p_items: [{"sku": "SKU-1", "qty": 2}, …] in message order; an item may
-- carry "error" ("quantity", "unreadable") found by the parser, with
-- "qty_text"/"text" for the reply. p_problems: problems with the message as
-- a whole found by the parser ({"problem": "no_items"}, …).
--
-- Returns {"ok": true, "order": <commerce_order_json>} or
-- {"ok": false, "problems": [{"problem": …, "sku": …, …}, …]} where problem is
-- unknown_sku, inactive, quantity (qty_text), stock (requested, available),
-- duplicate, currency (currency, order_currency), unreadable (text),
-- total_too_large, too_many_units (max, requested), too_many_pending (max,
-- pending, numbers: the customer's open orders, then the only problem), or one
-- of p_problems. Any problem: nothing is written.
--
-- Per-customer limits (issue 17 §5), NULL = none: p_max_pending open
-- (pending) orders per customer, p_max_units units summed over the order's
-- lines. The limits' values belong to the worker's settings
-- (WHATSAPP_MAX_PENDING_ORDERS, WHATSAPP_MAX_UNITS_PER_ORDER); this function
-- only enforces them. The customer's row is locked before their pending
-- orders are counted, so two messages of one customer at once serialise
-- there and cannot both pass the count.
--
-- The inventory rows of the order's SKUs at p_location are locked in SKU
-- order before the stock is read, so concurrent orders serialise on them
-- and never oversell, and never deadlock on each other. Idempotent on
-- p_message_sid: an order it already placed is returned as it is.
CREATE OR REPLACE FUNCTION whatsapp_place_order(p_message_sid text, p_customer_id bigint,
                                     p_items jsonb, p_problems jsonb, p_location text,
                                     p_max_pending integer DEFAULT NULL,
                                     p_max_units integer DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_order_id bigint;
    v_problems jsonb := COALESCE(p_problems, '[]'::jsonb);
    v_lines jsonb := '[]'::jsonb;
    v_seen text[] := '{}';
    v_currency text;
    v_total numeric := 0;
    v_qty bigint;
    v_units bigint := 0;
    v_pending jsonb;
    r record;
BEGIN
    SELECT id INTO v_order_id FROM orders
     WHERE source = 'whatsapp' AND external_id = p_message_sid;
    IF FOUND THEN
        RETURN jsonb_build_object('ok', true, 'order', commerce_order_json(v_order_id));
    END IF;

    IF p_max_pending IS NOT NULL THEN
        PERFORM 1 FROM customers WHERE id = p_customer_id FOR UPDATE;
        SELECT COALESCE(jsonb_agg(number ORDER BY number), '[]'::jsonb) INTO v_pending
          FROM orders WHERE customer_id = p_customer_id AND status = 'pending';
        IF jsonb_array_length(v_pending) >= p_max_pending THEN
            RETURN jsonb_build_object('ok', false, 'problems', jsonb_build_array(
                jsonb_build_object('problem', 'too_many_pending', 'max', p_max_pending,
                                   'pending', jsonb_array_length(v_pending),
                                   'numbers', v_pending)));
        END IF;
    END IF;

    PERFORM 1 FROM inventory i JOIN products p ON p.sku = i.sku
     WHERE i.location = p_location
       AND upper(p.sku) IN (SELECT upper(e ->> 'sku')
                              FROM jsonb_array_elements(COALESCE(p_items, '[]')) e)
     ORDER BY i.sku
       FOR UPDATE OF i;

    FOR r IN
        SELECT e.item, p.sku, p.name, p.unit_price, p.currency, p.active,
               COALESCE(i.on_hand - i.allocated, 0) AS available
          FROM jsonb_array_elements(COALESCE(p_items, '[]')) WITH ORDINALITY AS e(item, ord)
          LEFT JOIN products p ON upper(p.sku) = upper(e.item ->> 'sku')
          LEFT JOIN inventory i ON i.sku = p.sku AND i.location = p_location
         ORDER BY e.ord
    LOOP
        IF r.item ->> 'error' = 'unreadable' OR r.item ->> 'sku' IS NULL THEN
            v_problems := v_problems || jsonb_build_object(
                'problem', 'unreadable', 'text', COALESCE(r.item ->> 'text', ''));
            CONTINUE;
        END IF;
        IF r.sku IS NULL THEN
            v_problems := v_problems || jsonb_build_object(
                'problem', 'unknown_sku', 'sku', r.item ->> 'sku');
        ELSIF NOT r.active THEN
            v_problems := v_problems || jsonb_build_object('problem', 'inactive', 'sku', r.sku);
        ELSIF r.sku = ANY (v_seen) THEN
            v_problems := v_problems || jsonb_build_object('problem', 'duplicate', 'sku', r.sku);
            CONTINUE;
        END IF;
        IF r.sku IS NOT NULL THEN
            v_seen := v_seen || r.sku;
        END IF;

        v_qty := NULL;
        IF r.item ->> 'error' IS NULL AND jsonb_typeof(r.item -> 'qty') = 'number'
           AND (r.item ->> 'qty') ~ '^-?[0-9]{1,18}$' THEN
            v_qty := (r.item ->> 'qty')::bigint;
        END IF;
        IF v_qty IS NULL OR v_qty < 1 OR v_qty > 10000 THEN
            v_problems := v_problems || jsonb_build_object(
                'problem', 'quantity', 'sku', COALESCE(r.sku, r.item ->> 'sku'),
                'qty_text', COALESCE(r.item ->> 'qty_text', r.item ->> 'qty', ''));
            CONTINUE;
        END IF;
        IF r.sku IS NULL OR NOT r.active THEN
            CONTINUE;
        END IF;

        IF v_qty > r.available THEN
            v_problems := v_problems || jsonb_build_object(
                'problem', 'stock', 'sku', r.sku, 'requested', v_qty,
                'available', greatest(r.available, 0));
        END IF;
        IF v_currency IS NULL THEN
            v_currency := r.currency;
        ELSIF r.currency <> v_currency THEN
            v_problems := v_problems || jsonb_build_object(
                'problem', 'currency', 'sku', r.sku, 'currency', r.currency,
                'order_currency', v_currency);
        END IF;
        v_total := v_total + v_qty * r.unit_price;
        v_units := v_units + v_qty;
        v_lines := v_lines || jsonb_build_object(
            'sku', r.sku, 'name', r.name, 'qty', v_qty,
            'unit_price', r.unit_price, 'line_total', v_qty * r.unit_price);
    END LOOP;

    IF p_max_units IS NOT NULL AND v_units > p_max_units THEN
        v_problems := v_problems || jsonb_build_object(
            'problem', 'too_many_units', 'max', p_max_units, 'requested', v_units);
    END IF;
    IF v_total > 999999999999.99 THEN
        v_problems := v_problems || jsonb_build_object('problem', 'total_too_large');
    END IF;
    IF jsonb_array_length(v_lines) = 0 AND jsonb_array_length(v_problems) = 0 THEN
        v_problems := jsonb_build_array(jsonb_build_object('problem', 'no_items'));
    END IF;
    IF jsonb_array_length(v_problems) > 0 THEN
        RETURN jsonb_build_object('ok', false, 'problems', v_problems);
    END IF;

    INSERT INTO orders (source, external_id, customer_id, currency, total, stock_location)
    VALUES ('whatsapp', p_message_sid, p_customer_id, v_currency, v_total, p_location)
    ON CONFLICT (source, account, external_id) DO NOTHING
    RETURNING id INTO v_order_id;
    IF v_order_id IS NULL THEN  -- a concurrent call for the same message won
        SELECT id INTO v_order_id FROM orders
         WHERE source = 'whatsapp' AND external_id = p_message_sid;
        RETURN jsonb_build_object('ok', true, 'order', commerce_order_json(v_order_id));
    END IF;

    INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price, line_total)
    SELECT v_order_id, l.ord, l.line ->> 'sku', l.line ->> 'name', (l.line ->> 'qty')::integer,
           (l.line ->> 'unit_price')::numeric, (l.line ->> 'line_total')::numeric
      FROM jsonb_array_elements(v_lines) WITH ORDINALITY AS l(line, ord);

    UPDATE inventory i SET allocated = i.allocated + (l ->> 'qty')::integer
      FROM jsonb_array_elements(v_lines) l
     WHERE i.sku = l ->> 'sku' AND i.location = p_location;

    RETURN jsonb_build_object('ok', true, 'order', commerce_order_json(v_order_id));
END;
$$;
