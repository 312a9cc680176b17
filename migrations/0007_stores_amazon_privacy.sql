-- 0007_stores_amazon_privacy: what several Shopify stores, Amazon SP-API
-- orders and Shopify's privacy (GDPR) webhooks need from the schema
-- (docs/INTEGRATIONS.md "Amazon", "Several Shopify stores").
--
-- Accounts. An order now belongs to (source, account): account is the
-- Shopify store's name (uk, us; 'default' for the single-store variables)
-- or the Amazon marketplace id (ATVPDKIKX0DER). The same external id from
-- two accounts is two orders; every row that existed before is account
-- 'default', so single-store upserts keep finding their rows. Sync cursors
-- likewise: one sync_state row per (source, account, resource).
--
-- Functions changed here because the order key changed (the lead moves them
-- to migrations/functions/ when that folder exists):
--   whatsapp_place_order   ON CONFLICT on the new key (body otherwise as 0002)
--   sync_upsert_orders     rows carry "account" (absent: 'default'); an order
--                          row without "lines" keeps its stored lines (Amazon
--                          status changes, items fetched separately); a line
--                          may give line_total instead of unit_price (Amazon's
--                          ItemPrice is price × quantity), and
--                          external_line_id / asin
--   sync_apply             adds amazon.orders
--   sync_status_json       adds account
--   sync_begin, sync_page, sync_failed
--                          new overloads taking the sync account last; the
--                          old signatures act on account 'default'
--
-- Privacy. data_requests keeps each Shopify customers/data_request and the
-- export assembled for the shop owner. The retention job (PII_RETENTION_DAYS)
-- and redaction need to know when personal data was last refreshed and
-- whether it was already cleared: customers.last_contact_at / redacted_at,
-- whatsapp_messages.body_cleared_at, notifications.body_cleared_at,
-- orders.redacted_at. A redacted customer keeps its row (orders point at it)
-- with wa_id, phone and profile name cleared, so wa_id may now be NULL.

-- ---- accounts -------------------------------------------------------------------

ALTER TABLE orders
    ADD COLUMN account text NOT NULL DEFAULT 'default'
        CHECK (account ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    ADD COLUMN redacted_at timestamptz,
    DROP CONSTRAINT orders_source_external_id_key,
    ADD CONSTRAINT orders_source_account_external_id_key UNIQUE (source, account, external_id);

CREATE INDEX orders_source_account_updated ON orders (source, account, external_updated_at);

-- Amazon's OrderItemId and ASIN (Shopify's line item id and variant id).
ALTER TABLE order_lines
    ADD COLUMN external_line_id text,
    ADD COLUMN external_product_id text;

ALTER TABLE sync_state
    ADD COLUMN account text NOT NULL DEFAULT 'default'
        CHECK (account ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    DROP CONSTRAINT sync_state_pkey,
    ADD PRIMARY KEY (source, account, resource);

-- ---- privacy ----------------------------------------------------------------------

ALTER TABLE customers
    ALTER COLUMN wa_id DROP NOT NULL,
    ADD COLUMN last_contact_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN redacted_at timestamptz;

UPDATE customers c
   SET last_contact_at = greatest(c.created_at, c.updated_at,
                                  coalesce((SELECT max(m.created_at) FROM whatsapp_messages m
                                             WHERE m.customer_id = c.id), c.created_at));

CREATE INDEX customers_contact_retention ON customers (last_contact_at) WHERE redacted_at IS NULL;

ALTER TABLE whatsapp_messages ADD COLUMN body_cleared_at timestamptz;
CREATE INDEX whatsapp_messages_body_retention ON whatsapp_messages (created_at)
    WHERE body_cleared_at IS NULL;

ALTER TABLE notifications ADD COLUMN body_cleared_at timestamptz;
CREATE INDEX notifications_body_retention ON notifications (created_at)
    WHERE body_cleared_at IS NULL;

-- One row per customers/data_request delivery (idempotent on the store and
-- the request id, or the webhook id when the payload has none). `export` is
-- what Sentia holds about the customer, assembled for the shop owner.
CREATE TABLE data_requests (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider         text NOT NULL DEFAULT 'shopify' CHECK (provider ~ '^[a-z][a-z0-9_]{0,31}$'),
    account          text NOT NULL CHECK (account ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    request_key      text NOT NULL CHECK (request_key <> '' AND length(request_key) <= 128),
    shop_domain      text NOT NULL CHECK (shop_domain <> ''),
    shop_id          bigint,
    customer_ref     text,          -- the provider's customer id, as text
    customer_email   text,
    customer_phone   text,
    orders_requested jsonb NOT NULL DEFAULT '[]'::jsonb,
    payload          jsonb NOT NULL,  -- the webhook body as received
    status           text NOT NULL DEFAULT 'received'
                     CHECK (status IN ('received', 'exported', 'failed')),
    export           jsonb,
    last_error       text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    exported_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, account, request_key)
);

CREATE INDEX data_requests_received ON data_requests (received_at);
CREATE TRIGGER data_requests_set_updated_at BEFORE UPDATE ON data_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---- functions ------------------------------------------------------------------------

-- whatsapp_place_order keys its order on (source, account, external_id) now: its
-- new body is migrations/functions/whatsapp_place_order.sql, applied after this file.

-- The compact status of one (source, account, resource): what workers mirror
-- into Redis for GET /api/integrations/status.
CREATE OR REPLACE FUNCTION sync_status_json(s sync_state) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'source', s.source, 'account', s.account, 'resource', s.resource,
        'cursor', s.cursor, 'cursor_ms', sync_ms(s.cursor::timestamptz),
        'position', s.position,
        'last_success_ms', sync_ms(s.last_success_at),
        'last_error', s.last_error, 'last_error_ms', sync_ms(s.last_error_at),
        'rows_seen', s.rows_seen, 'last_run_rows', s.last_run_rows,
        'pass_rows', s.pass_rows, 'skipped', s.skipped, 'pages', s.pages,
        'updated_ms', sync_ms(s.updated_at))
$$;

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

-- Rows of any (source, resource) → the matching upsert; the count written.
-- Used by sync pages and by webhook follow-up jobs alike.
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

-- ---- the sync cursor, per (source, account, resource) ---------------------------------
-- As 0004's, with the sync account (store name or marketplace id) last.

CREATE FUNCTION sync_begin(p_source text, p_resource text, p_fence bigint,
                           p_sync_account text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
BEGIN
    INSERT INTO sync_state (source, account, resource) VALUES (p_source, p_sync_account, p_resource)
    ON CONFLICT DO NOTHING;
    SELECT * INTO s FROM sync_state
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource FOR UPDATE;
    PERFORM sync_check_fence(s, p_fence);
    UPDATE sync_state
       SET fence = p_fence, pass_started_at = coalesce(pass_started_at, now())
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource
    RETURNING * INTO s;
    RETURN sync_status_json(s);
END;
$$;

-- Commits one page of the sync account's pass (see 0004's sync_page). Rows
-- without an "account" key get the sync account, so an order lands under
-- its store or marketplace.
CREATE FUNCTION sync_page(p_source text, p_resource text, p_account text, p_fence bigint,
                          p_rows jsonb, p_next text, p_skipped integer,
                          p_sync_account text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
    n integer;
    page_max timestamptz;
    v_rows jsonb;
BEGIN
    SELECT * INTO s FROM sync_state
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sync_page before sync_begin for %.%.%', p_source, p_sync_account,
            p_resource;
    END IF;
    PERFORM sync_check_fence(s, p_fence);
    n := jsonb_array_length(p_rows);
    IF n > 0 THEN
        SELECT jsonb_agg(CASE WHEN e ? 'account' THEN e
                              ELSE e || jsonb_build_object('account', p_sync_account) END
                         ORDER BY i)
          INTO v_rows FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS x(e, i);
        PERFORM sync_apply(p_source, p_resource, v_rows);
        SELECT max((e ->> 'updated_at')::timestamptz) INTO page_max
          FROM jsonb_array_elements(p_rows) e;
    END IF;
    UPDATE sync_state
       SET fence = p_fence, position = p_next,
           pass_max = CASE WHEN page_max IS NULL THEN pass_max
                           ELSE greatest(pass_max, page_max) END,
           pass_rows = pass_rows + n, rows_seen = rows_seen + n,
           skipped = skipped + coalesce(p_skipped, 0), pages = pages + 1,
           last_error = NULL, last_error_at = NULL
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource
    RETURNING * INTO s;
    IF p_next IS NULL THEN
        UPDATE sync_state
           SET cursor = coalesce(to_char(s.pass_max AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), cursor),
               last_success_at = now(), last_run_rows = s.pass_rows,
               pass_max = NULL, pass_rows = 0, pass_started_at = NULL
         WHERE source = p_source AND account = p_sync_account AND resource = p_resource
        RETURNING * INTO s;
    END IF;
    PERFORM integration_mark(p_source, p_account, 'connected', NULL);
    RETURN sync_status_json(s);
END;
$$;

CREATE FUNCTION sync_failed(p_source text, p_resource text, p_account text, p_error text,
                            p_integration text, p_sync_account text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
BEGIN
    INSERT INTO sync_state (source, account, resource) VALUES (p_source, p_sync_account, p_resource)
    ON CONFLICT DO NOTHING;
    UPDATE sync_state
       SET last_error = left(p_error, 1000), last_error_at = now()
     WHERE source = p_source AND account = p_sync_account AND resource = p_resource
    RETURNING * INTO s;
    IF p_integration IS NOT NULL THEN
        PERFORM integration_mark(p_source, p_account, p_integration, left(p_error, 1000));
    END IF;
    RETURN sync_status_json(s);
END;
$$;

-- 0004's signatures: the single-store pass, account 'default'.
CREATE OR REPLACE FUNCTION sync_begin(p_source text, p_resource text, p_fence bigint)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT sync_begin(p_source, p_resource, p_fence, 'default')
$$;

CREATE OR REPLACE FUNCTION sync_page(p_source text, p_resource text, p_account text,
                                     p_fence bigint, p_rows jsonb, p_next text,
                                     p_skipped integer) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT sync_page(p_source, p_resource, p_account, p_fence, p_rows, p_next, p_skipped,
                     'default')
$$;

CREATE OR REPLACE FUNCTION sync_failed(p_source text, p_resource text, p_account text,
                                       p_error text, p_integration text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT sync_failed(p_source, p_resource, p_account, p_error, p_integration, 'default')
$$;
