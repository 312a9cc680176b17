-- 0002_commerce: customers, products, stock, orders, WhatsApp messages and
-- outbound notifications (docs/WHATSAPP.md).
--
-- Products are keyed by sku and stock by (sku, location), so the Shopify and
-- Unleashed syncs of later issues upsert into the same rows. A SKU is matched
-- case-insensitively when a customer types it, hence the unique index on
-- upper(sku): two products differing only in case would be ambiguous.
--
-- Stock: on_hand is what the stock system counted, allocated what pending
-- and confirmed orders reserved; available = on_hand - allocated. A stock
-- count may lower on_hand below allocated (the goods went elsewhere), so the
-- table accepts it and available is then negative (shown as 0); an order is
-- only placed when every line's available stock covers it, checked with the
-- inventory rows locked.
--
-- Orders: `number` is the human order number (from 1001), distinct from the
-- surrogate id; (source, external_id) is unique, so an order arriving twice
-- from any source is one row. WhatsApp orders use the inbound MessageSid as
-- external_id.
--
-- Message statuses only move forward (message_status_rank): a late "sent"
-- callback never overwrites "delivered".

-- ---- tables ----------------------------------------------------------------

CREATE TABLE customers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wa_id        text NOT NULL UNIQUE CHECK (wa_id ~ '^[0-9]{1,32}$'),
    phone        text,
    profile_name text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    sku        text PRIMARY KEY CHECK (sku <> '' AND length(sku) <= 255),
    name       text NOT NULL,
    unit_price numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX products_sku_ci ON products (upper(sku));

CREATE TABLE inventory (
    sku        text NOT NULL REFERENCES products (sku) ON UPDATE CASCADE,
    location   text NOT NULL CHECK (location <> ''),
    on_hand    integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    allocated  integer NOT NULL DEFAULT 0 CHECK (allocated >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sku, location)
);

CREATE SEQUENCE order_number_seq START WITH 1001;

CREATE TABLE orders (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number         bigint NOT NULL UNIQUE DEFAULT nextval('order_number_seq'),
    source         text NOT NULL CHECK (source ~ '^[a-z][a-z0-9_]{0,31}$'),
    external_id    text NOT NULL CHECK (external_id <> ''),
    customer_id    bigint REFERENCES customers (id),
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'confirmed', 'cancelled')),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total          numeric(14, 2) NOT NULL CHECK (total >= 0),
    stock_location text,  -- where its lines' stock is allocated; NULL: none
    placed_at      timestamptz NOT NULL DEFAULT now(),
    cancelled_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id)
);

ALTER SEQUENCE order_number_seq OWNED BY orders.number;
CREATE INDEX orders_customer ON orders (customer_id, id DESC);
CREATE INDEX orders_placed_at ON orders (placed_at);

CREATE TABLE order_lines (
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no    integer NOT NULL CHECK (line_no >= 1),
    sku        text NOT NULL,
    name       text NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
    line_total numeric(14, 2) NOT NULL CHECK (line_total >= 0),
    PRIMARY KEY (order_id, line_no)
);

CREATE INDEX order_lines_sku ON order_lines (sku);

-- Inbound rows: status 'received', command and result filled by
-- whatsapp_inbound. Outbound rows: created when Twilio accepted a message (or
-- by an early status callback), status as Twilio last reported it.
CREATE TABLE whatsapp_messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_sid  text NOT NULL UNIQUE CHECK (message_sid ~ '^[A-Za-z0-9]{2,64}$'),
    direction    text NOT NULL CHECK (direction IN ('in', 'out')),
    customer_id  bigint REFERENCES customers (id),
    from_address text,
    to_address   text,
    body         text,
    num_media    integer NOT NULL DEFAULT 0 CHECK (num_media >= 0),
    status       text NOT NULL,
    error_code   integer,
    command      text,
    result       jsonb,
    order_id     bigint REFERENCES orders (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX whatsapp_messages_customer ON whatsapp_messages (customer_id, id);

-- Statuses: pending (recorded, not sent), claimed (a worker is sending it),
-- retrying (the last attempt failed transiently), failed with provider_id
-- NULL (the provider refused it: error_code, last_error), then the
-- provider's own: accepted, scheduled, queued, sending, sent, delivered,
-- read, undelivered, failed, canceled, partially_delivered.
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE
                    CHECK (length(idempotency_key) BETWEEN 1 AND 512),
    channel         text NOT NULL CHECK (channel IN ('whatsapp', 'sms')),
    to_address      text NOT NULL,
    body            text NOT NULL,
    in_reply_to     text,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN (
                        'pending', 'claimed', 'retrying', 'accepted', 'scheduled',
                        'queued', 'sending', 'sent', 'delivered', 'read',
                        'undelivered', 'failed', 'canceled', 'partially_delivered')),
    provider_id     text UNIQUE,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    error_code      integer,
    claimed_by      text,
    claimed_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,  -- the provider accepted it
    delivered_at    timestamptz,
    read_at         timestamptz
);

CREATE INDEX notifications_unsent ON notifications (created_at)
    WHERE status IN ('pending', 'claimed', 'retrying');
CREATE INDEX notifications_in_reply_to ON notifications (in_reply_to);

CREATE TRIGGER customers_set_updated_at BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER products_set_updated_at BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER inventory_set_updated_at BEFORE UPDATE ON inventory
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER whatsapp_messages_set_updated_at BEFORE UPDATE ON whatsapp_messages
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER notifications_set_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---- helpers -----------------------------------------------------------------

-- The order of message statuses; a status is only replaced by a higher rank.
-- Our own states before the provider accepted a message rank 0; the
-- provider's end states rank 4 (the first one reported wins), 'read' 5.
-- 'received' (inbound messages) ranks above everything: callbacks never
-- touch inbound rows. NULL: a status we do not know.
CREATE FUNCTION message_status_rank(p_status text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_status
        WHEN 'pending' THEN 0 WHEN 'claimed' THEN 0 WHEN 'retrying' THEN 0
        WHEN 'accepted' THEN 1 WHEN 'scheduled' THEN 1 WHEN 'queued' THEN 1
        WHEN 'sending' THEN 2
        WHEN 'sent' THEN 3
        WHEN 'delivered' THEN 4 WHEN 'undelivered' THEN 4 WHEN 'failed' THEN 4
        WHEN 'canceled' THEN 4 WHEN 'partially_delivered' THEN 4
        WHEN 'read' THEN 5
        WHEN 'received' THEN 100
    END
$$;

-- One order as the replies need it; money as text so 2 decimals survive.
CREATE FUNCTION commerce_order_json(p_order_id bigint) RETURNS jsonb
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

-- Finds or creates the customer of a WhatsApp id, keeping the latest
-- profile name and address; returns its id.
CREATE FUNCTION whatsapp_customer(p_wa_id text, p_phone text, p_profile_name text)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO customers AS c (wa_id, phone, profile_name)
    VALUES (p_wa_id, NULLIF(p_phone, ''), NULLIF(p_profile_name, ''))
    ON CONFLICT (wa_id) DO UPDATE
        SET phone = COALESCE(EXCLUDED.phone, c.phone),
            profile_name = COALESCE(EXCLUDED.profile_name, c.profile_name)
    RETURNING id
$$;

-- ---- units of work -------------------------------------------------------------

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
-- total_too_large, or one of p_problems. Any problem: nothing is written.
--
-- The inventory rows of the order's SKUs at p_location are locked in SKU
-- order before the stock is read, so concurrent orders serialise on them
-- and never oversell, and never deadlock on each other. Idempotent on
-- p_message_sid: an order it already placed is returned as it is.
CREATE FUNCTION whatsapp_place_order(p_message_sid text, p_customer_id bigint,
                                     p_items jsonb, p_problems jsonb, p_location text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_order_id bigint;
    v_problems jsonb := COALESCE(p_problems, '[]'::jsonb);
    v_lines jsonb := '[]'::jsonb;
    v_seen text[] := '{}';
    v_currency text;
    v_total numeric := 0;
    v_qty bigint;
    r record;
BEGIN
    SELECT id INTO v_order_id FROM orders
     WHERE source = 'whatsapp' AND external_id = p_message_sid;
    IF FOUND THEN
        RETURN jsonb_build_object('ok', true, 'order', commerce_order_json(v_order_id));
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
        v_lines := v_lines || jsonb_build_object(
            'sku', r.sku, 'name', r.name, 'qty', v_qty,
            'unit_price', r.unit_price, 'line_total', v_qty * r.unit_price);
    END LOOP;

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
    ON CONFLICT (source, external_id) DO NOTHING
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

-- A customer's orders: the one numbered p_number (only if it is theirs), or
-- with p_number NULL their p_limit latest. Returns
-- {"ok": true, "orders": [<commerce_order_json>, …]} (newest first; may be
-- empty without a number) or {"ok": false, "problem": "not_found"}.
CREATE FUNCTION whatsapp_order_status(p_customer_id bigint, p_number bigint,
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

-- Cancels a customer's pending order and releases its stock allocation.
-- Returns {"ok": true, "order": …} or {"ok": false, "problem": not_found |
-- already_cancelled | not_pending, "order": … when found}. Calling it again
-- for the same order answers already_cancelled and releases nothing twice:
-- the status change is the guard.
CREATE FUNCTION whatsapp_cancel_order(p_customer_id bigint, p_number bigint)
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
    UPDATE orders SET status = 'cancelled', cancelled_at = now() WHERE id = v_order.id;
    RETURN jsonb_build_object('ok', true, 'order', commerce_order_json(v_order.id));
END;
$$;

-- One page of the active products with their available stock at
-- p_location, ordered by SKU. Returns {"page", "pages", "total",
-- "products": [{"sku", "name", "unit_price", "currency", "available"}]};
-- a page past the end has no products.
CREATE FUNCTION whatsapp_catalog(p_location text, p_page integer, p_page_size integer)
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

-- The whole unit of work of one inbound WhatsApp message, in one call:
-- find or create the customer, store the message (first copy wins), run the
-- parsed command (p_command, built by worker/order_text.c) and store its
-- outcome with the message. Returns p_command merged with the outcome, plus
-- "replay": false — or, when the message was already handled, the stored
-- outcome with "replay": true, so a re-run builds the same reply and never
-- places a second order. Concurrent runs of one message serialise on its
-- row.
--
-- p_command: {"cmd": "order", "items": […], "problems": […]}, {"cmd":
-- "status", "number": N?}, {"cmd": "cancel", "number": N}, {"cmd":
-- "catalog", "page": P, "page_size": S}, {"cmd": "help" | "unknown" |
-- "empty"}; a "problem" key means the parser already knows the answer (no
-- database work).
CREATE FUNCTION whatsapp_inbound(p_message_sid text, p_wa_id text, p_from text, p_to text,
                                 p_profile_name text, p_body text, p_num_media integer,
                                 p_command jsonb, p_location text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_customer_id bigint;
    v_message_id bigint;
    v_result jsonb;
    v_outcome jsonb := '{}'::jsonb;
    v_number bigint;
    v_cmd text := COALESCE(p_command ->> 'cmd', 'unknown');
BEGIN
    v_customer_id := whatsapp_customer(p_wa_id, p_from, p_profile_name);

    INSERT INTO whatsapp_messages (message_sid, direction, customer_id, from_address,
                                   to_address, body, num_media, status)
    VALUES (p_message_sid, 'in', v_customer_id, p_from, p_to, COALESCE(p_body, ''),
            greatest(COALESCE(p_num_media, 0), 0), 'received')
    ON CONFLICT (message_sid) DO NOTHING;

    SELECT id, result INTO v_message_id, v_result FROM whatsapp_messages
     WHERE message_sid = p_message_sid FOR UPDATE;
    IF v_result IS NOT NULL THEN
        RETURN v_result || jsonb_build_object('replay', true);
    END IF;

    IF p_command ? 'problem' THEN
        v_outcome := jsonb_build_object('ok', false);
    ELSIF v_cmd = 'order' THEN
        v_outcome := whatsapp_place_order(p_message_sid, v_customer_id, p_command -> 'items',
                                          p_command -> 'problems', p_location);
    ELSIF v_cmd IN ('status', 'cancel') THEN
        IF jsonb_typeof(p_command -> 'number') = 'number'
           AND (p_command ->> 'number') ~ '^[0-9]{1,15}$' THEN
            v_number := (p_command ->> 'number')::bigint;
        END IF;
        IF v_cmd = 'status' THEN
            v_outcome := whatsapp_order_status(v_customer_id, v_number);
        ELSIF v_number IS NULL THEN
            v_outcome := jsonb_build_object('ok', false, 'problem', 'no_number');
        ELSE
            v_outcome := whatsapp_cancel_order(v_customer_id, v_number);
        END IF;
    ELSIF v_cmd = 'catalog' THEN
        v_outcome := whatsapp_catalog(
            p_location,
            CASE WHEN (p_command ->> 'page') ~ '^[0-9]{1,7}$'
                 THEN (p_command ->> 'page')::integer ELSE 1 END,
            CASE WHEN (p_command ->> 'page_size') ~ '^[0-9]{1,3}$'
                 THEN (p_command ->> 'page_size')::integer ELSE 10 END);
    END IF;

    v_result := p_command || v_outcome || jsonb_build_object('cmd', v_cmd);
    UPDATE whatsapp_messages
       SET result = v_result, command = v_cmd,
           order_id = (SELECT id FROM orders
                        WHERE v_cmd = 'order' AND source = 'whatsapp'
                          AND external_id = p_message_sid)
     WHERE id = v_message_id;
    RETURN v_result || jsonb_build_object('replay', false);
END;
$$;

-- Claims a notification for sending, creating it on first sight (the
-- first to/body recorded for a key win). Returns one row:
-- outcome 'claimed' (send it: id, to_address, body, attempts), 'done' (the
-- provider already has it, or it ended: status), or 'busy' (another run
-- claimed it less than p_stale_s seconds ago). A claim by the same
-- p_claimer (the job id: the previous attempt of this very job, which the
-- runtime never runs twice at once) is taken over at once; a stale claim
-- (a worker that died while sending) after p_stale_s. A refusal by the
-- provider (failed, no provider_id) may be claimed again: that is an
-- operator retrying a dead job.
CREATE FUNCTION notification_claim(p_key text, p_channel text, p_to text, p_body text,
                                   p_in_reply_to text, p_claimer text, p_stale_s integer)
RETURNS TABLE (outcome text, id bigint, status text, to_address text, body text,
               attempts integer, provider_id text)
LANGUAGE plpgsql AS $$
DECLARE
    n notifications%ROWTYPE;
BEGIN
    INSERT INTO notifications (idempotency_key, channel, to_address, body, in_reply_to)
    VALUES (p_key, p_channel, p_to, p_body, NULLIF(p_in_reply_to, ''))
    ON CONFLICT (idempotency_key) DO NOTHING;

    SELECT * INTO n FROM notifications WHERE idempotency_key = p_key FOR UPDATE;
    IF n.status IN ('pending', 'retrying')
       OR (n.status = 'failed' AND n.provider_id IS NULL)
       OR (n.status = 'claimed' AND (n.claimed_by = p_claimer
                                     OR n.claimed_at < now() - make_interval(secs => p_stale_s))) THEN
        UPDATE notifications AS u
           SET status = 'claimed', claimed_by = p_claimer, claimed_at = now(),
               attempts = u.attempts + 1
         WHERE u.id = n.id
        RETURNING * INTO n;
        RETURN QUERY SELECT 'claimed'::text, n.id, n.status, n.to_address, n.body,
                            n.attempts, n.provider_id;
    ELSIF n.status = 'claimed' THEN
        RETURN QUERY SELECT 'busy'::text, n.id, n.status, n.to_address, n.body,
                            n.attempts, n.provider_id;
    ELSE
        RETURN QUERY SELECT 'done'::text, n.id, n.status, n.to_address, n.body,
                            n.attempts, n.provider_id;
    END IF;
END;
$$;

-- Records that the provider accepted notification p_id as message
-- p_provider_id with status p_status. Upserts the outbound message row
-- first (a status callback may have created it already, and its row lock
-- orders this call against whatsapp_message_status), so the notification
-- gets the most advanced status known. Returns the notification's status
-- and, when an earlier attempt had stored a different provider id (the
-- provider did not honour the idempotency token), that id as
-- "previous_provider_id".
CREATE FUNCTION notification_sent(p_id bigint, p_provider_id text, p_status text,
                                  p_from text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    n notifications%ROWTYPE;
    v_status text;
    v_error integer;
    v_customer bigint;
BEGIN
    SELECT * INTO n FROM notifications WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('status', NULL);
    END IF;
    SELECT customer_id INTO v_customer FROM whatsapp_messages WHERE message_sid = n.in_reply_to;

    INSERT INTO whatsapp_messages AS m (message_sid, direction, customer_id, from_address,
                                        to_address, body, status)
    VALUES (p_provider_id, 'out', v_customer, p_from, n.to_address, n.body, p_status)
    ON CONFLICT (message_sid) DO UPDATE
        SET customer_id = COALESCE(m.customer_id, EXCLUDED.customer_id),
            from_address = COALESCE(m.from_address, EXCLUDED.from_address),
            to_address = COALESCE(m.to_address, EXCLUDED.to_address),
            body = COALESCE(m.body, EXCLUDED.body),
            status = CASE WHEN message_status_rank(EXCLUDED.status) > message_status_rank(m.status)
                          THEN EXCLUDED.status ELSE m.status END
    RETURNING m.status, m.error_code INTO v_status, v_error;

    UPDATE notifications AS u
       SET provider_id = COALESCE(u.provider_id, p_provider_id),
           status = CASE WHEN message_status_rank(v_status) > message_status_rank(u.status)
                         THEN v_status ELSE u.status END,
           error_code = COALESCE(v_error, u.error_code),
           sent_at = COALESCE(u.sent_at, now()),
           delivered_at = CASE WHEN v_status IN ('delivered', 'read')
                               THEN COALESCE(u.delivered_at, now()) ELSE u.delivered_at END,
           read_at = CASE WHEN v_status = 'read' THEN COALESCE(u.read_at, now()) ELSE u.read_at END,
           claimed_by = NULL, last_error = NULL
     WHERE u.id = p_id
    RETURNING * INTO n;

    RETURN jsonb_build_object('status', n.status) ||
           CASE WHEN n.provider_id <> p_provider_id
                THEN jsonb_build_object('previous_provider_id', n.provider_id)
                ELSE '{}'::jsonb END;
END;
$$;

-- Records a failed send of notification p_id while p_claimer holds it:
-- transient → 'retrying' (another attempt will claim it); permanent →
-- 'failed' with the provider's error code and message. Returns the status.
CREATE FUNCTION notification_failed(p_id bigint, p_claimer text, p_permanent boolean,
                                    p_error_code integer, p_error text)
RETURNS text LANGUAGE sql AS $$
    UPDATE notifications
       SET status = CASE WHEN p_permanent THEN 'failed' ELSE 'retrying' END,
           error_code = CASE WHEN p_permanent THEN p_error_code ELSE error_code END,
           last_error = left(p_error, 2000), claimed_by = NULL
     WHERE id = p_id AND status = 'claimed' AND claimed_by = p_claimer
    RETURNING status
$$;

-- Applies a provider status callback to the outbound message p_message_sid
-- and its notification, never moving a status backwards. The message row
-- is created when the callback comes before notification_sent stored the
-- id (notification_sent then merges it). Returns {"known": false} for a
-- status we do not know (nothing written), else {"known": true,
-- "status": the message's status now, "notification": id or null}.
CREATE FUNCTION whatsapp_message_status(p_message_sid text, p_status text,
                                        p_error_code integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_id bigint;
BEGIN
    IF message_status_rank(p_status) IS NULL OR message_status_rank(p_status) = 0
       OR p_status = 'received' THEN
        RETURN jsonb_build_object('known', false);
    END IF;

    INSERT INTO whatsapp_messages AS m (message_sid, direction, status, error_code)
    VALUES (p_message_sid, 'out', p_status, p_error_code)
    ON CONFLICT (message_sid) DO UPDATE
        SET status = EXCLUDED.status,
            error_code = COALESCE(EXCLUDED.error_code, m.error_code)
        WHERE message_status_rank(EXCLUDED.status) > message_status_rank(m.status);
    SELECT status INTO v_status FROM whatsapp_messages WHERE message_sid = p_message_sid;

    UPDATE notifications AS u
       SET status = p_status,
           error_code = COALESCE(p_error_code, u.error_code),
           delivered_at = CASE WHEN p_status IN ('delivered', 'read')
                               THEN COALESCE(u.delivered_at, now()) ELSE u.delivered_at END,
           read_at = CASE WHEN p_status = 'read' THEN COALESCE(u.read_at, now()) ELSE u.read_at END
     WHERE u.provider_id = p_message_sid
       AND message_status_rank(p_status) > message_status_rank(u.status);
    SELECT id INTO v_id FROM notifications WHERE provider_id = p_message_sid;

    RETURN jsonb_build_object('known', true, 'status', v_status, 'notification', v_id);
END;
$$;
