-- 0004_integrations: what the provider syncs need beyond 0003 — the sync
-- cursor's resumable position and fencing, encrypted rotating credentials,
-- the Shopify inventory item → SKU link, exact decimal quantities on order
-- lines — and the SQL functions that commit one page of rows AND the cursor
-- in one statement (docs/INTEGRATIONS.md).
--
-- A sync pass (worker/sync.c): sync_begin() takes the (source, resource)
-- row with the caller's fence; each page is committed by sync_page(): the
-- rows are upserted and the position advanced together, so a crash resumes
-- from the last committed page; the pass's last page moves `cursor` to the
-- newest updated_at committed in the pass (pass_max). Every write checks the
-- fence: a worker whose Redis lock expired (its fence is older than the one
-- recorded) can no longer commit anything.
--
-- Upserts are keyed by the provider's ids and never let an older version of
-- a record overwrite a newer one (external_updated_at), so webhook copies and
-- sync pages can arrive in any order.

ALTER TABLE sync_state
    ADD COLUMN position        text,            -- where the pass in progress resumes
    ADD COLUMN pass_max        timestamptz,     -- newest updated_at committed in that pass
    ADD COLUMN pass_rows       bigint NOT NULL DEFAULT 0,
    ADD COLUMN pass_started_at timestamptz,
    ADD COLUMN last_run_rows   bigint,          -- rows of the last completed pass
    ADD COLUMN skipped         bigint NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    ADD COLUMN pages           bigint NOT NULL DEFAULT 0 CHECK (pages >= 0),
    ADD COLUMN fence           bigint;          -- highest lock fence that wrote here

-- Secrets that rotate (Xero's refresh token): an AES-256-GCM box (nonce ||
-- ciphertext || tag) under CREDENTIALS_KEY, with "<provider>/<account>/<name>"
-- as associated data. `version` makes every write a compare-and-swap.
CREATE TABLE credentials (
    provider   text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_]{0,31}$'),
    account    text NOT NULL CHECK (account <> ''),
    name       text NOT NULL CHECK (name <> ''),
    box        bytea NOT NULL CHECK (length(box) >= 28),
    version    bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, account, name)
);

CREATE TRIGGER credentials_updated_at BEFORE UPDATE ON credentials
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Shopify reports stock per inventory item; the variant sync records which
-- SKU each item is.
CREATE TABLE shopify_inventory_items (
    inventory_item_id bigint PRIMARY KEY,
    sku               text NOT NULL,
    variant_id        bigint,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Unleashed sells in decimal quantities (kg, m): the exact quantity is kept;
-- `quantity` (integer, > 0) is its ceiling, so integer readers stay valid.
ALTER TABLE order_lines ADD COLUMN quantity_exact numeric(14, 3) CHECK (quantity_exact > 0);

CREATE INDEX products_source_external ON products (source, external_id);

-- ---- helpers ------------------------------------------------------------------

CREATE FUNCTION sync_ms(p timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT (extract(epoch FROM p) * 1000)::bigint
$$;

-- The compact status of one (source, resource): what workers mirror into
-- Redis for GET /api/integrations/status.
CREATE FUNCTION sync_status_json(s sync_state) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'source', s.source, 'resource', s.resource,
        'cursor', s.cursor, 'cursor_ms', sync_ms(s.cursor::timestamptz),
        'position', s.position,
        'last_success_ms', sync_ms(s.last_success_at),
        'last_error', s.last_error, 'last_error_ms', sync_ms(s.last_error_at),
        'rows_seen', s.rows_seen, 'last_run_rows', s.last_run_rows,
        'pass_rows', s.pass_rows, 'skipped', s.skipped, 'pages', s.pages,
        'updated_ms', sync_ms(s.updated_at))
$$;

-- Refuses a write from a holder whose lock fence is older than the row's.
CREATE FUNCTION sync_check_fence(s sync_state, p_fence bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_fence IS NOT NULL AND s.fence IS NOT NULL AND p_fence < s.fence THEN
        RAISE EXCEPTION 'stale sync lock for %.%: fence % is older than %',
            s.source, s.resource, p_fence, s.fence USING ERRCODE = '55000';
    END IF;
END;
$$;

CREATE FUNCTION integration_mark(p_provider text, p_account text, p_status text,
                                 p_error text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO integrations AS i (provider, account, status, last_error)
    VALUES (p_provider, p_account, p_status, p_error)
    ON CONFLICT (provider, account) DO UPDATE
        SET status = excluded.status, last_error = excluded.last_error
        WHERE i.status IS DISTINCT FROM excluded.status
           OR i.last_error IS DISTINCT FROM excluded.last_error
$$;

-- ---- upserts, one per (source, resource); each returns the rows it wrote ------

-- Orders with their lines (Shopify orders, Unleashed sales orders). A newer
-- stored version wins; an order that changed gets its lines replaced.
CREATE FUNCTION sync_upsert_orders(p_source text, p_rows jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    exts text[];
BEGIN
    WITH r AS (
        SELECT DISTINCT ON (external_id) *
          FROM jsonb_to_recordset(p_rows) AS x(external_id text, status text,
               external_status text, currency text, total numeric, placed_at timestamptz,
               cancelled_at timestamptz, updated_at timestamptz, raw jsonb)
         ORDER BY external_id, updated_at DESC
    ), up AS (
        INSERT INTO orders AS o (source, external_id, status, external_status, currency, total,
                                 placed_at, cancelled_at, external_updated_at, raw)
        SELECT p_source, external_id, status, external_status, currency, total,
               placed_at, cancelled_at, updated_at, raw
          FROM r
        ON CONFLICT (source, external_id) DO UPDATE
            SET status = excluded.status, external_status = excluded.external_status,
                currency = excluded.currency, total = excluded.total,
                placed_at = excluded.placed_at, cancelled_at = excluded.cancelled_at,
                external_updated_at = excluded.external_updated_at, raw = excluded.raw
            WHERE o.external_updated_at IS NULL
               OR excluded.external_updated_at >= o.external_updated_at
        RETURNING o.id, o.external_id
    )
    SELECT array_agg(id), array_agg(external_id) INTO ids, exts FROM up;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM order_lines WHERE order_id = ANY (ids);
    INSERT INTO order_lines (order_id, line_no, sku, name, quantity, quantity_exact,
                             unit_price, line_total)
    SELECT c.id, li.line_no, coalesce(li.sku, ''), coalesce(li.name, li.sku, 'item'),
           ceil(li.quantity)::integer, li.quantity, greatest(coalesce(li.unit_price, 0), 0),
           round(li.quantity * greatest(coalesce(li.unit_price, 0), 0), 2)
      FROM unnest(ids, exts) AS c(id, external_id)
      JOIN (SELECT DISTINCT ON (external_id) external_id, lines
              FROM jsonb_to_recordset(p_rows) AS x(external_id text, updated_at timestamptz,
                                                   lines jsonb)
             ORDER BY external_id, updated_at DESC) r USING (external_id),
           jsonb_to_recordset(r.lines) AS li(line_no integer, sku text, name text,
                                             quantity numeric, unit_price numeric)
     WHERE li.quantity > 0
    ON CONFLICT (order_id, line_no) DO NOTHING;
    RETURN cardinality(ids);
END;
$$;

-- Products by SKU (Shopify variants, Unleashed products). avg_cost is only
-- replaced by a value (Shopify has none).
CREATE FUNCTION sync_upsert_products(p_source text, p_rows jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH r AS (
        SELECT DISTINCT ON (sku) *
          FROM jsonb_to_recordset(p_rows) AS x(sku text, name text, unit_price numeric,
               currency text, active boolean, external_id text, avg_cost numeric,
               inventory_item_id bigint, updated_at timestamptz, raw jsonb)
         ORDER BY sku, updated_at DESC
    ), items AS (
        INSERT INTO shopify_inventory_items AS s (inventory_item_id, sku, variant_id)
        SELECT inventory_item_id, sku, external_id::bigint FROM r
         WHERE p_source = 'shopify' AND inventory_item_id IS NOT NULL
        ON CONFLICT (inventory_item_id) DO UPDATE
            SET sku = excluded.sku, variant_id = excluded.variant_id, updated_at = now()
    ), up AS (
        INSERT INTO products AS p (sku, name, unit_price, currency, active, source, external_id,
                                   avg_cost, external_updated_at, raw)
        SELECT sku, name, greatest(unit_price, 0), currency, coalesce(active, true), p_source,
               external_id, avg_cost, updated_at, raw
          FROM r
        ON CONFLICT (sku) DO UPDATE
            SET name = excluded.name, unit_price = excluded.unit_price,
                currency = excluded.currency, active = excluded.active,
                source = excluded.source, external_id = excluded.external_id,
                avg_cost = coalesce(excluded.avg_cost, p.avg_cost),
                external_updated_at = excluded.external_updated_at, raw = excluded.raw
            WHERE p.external_updated_at IS NULL
               OR excluded.external_updated_at >= p.external_updated_at
        RETURNING 1
    )
    SELECT count(*) INTO n FROM up;
    RETURN n;
END;
$$;

-- Shopify inventory levels: items not (yet) linked to a SKU are not written
-- (the caller counts them as skipped).
CREATE FUNCTION sync_upsert_shopify_inventory(p_rows jsonb) RETURNS integer
LANGUAGE sql AS $$
    WITH r AS (
        SELECT DISTINCT ON (it.sku, x.location) it.sku, x.location, x.on_hand, x.updated_at
          FROM jsonb_to_recordset(p_rows) AS x(inventory_item_id bigint, location text,
               on_hand integer, updated_at timestamptz)
          JOIN shopify_inventory_items it USING (inventory_item_id)
         ORDER BY it.sku, x.location, x.updated_at DESC
    ), up AS (
        INSERT INTO inventory AS i (sku, location, on_hand, source, external_updated_at)
        SELECT sku, location, on_hand, 'shopify', updated_at FROM r
        ON CONFLICT (sku, location) DO UPDATE
            SET on_hand = excluded.on_hand, source = excluded.source,
                external_updated_at = excluded.external_updated_at
            WHERE i.external_updated_at IS NULL
               OR excluded.external_updated_at >= i.external_updated_at
        RETURNING 1
    )
    SELECT count(*)::integer FROM up
$$;

-- Unleashed stock on hand: a SKU never seen gets a product row (price 0,
-- the account's currency) so its stock has somewhere to go; on_hand is the
-- floor of the decimal quantity; the product's avg_cost follows the newest
-- warehouse row.
CREATE FUNCTION sync_upsert_unleashed_stock(p_rows jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO products (sku, name, unit_price, currency, source)
    SELECT DISTINCT ON (sku) sku, name, 0, currency, 'unleashed'
      FROM jsonb_to_recordset(p_rows) AS x(sku text, name text, currency text)
    ON CONFLICT DO NOTHING;
    WITH r AS (
        SELECT DISTINCT ON (sku, location) *
          FROM jsonb_to_recordset(p_rows) AS x(sku text, location text, on_hand numeric,
               avg_cost numeric, updated_at timestamptz)
         ORDER BY sku, location, updated_at DESC NULLS LAST
    ), up AS (
        INSERT INTO inventory AS i (sku, location, on_hand, source, avg_cost,
                                    external_updated_at)
        SELECT sku, location, floor(on_hand)::integer, 'unleashed', avg_cost, updated_at FROM r
        ON CONFLICT (sku, location) DO UPDATE
            SET on_hand = excluded.on_hand, source = excluded.source,
                avg_cost = excluded.avg_cost, external_updated_at = excluded.external_updated_at
            WHERE i.external_updated_at IS NULL OR excluded.external_updated_at IS NULL
               OR excluded.external_updated_at >= i.external_updated_at
        RETURNING 1
    )
    SELECT count(*) INTO n FROM up;
    UPDATE products p SET avg_cost = c.avg_cost
      FROM (SELECT DISTINCT ON (sku) sku, avg_cost
              FROM jsonb_to_recordset(p_rows) AS x(sku text, avg_cost numeric,
                                                   updated_at timestamptz)
             WHERE avg_cost IS NOT NULL
             ORDER BY sku, updated_at DESC NULLS LAST) c
     WHERE p.sku = c.sku AND p.avg_cost IS DISTINCT FROM c.avg_cost;
    RETURN n;
END;
$$;

CREATE FUNCTION sync_upsert_purchase_orders(p_rows jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    ids text[];
BEGIN
    WITH r AS (
        SELECT DISTINCT ON (po_id) *
          FROM jsonb_to_recordset(p_rows) AS x(po_id text, order_number text,
               supplier_code text, supplier_name text, status text, ordered_on date,
               required_on date, received_on date, warehouse text, currency text,
               currency_rate numeric, subtotal numeric, tax_total numeric, total numeric,
               updated_at timestamptz, raw jsonb)
         ORDER BY po_id, updated_at DESC
    ), up AS (
        INSERT INTO purchase_orders AS po (po_id, order_number, supplier_code, supplier_name,
               status, ordered_on, required_on, received_on, warehouse, currency,
               currency_rate, subtotal, tax_total, total, external_updated_at, raw)
        SELECT po_id, order_number, supplier_code, supplier_name, status, ordered_on,
               required_on, received_on, warehouse, currency, nullif(currency_rate, 0),
               subtotal, tax_total, total, updated_at, raw
          FROM r
        ON CONFLICT (po_id) DO UPDATE
            SET order_number = excluded.order_number, supplier_code = excluded.supplier_code,
                supplier_name = excluded.supplier_name, status = excluded.status,
                ordered_on = excluded.ordered_on, required_on = excluded.required_on,
                received_on = excluded.received_on, warehouse = excluded.warehouse,
                currency = excluded.currency, currency_rate = excluded.currency_rate,
                subtotal = excluded.subtotal, tax_total = excluded.tax_total,
                total = excluded.total, external_updated_at = excluded.external_updated_at,
                raw = excluded.raw
            WHERE po.external_updated_at IS NULL
               OR excluded.external_updated_at >= po.external_updated_at
        RETURNING po.po_id
    )
    SELECT array_agg(po_id) INTO ids FROM up;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    DELETE FROM purchase_order_lines WHERE po_id = ANY (ids);
    INSERT INTO purchase_order_lines (po_id, line_no, sku, quantity, received_quantity,
                                      unit_price, line_total, due_on)
    SELECT r.po_id, li.line_no, li.sku, greatest(li.quantity, 0),
           greatest(coalesce(li.received_quantity, 0), 0), li.unit_price, li.line_total,
           li.due_on
      FROM (SELECT DISTINCT ON (po_id) po_id, lines
              FROM jsonb_to_recordset(p_rows) AS x(po_id text, updated_at timestamptz,
                                                   lines jsonb)
             ORDER BY po_id, updated_at DESC) r,
           jsonb_to_recordset(r.lines) AS li(line_no integer, sku text, quantity numeric,
               received_quantity numeric, unit_price numeric, line_total numeric, due_on date)
     WHERE r.po_id = ANY (ids)
    ON CONFLICT (po_id, line_no) DO NOTHING;
    RETURN cardinality(ids);
END;
$$;

CREATE FUNCTION sync_upsert_invoices(p_rows jsonb) RETURNS integer
LANGUAGE sql AS $$
    WITH r AS (
        SELECT DISTINCT ON (invoice_id) *
          FROM jsonb_to_recordset(p_rows) AS x(invoice_id text, type text,
               invoice_number text, contact_id text, status text, issued_on date, due_on date,
               fully_paid_on date, currency text, currency_rate numeric, subtotal numeric,
               total_tax numeric, total numeric, amount_due numeric, amount_paid numeric,
               amount_credited numeric, updated_at timestamptz, raw jsonb)
         ORDER BY invoice_id, updated_at DESC
    ), up AS (
        INSERT INTO invoices AS i (invoice_id, type, invoice_number, contact_id, status,
               issued_on, due_on, fully_paid_on, currency, currency_rate, subtotal, total_tax,
               total, amount_due, amount_paid, amount_credited, external_updated_at, raw)
        SELECT invoice_id, type, invoice_number, contact_id, status, issued_on, due_on,
               fully_paid_on, currency, coalesce(nullif(currency_rate, 0), 1),
               coalesce(subtotal, 0), coalesce(total_tax, 0), coalesce(total, 0),
               coalesce(amount_due, 0), coalesce(amount_paid, 0), coalesce(amount_credited, 0),
               updated_at, raw
          FROM r
        ON CONFLICT (invoice_id) DO UPDATE
            SET type = excluded.type, invoice_number = excluded.invoice_number,
                contact_id = excluded.contact_id, status = excluded.status,
                issued_on = excluded.issued_on, due_on = excluded.due_on,
                fully_paid_on = excluded.fully_paid_on, currency = excluded.currency,
                currency_rate = excluded.currency_rate, subtotal = excluded.subtotal,
                total_tax = excluded.total_tax, total = excluded.total,
                amount_due = excluded.amount_due, amount_paid = excluded.amount_paid,
                amount_credited = excluded.amount_credited,
                external_updated_at = excluded.external_updated_at, raw = excluded.raw
            WHERE i.external_updated_at IS NULL
               OR excluded.external_updated_at >= i.external_updated_at
        RETURNING 1
    )
    SELECT count(*)::integer FROM up
$$;

CREATE FUNCTION sync_upsert_contacts(p_rows jsonb) RETURNS integer
LANGUAGE sql AS $$
    WITH r AS (
        SELECT DISTINCT ON (contact_id) *
          FROM jsonb_to_recordset(p_rows) AS x(contact_id text, name text, email text,
               is_customer boolean, is_supplier boolean, status text, updated_at timestamptz,
               raw jsonb)
         ORDER BY contact_id, updated_at DESC
    ), up AS (
        INSERT INTO contacts AS c (contact_id, name, email, is_customer, is_supplier, status,
                                   external_updated_at, raw)
        SELECT contact_id, name, email, coalesce(is_customer, false),
               coalesce(is_supplier, false), status, updated_at, raw
          FROM r
        ON CONFLICT (contact_id) DO UPDATE
            SET name = excluded.name, email = excluded.email,
                is_customer = excluded.is_customer, is_supplier = excluded.is_supplier,
                status = excluded.status, external_updated_at = excluded.external_updated_at,
                raw = excluded.raw
            WHERE c.external_updated_at IS NULL
               OR excluded.external_updated_at >= c.external_updated_at
        RETURNING 1
    )
    SELECT count(*)::integer FROM up
$$;

-- Rows of any (source, resource) → the matching upsert; the count written.
-- Used by sync pages and by webhook follow-up jobs alike.
CREATE FUNCTION sync_apply(p_source text, p_resource text, p_rows jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
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
        ELSE RAISE EXCEPTION 'no upsert for %.%', p_source, p_resource
                 USING ERRCODE = '22023';
    END CASE;
END;
$$;

-- ---- the sync cursor ---------------------------------------------------------------

-- Starts (or resumes) a pass under a new lock fence; returns the status,
-- whose cursor_ms and position tell the caller where to go on.
CREATE FUNCTION sync_begin(p_source text, p_resource text, p_fence bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
BEGIN
    INSERT INTO sync_state (source, resource) VALUES (p_source, p_resource)
    ON CONFLICT DO NOTHING;
    SELECT * INTO s FROM sync_state WHERE source = p_source AND resource = p_resource FOR UPDATE;
    PERFORM sync_check_fence(s, p_fence);
    UPDATE sync_state
       SET fence = p_fence, pass_started_at = coalesce(pass_started_at, now())
     WHERE source = p_source AND resource = p_resource
    RETURNING * INTO s;
    RETURN sync_status_json(s);
END;
$$;

-- Commits one page: its rows, and the position to resume from (p_next NULL:
-- this was the pass's last page, so the cursor moves to the newest
-- updated_at committed in the pass and the pass is recorded as a success).
CREATE FUNCTION sync_page(p_source text, p_resource text, p_account text, p_fence bigint,
                          p_rows jsonb, p_next text, p_skipped integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
    n integer;
    page_max timestamptz;
BEGIN
    SELECT * INTO s FROM sync_state WHERE source = p_source AND resource = p_resource FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sync_page before sync_begin for %.%', p_source, p_resource;
    END IF;
    PERFORM sync_check_fence(s, p_fence);
    n := jsonb_array_length(p_rows);
    IF n > 0 THEN
        PERFORM sync_apply(p_source, p_resource, p_rows);
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
     WHERE source = p_source AND resource = p_resource
    RETURNING * INTO s;
    IF p_next IS NULL THEN
        UPDATE sync_state
           SET cursor = coalesce(to_char(s.pass_max AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), cursor),
               last_success_at = now(), last_run_rows = s.pass_rows,
               pass_max = NULL, pass_rows = 0, pass_started_at = NULL
         WHERE source = p_source AND resource = p_resource
        RETURNING * INTO s;
    END IF;
    PERFORM integration_mark(p_source, p_account, 'connected', NULL);
    RETURN sync_status_json(s);
END;
$$;

-- Records a failed page (the position stays, so the next attempt resumes
-- there). p_integration 'unauthorised' or 'disconnected' also marks the
-- provider account so; NULL leaves it.
CREATE FUNCTION sync_failed(p_source text, p_resource text, p_account text, p_error text,
                            p_integration text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    s sync_state;
BEGIN
    INSERT INTO sync_state (source, resource) VALUES (p_source, p_resource)
    ON CONFLICT DO NOTHING;
    UPDATE sync_state
       SET last_error = left(p_error, 1000), last_error_at = now()
     WHERE source = p_source AND resource = p_resource
    RETURNING * INTO s;
    IF p_integration IS NOT NULL THEN
        PERFORM integration_mark(p_source, p_account, p_integration, left(p_error, 1000));
    END IF;
    RETURN sync_status_json(s);
END;
$$;

-- ---- credentials --------------------------------------------------------------------

-- Stores a sealed box if the row is still at p_version (0: not stored yet;
-- negative: whatever is there — the caller holds a token newer than it).
-- Returns the new version, or NULL when another writer got there first.
CREATE FUNCTION credentials_put(p_provider text, p_account text, p_name text, p_box_hex text,
                                p_version bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v bigint;
BEGIN
    IF p_version < 0 THEN
        INSERT INTO credentials AS c (provider, account, name, box)
        VALUES (p_provider, p_account, p_name, decode(p_box_hex, 'hex'))
        ON CONFLICT (provider, account, name) DO UPDATE
            SET box = excluded.box, version = c.version + 1
        RETURNING version INTO v;
    ELSIF p_version = 0 THEN
        INSERT INTO credentials (provider, account, name, box)
        VALUES (p_provider, p_account, p_name, decode(p_box_hex, 'hex'))
        ON CONFLICT DO NOTHING
        RETURNING version INTO v;
    ELSE
        UPDATE credentials
           SET box = decode(p_box_hex, 'hex'), version = version + 1
         WHERE provider = p_provider AND account = p_account AND name = p_name
           AND version = p_version
        RETURNING version INTO v;
    END IF;
    RETURN v;
END;
$$;
