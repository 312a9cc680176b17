-- 0003_synced_data: where the provider syncs land (Shopify, Xero, Unleashed)
-- and what forecasting and working capital read.
--
-- Conventions (docs/ARCHITECTURE.md): rows are upserted keyed by the
-- provider's own ids; money is numeric, never floating point; provider ids are
-- text (Xero/Unleashed GUIDs) or bigint (Shopify); `raw` keeps the provider's
-- record as received, so a later field can be backfilled without a resync;
-- `external_updated_at` is the provider's last-modified time, used to ignore
-- an older copy arriving after a newer one (webhooks can arrive a day late).

-- Products come from several places, one row per SKU. Unit cost (average
-- cost, from Unleashed) values stock for working capital.
ALTER TABLE products
    ADD COLUMN source              text NOT NULL DEFAULT 'manual'
                                   CHECK (source ~ '^[a-z][a-z0-9_]{0,31}$'),
    ADD COLUMN external_id         text,
    ADD COLUMN avg_cost            numeric(14, 4) CHECK (avg_cost >= 0),
    ADD COLUMN external_updated_at timestamptz,
    ADD COLUMN raw                 jsonb;

-- A provider can report more stock sold than held (Shopify "available" goes
-- negative when oversold): on_hand follows the source of truth. Available
-- stock stays on_hand − allocated, which is then ≤ 0 and refuses orders.
ALTER TABLE inventory
    DROP CONSTRAINT inventory_on_hand_check,
    ADD COLUMN source              text NOT NULL DEFAULT 'manual'
                                   CHECK (source ~ '^[a-z][a-z0-9_]{0,31}$'),
    ADD COLUMN avg_cost            numeric(14, 4) CHECK (avg_cost >= 0),
    ADD COLUMN external_updated_at timestamptz;

-- Orders from every source share one table (WhatsApp, Shopify, Unleashed
-- sales orders): `status` is ours (pending/confirmed/cancelled), the
-- provider's own words are kept beside it.
ALTER TABLE orders
    ADD COLUMN external_status     text,
    ADD COLUMN external_updated_at timestamptz,
    ADD COLUMN raw                 jsonb;

CREATE INDEX orders_source_updated ON orders (source, external_updated_at);

-- Xero contacts (customers and suppliers).
CREATE TABLE contacts (
    contact_id          text PRIMARY KEY CHECK (contact_id <> ''),
    name                text NOT NULL,
    email               text,
    is_customer         boolean NOT NULL DEFAULT false,
    is_supplier         boolean NOT NULL DEFAULT false,
    status              text,
    external_updated_at timestamptz,
    raw                 jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER contacts_updated_at BEFORE UPDATE ON contacts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Xero invoices: ACCREC (sales, receivable) and ACCPAY (bills, payable).
-- Amounts are in the invoice's currency; currency_rate converts to the
-- organisation's base currency as Xero defines it (base = amount / rate).
CREATE TABLE invoices (
    invoice_id          text PRIMARY KEY CHECK (invoice_id <> ''),
    type                text NOT NULL CHECK (type IN ('ACCREC', 'ACCPAY')),
    invoice_number      text,
    contact_id          text,
    status              text NOT NULL,
    issued_on           date,
    due_on              date,
    fully_paid_on       date,
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    currency_rate       numeric(20, 10) NOT NULL DEFAULT 1 CHECK (currency_rate > 0),
    subtotal            numeric(14, 2) NOT NULL DEFAULT 0,
    total_tax           numeric(14, 2) NOT NULL DEFAULT 0,
    total               numeric(14, 2) NOT NULL DEFAULT 0,
    amount_due          numeric(14, 2) NOT NULL DEFAULT 0,
    amount_paid         numeric(14, 2) NOT NULL DEFAULT 0,
    amount_credited     numeric(14, 2) NOT NULL DEFAULT 0,
    external_updated_at timestamptz,
    raw                 jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX invoices_type_issued ON invoices (type, issued_on);
CREATE TRIGGER invoices_updated_at BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Unleashed purchase orders: what is on order, from whom, and how long
-- suppliers take (order date → received), for stock recommendations.
CREATE TABLE purchase_orders (
    po_id               text PRIMARY KEY CHECK (po_id <> ''),  -- Unleashed Guid
    source              text NOT NULL DEFAULT 'unleashed'
                        CHECK (source ~ '^[a-z][a-z0-9_]{0,31}$'),
    order_number        text,
    supplier_code       text,
    supplier_name       text,
    status              text NOT NULL,
    ordered_on          date,
    required_on         date,
    received_on         date,  -- completed date; NULL while open
    warehouse           text,
    currency            text CHECK (currency ~ '^[A-Z]{3}$'),
    currency_rate       numeric(20, 10) CHECK (currency_rate > 0),
    subtotal            numeric(14, 2),
    tax_total           numeric(14, 2),
    total               numeric(14, 2),
    external_updated_at timestamptz,
    raw                 jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER purchase_orders_updated_at BEFORE UPDATE ON purchase_orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE purchase_order_lines (
    po_id             text NOT NULL REFERENCES purchase_orders (po_id) ON DELETE CASCADE,
    line_no           integer NOT NULL CHECK (line_no >= 1),
    sku               text NOT NULL,
    quantity          numeric(14, 3) NOT NULL CHECK (quantity >= 0),
    received_quantity numeric(14, 3) NOT NULL DEFAULT 0 CHECK (received_quantity >= 0),
    unit_price        numeric(14, 4),
    line_total        numeric(14, 2),
    due_on            date,
    PRIMARY KEY (po_id, line_no)
);

CREATE INDEX purchase_order_lines_sku ON purchase_order_lines (sku);
