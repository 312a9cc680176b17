-- migrations/functions/privacy.sql: the privacy job family's SQL (worker/jobs/privacy.c,
-- docs/INTEGRATIONS.md "Compliance webhooks" and "Retention"). Re-applied by
-- sentia-migrate up whenever this file changes (docs/MIGRATIONS.md).
--
-- Where personal data lives (every function below covers each place):
--   customers          wa_id, phone, profile_name (WhatsApp customers)
--   whatsapp_messages  body, from_address, to_address
--   notifications      body, to_address
--   orders             raw: the provider's record (Shopify customer, e-mail,
--                      phone, addresses, browser details, note; Amazon buyer
--                      and shipping address)
--   data_requests      customer_email, customer_phone, payload, export
-- A Shopify customer is matched by its id (orders.raw customer.id), its
-- e-mail (case-insensitive), the orders the webhook names, and its phone's
-- digits (WhatsApp customers, messages and notifications). Each function is
-- idempotent: what was cleared is marked (redacted_at, body_cleared_at) and
-- never touched again, and the audit row is written once per delivery.

-- The digits of a phone number or WhatsApp address ('' when none).
CREATE OR REPLACE FUNCTION privacy_digits(p text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(regexp_replace(p, '[^0-9]', '', 'g'), '')
$$;

-- An order's provider record without its personal fields.
CREATE OR REPLACE FUNCTION privacy_strip_raw(p_raw jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(p_raw) = 'object'
                THEN p_raw - ARRAY['customer', 'email', 'contact_email', 'phone',
                                   'billing_address', 'shipping_address', 'client_details',
                                   'browser_ip', 'note', 'note_attributes', 'customer_locale',
                                   'landing_site', 'referring_site', 'BuyerInfo',
                                   'ShippingAddress', 'BuyerEmail', 'BuyerName']
                ELSE p_raw END
$$;

-- Whether two phone numbers' digits are the same number: equal, or one
-- ends with the other when that one has at least 9 digits (a national
-- "555-625-1199" and WhatsApp's "15556251199"). Fewer than 6 digits: never.
CREATE OR REPLACE FUNCTION privacy_phone_match(p_a text, p_b text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT length(p_a) >= 6 AND length(p_b) >= 6
       AND (p_a = p_b
            OR (least(length(p_a), length(p_b)) >= 9
                AND right(p_a, least(length(p_a), length(p_b)))
                    = right(p_b, least(length(p_a), length(p_b)))))
$$;

-- The WhatsApp customers whose phone or WhatsApp id is the number p_digits.
CREATE OR REPLACE FUNCTION privacy_phone_customers(p_digits text) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT id FROM customers
     WHERE length(p_digits) >= 6
       AND (privacy_phone_match(wa_id, p_digits)
            OR privacy_phone_match(privacy_digits(phone), p_digits))
$$;

-- The ids of a store's orders that belong to a Shopify customer (a webhook body).
CREATE OR REPLACE FUNCTION privacy_customer_orders(p_store text, p_body jsonb, p_list text)
RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
    SELECT o.id FROM orders o
     WHERE o.source = 'shopify' AND o.account = p_store
       AND (o.external_id IN (SELECT jsonb_array_elements(
                                         CASE WHEN jsonb_typeof(p_body -> p_list) = 'array'
                                              THEN p_body -> p_list ELSE '[]' END) #>> '{}')
            OR (p_body #>> '{customer,id}' IS NOT NULL
                AND o.raw #>> '{customer,id}' = p_body #>> '{customer,id}')
            OR (nullif(p_body #>> '{customer,email}', '') IS NOT NULL
                AND lower(p_body #>> '{customer,email}')
                    IN (lower(o.raw ->> 'email'), lower(o.raw ->> 'contact_email'),
                        lower(o.raw #>> '{customer,email}'))))
$$;

-- Writes the audit row of a privacy action once per delivery (request id).
CREATE OR REPLACE FUNCTION privacy_audit(p_action text, p_store text, p_target text,
                                         p_request_id text, p_detail jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO audit_log (subject, role, auth_kind, action, target, request_id, outcome, detail)
    SELECT 'shopify:' || p_store, 'none', 'webhook', p_action, p_target, p_request_id, 'done',
           p_detail
     WHERE NOT EXISTS (SELECT 1 FROM audit_log
                        WHERE action = p_action AND request_id = p_request_id
                          AND subject = 'shopify:' || p_store)
$$;

-- customers/data_request: one export of what Sentia holds about the
-- customer, stored in data_requests (once per store and request id) and
-- returned with "repeat" true when it had been assembled before.
CREATE OR REPLACE FUNCTION privacy_customer_data_request(p_store text, p_shop_domain text,
                                                         p_webhook_id text, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_key text := coalesce(p_body #>> '{data_request,id}', p_webhook_id);
    v_digits text := privacy_digits(p_body #>> '{customer,phone}');
    v_req data_requests;
    v_export jsonb;
BEGIN
    SELECT * INTO v_req FROM data_requests
     WHERE provider = 'shopify' AND account = p_store AND request_key = v_key;
    IF FOUND THEN
        RETURN jsonb_build_object('data_request_id', v_req.id, 'repeat', true,
                                  'counts', v_req.export -> 'counts');
    END IF;
    v_export := privacy_export(p_store, p_body, v_digits);
    INSERT INTO data_requests (provider, account, request_key, shop_domain, shop_id, customer_ref,
                               customer_email, customer_phone, orders_requested, payload,
                               status, export, exported_at)
    VALUES ('shopify', p_store, v_key, coalesce(nullif(p_shop_domain, ''), p_body ->> 'shop_domain',
                                                p_store),
            (p_body ->> 'shop_id')::bigint, p_body #>> '{customer,id}',
            p_body #>> '{customer,email}', p_body #>> '{customer,phone}',
            CASE WHEN jsonb_typeof(p_body -> 'orders_requested') = 'array'
                 THEN p_body -> 'orders_requested' ELSE '[]' END,
            p_body, 'exported', v_export, now())
    ON CONFLICT (provider, account, request_key) DO NOTHING
    RETURNING * INTO v_req;
    IF NOT FOUND THEN -- a concurrent copy stored it first
        RETURN jsonb_build_object('repeat', true);
    END IF;
    PERFORM privacy_audit('privacy.customer_data_request', p_store, 'data_request:' || v_req.id,
                          p_webhook_id, jsonb_build_object('request_key', v_key,
                                                           'counts', v_export -> 'counts'));
    RETURN jsonb_build_object('data_request_id', v_req.id, 'repeat', false,
                              'counts', v_export -> 'counts');
END;
$$;

-- The export document: the customer as the request names it, the WhatsApp
-- customers with that phone, the store's orders of that customer (with
-- lines) and their WhatsApp messages and notifications.
CREATE OR REPLACE FUNCTION privacy_export(p_store text, p_body jsonb, p_digits text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH o AS (SELECT * FROM orders WHERE id IN (SELECT privacy_customer_orders(
                                                     p_store, p_body, 'orders_requested'))),
         c AS (SELECT * FROM customers
                WHERE id IN (SELECT privacy_phone_customers(p_digits))
                   OR id IN (SELECT customer_id FROM o)),
         m AS (SELECT * FROM whatsapp_messages
                WHERE customer_id IN (SELECT id FROM c)
                   OR privacy_phone_match(privacy_digits(from_address), p_digits)
                   OR privacy_phone_match(privacy_digits(to_address), p_digits)),
         n AS (SELECT * FROM notifications
                WHERE privacy_phone_match(privacy_digits(to_address), p_digits))
    SELECT jsonb_build_object(
        'store', p_store,
        'generated_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'customer', coalesce(p_body -> 'customer', 'null'),
        'whatsapp_customers', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', id, 'wa_id', wa_id, 'phone', phone, 'profile_name', profile_name,
            'created_at', created_at, 'last_contact_at', last_contact_at) ORDER BY id) FROM c),
            '[]'),
        'orders', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'source', source, 'account', account, 'external_id', external_id,
            'number', number, 'status', status, 'currency', currency, 'total', total::text,
            'placed_at', placed_at, 'raw', raw,
            'lines', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'sku', l.sku, 'name', l.name, 'quantity', l.quantity,
                          'unit_price', l.unit_price::text) ORDER BY l.line_no), '[]')
                        FROM order_lines l WHERE l.order_id = o.id)) ORDER BY id) FROM o), '[]'),
        'whatsapp_messages', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'direction', direction, 'from', from_address, 'to', to_address, 'body', body,
            'status', status, 'created_at', created_at) ORDER BY id) FROM m), '[]'),
        'notifications', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'channel', channel, 'to', to_address, 'body', body, 'status', status,
            'created_at', created_at) ORDER BY id) FROM n), '[]'),
        'counts', jsonb_build_object(
            'whatsapp_customers', (SELECT count(*) FROM c), 'orders', (SELECT count(*) FROM o),
            'whatsapp_messages', (SELECT count(*) FROM m),
            'notifications', (SELECT count(*) FROM n)))
$$;

-- Clears the personal fields of the given customers, orders, messages and
-- notifications (those not cleared before); the counts changed.
CREATE OR REPLACE FUNCTION privacy_clear(p_customers bigint[], p_orders bigint[],
                                         p_digits text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_c integer; v_o integer; v_m integer; v_n integer;
BEGIN
    UPDATE orders SET raw = privacy_strip_raw(raw), redacted_at = now()
     WHERE id = ANY (p_orders) AND redacted_at IS NULL;
    GET DIAGNOSTICS v_o = ROW_COUNT;
    UPDATE whatsapp_messages
       SET body = NULL, from_address = NULL, to_address = NULL, body_cleared_at = now()
     WHERE body_cleared_at IS NULL
       AND (customer_id = ANY (p_customers)
            OR privacy_phone_match(privacy_digits(from_address), p_digits)
            OR privacy_phone_match(privacy_digits(to_address), p_digits));
    GET DIAGNOSTICS v_m = ROW_COUNT;
    -- a notification being sent (claimed) keeps its address until retention
    UPDATE notifications
       SET body = '', to_address = '', body_cleared_at = now(),
           status = CASE WHEN status IN ('pending', 'retrying') THEN 'canceled' ELSE status END
     WHERE body_cleared_at IS NULL AND status <> 'claimed'
       AND privacy_phone_match(privacy_digits(to_address), p_digits);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE customers SET wa_id = NULL, phone = NULL, profile_name = NULL, redacted_at = now()
     WHERE id = ANY (p_customers) AND redacted_at IS NULL;
    GET DIAGNOSTICS v_c = ROW_COUNT;
    RETURN jsonb_build_object('customers', v_c, 'orders', v_o, 'whatsapp_messages', v_m,
                              'notifications', v_n);
END;
$$;

-- Clears the personal fields of data_requests rows (export, contact, payload).
CREATE OR REPLACE FUNCTION privacy_clear_requests(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v integer;
BEGIN
    UPDATE data_requests
       SET export = NULL, customer_email = NULL, customer_phone = NULL,
           payload = jsonb_build_object('redacted', true)
     WHERE id = ANY (p_ids) AND NOT (payload ? 'redacted');
    GET DIAGNOSTICS v = ROW_COUNT;
    RETURN v;
END;
$$;

-- customers/redact: the customer's personal data erased in every table;
-- order rows stay (accounting) with their personal fields cleared.
CREATE OR REPLACE FUNCTION privacy_customer_redact(p_store text, p_webhook_id text,
                                                   p_body jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_digits text := privacy_digits(p_body #>> '{customer,phone}');
    v_orders bigint[];
    v_customers bigint[];
    v_requests bigint[];
    v_counts jsonb;
BEGIN
    SELECT array_agg(id) INTO v_orders
      FROM privacy_customer_orders(p_store, p_body, 'orders_to_redact') AS id;
    SELECT array_agg(DISTINCT id) INTO v_customers
      FROM (SELECT privacy_phone_customers(v_digits) AS id
            UNION SELECT customer_id FROM orders
                   WHERE id = ANY (v_orders) AND customer_id IS NOT NULL) x;
    SELECT array_agg(id) INTO v_requests FROM data_requests
     WHERE provider = 'shopify' AND account = p_store
       AND ((p_body #>> '{customer,id}' IS NOT NULL
             AND customer_ref = p_body #>> '{customer,id}')
            OR (nullif(p_body #>> '{customer,email}', '') IS NOT NULL
                AND lower(customer_email) = lower(p_body #>> '{customer,email}')));
    v_counts := privacy_clear(coalesce(v_customers, '{}'), coalesce(v_orders, '{}'), v_digits)
                || jsonb_build_object('data_requests',
                                      privacy_clear_requests(coalesce(v_requests, '{}')));
    PERFORM privacy_audit('privacy.customer_redact', p_store,
                          'customer:' || coalesce(p_body #>> '{customer,id}', 'unknown'),
                          p_webhook_id, jsonb_build_object('cleared', v_counts));
    RETURN jsonb_build_object('cleared', v_counts);
END;
$$;

-- shop/redact: every personal field Sentia holds for the store (its orders'
-- records, the WhatsApp customers of its orders and their messages, its data
-- requests). Other stores, Amazon and WhatsApp-only customers are untouched.
CREATE OR REPLACE FUNCTION privacy_shop_redact(p_store text, p_webhook_id text, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_orders bigint[];
    v_customers bigint[];
    v_requests bigint[];
    v_counts jsonb;
BEGIN
    SELECT array_agg(id), array_agg(DISTINCT customer_id) FILTER (WHERE customer_id IS NOT NULL)
      INTO v_orders, v_customers
      FROM orders WHERE source = 'shopify' AND account = p_store;
    SELECT array_agg(id) INTO v_requests FROM data_requests
     WHERE provider = 'shopify' AND account = p_store;
    v_counts := privacy_clear(coalesce(v_customers, '{}'), coalesce(v_orders, '{}'), '')
                || jsonb_build_object('data_requests',
                                      privacy_clear_requests(coalesce(v_requests, '{}')));
    PERFORM privacy_audit('privacy.shop_redact', p_store,
                          'shop:' || coalesce(p_body ->> 'shop_domain', p_store), p_webhook_id,
                          jsonb_build_object('cleared', v_counts));
    RETURN jsonb_build_object('cleared', v_counts);
END;
$$;

-- privacy.retention: personal data older than p_days days cleared — WhatsApp
-- message bodies and addresses, finished notifications, customers not heard
-- from since (contact details), order records, data request exports.
CREATE OR REPLACE FUNCTION privacy_retention(p_days integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_cut timestamptz := now() - make_interval(days => p_days);
    v_m integer; v_n integer; v_c integer; v_o integer; v_r integer;
BEGIN
    IF p_days IS NULL OR p_days < 1 THEN
        RAISE EXCEPTION 'retention days must be at least 1' USING ERRCODE = '22023';
    END IF;
    UPDATE whatsapp_messages
       SET body = NULL, from_address = NULL, to_address = NULL, body_cleared_at = now()
     WHERE created_at < v_cut AND body_cleared_at IS NULL;
    GET DIAGNOSTICS v_m = ROW_COUNT;
    UPDATE notifications SET body = '', to_address = '', body_cleared_at = now()
     WHERE created_at < v_cut AND body_cleared_at IS NULL
       AND status NOT IN ('pending', 'claimed', 'retrying');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE customers c SET wa_id = NULL, phone = NULL, profile_name = NULL, redacted_at = now()
     WHERE c.redacted_at IS NULL AND greatest(c.last_contact_at, c.updated_at) < v_cut
       AND NOT EXISTS (SELECT 1 FROM whatsapp_messages m
                        WHERE m.customer_id = c.id AND m.created_at >= v_cut);
    GET DIAGNOSTICS v_c = ROW_COUNT;
    UPDATE orders SET raw = privacy_strip_raw(raw), redacted_at = now()
     WHERE redacted_at IS NULL AND placed_at < v_cut
       AND coalesce(external_updated_at, updated_at) < v_cut;
    GET DIAGNOSTICS v_o = ROW_COUNT;
    UPDATE data_requests
       SET export = NULL, customer_email = NULL, customer_phone = NULL,
           payload = jsonb_build_object('redacted', true)
     WHERE received_at < v_cut AND NOT (payload ? 'redacted');
    GET DIAGNOSTICS v_r = ROW_COUNT;
    RETURN jsonb_build_object('days', p_days, 'whatsapp_messages', v_m, 'notifications', v_n,
                              'customers', v_c, 'orders', v_o, 'data_requests', v_r);
END;
$$;
