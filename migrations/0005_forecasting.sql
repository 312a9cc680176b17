-- 0005_forecasting: demand forecasts, stock recommendations and working-capital
-- snapshots, written by the `forecast` queue's jobs (worker/jobs/forecast.c;
-- docs/FORECAST.md "Jobs", docs/WORKING_CAPITAL.md).
--
-- Forecast runs. Every attempt of a forecast.run job opens one forecast_runs
-- row ('running', forecast_run_begin) and closes it with ONE statement
-- (forecast_run_finish) that writes its forecasts, stock recommendations and
-- per-SKU failures and sets the run's status and counts together. A run that
-- dies midway keeps status 'running' and no forecast rows; the next attempt of
-- the same job marks it 'abandoned'. Readers take the latest 'succeeded' run
-- (views current_forecasts, current_stock_recommendations), so they never see
-- a half-written run, and a run that fails leaves the previous one current.
-- History is kept per run; forecast_run_finish deletes the forecast and
-- recommendation rows of succeeded runs older than the newest p_keep_runs
-- (the run rows and their failures stay).
--
-- Quantities (demand, stock) are double precision: they come from and go to
-- the forecasting engine's doubles. Money is numeric and is computed here, in
-- SQL, never in C doubles (working_capital_compute).

-- ---- tables --------------------------------------------------------------------

CREATE TABLE forecast_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id        text NOT NULL CHECK (job_id <> ''),
    status        text NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    as_of         date NOT NULL,           -- the UTC date the run looked from
    bucket        text NOT NULL CHECK (bucket IN ('day', 'week', 'month')),
    period        integer NOT NULL CHECK (period >= 1),
    horizon       integer NOT NULL CHECK (horizon >= 1),
    history_start date NOT NULL,           -- first bucket of the history window
    origin        date NOT NULL,           -- first forecast bucket: the current one
    settings      jsonb NOT NULL DEFAULT '{}',
    skus_total    integer CHECK (skus_total >= 0),
    skus_ok       integer CHECK (skus_ok >= 0),
    skus_failed   integer CHECK (skus_failed >= 0),
    success_rate  numeric(7, 6) CHECK (success_rate BETWEEN 0 AND 1),
    error         text,
    CHECK ((status = 'running') = (finished_at IS NULL))
);

CREATE INDEX forecast_runs_job ON forecast_runs (job_id);
CREATE INDEX forecast_runs_succeeded ON forecast_runs (finished_at DESC, id DESC)
    WHERE status = 'succeeded';

-- One row per SKU and forecast step; step 1 is the run's origin bucket.
CREATE TABLE forecasts (
    run_id       bigint NOT NULL REFERENCES forecast_runs (id) ON DELETE CASCADE,
    sku          text NOT NULL,
    step         integer NOT NULL CHECK (step >= 1),
    period_start date NOT NULL,
    method       text NOT NULL,   -- the engine's family: auto (a combination), ets, sba, …
    model        text NOT NULL,   -- e.g. "ETS(A,N,N)+ARIMA(0,1,1)+Theta"
    point        double precision NOT NULL,
    lo80         double precision NOT NULL,
    hi80         double precision NOT NULL,
    lo95         double precision NOT NULL,
    hi95         double precision NOT NULL,
    CHECK (0 <= lo95 AND lo95 <= lo80 AND lo80 <= point AND point <= hi80 AND hi80 <= hi95),
    PRIMARY KEY (run_id, sku, step)
);

-- One row per SKU and inventory location (docs/FORECAST.md "Stock
-- recommendations" gives every formula).
CREATE TABLE stock_recommendations (
    run_id             bigint NOT NULL REFERENCES forecast_runs (id) ON DELETE CASCADE,
    sku                text NOT NULL,
    location           text NOT NULL,
    lead_time_days     double precision NOT NULL CHECK (lead_time_days >= 0),
    lead_time_source   text NOT NULL CHECK (lead_time_source IN ('purchase_orders', 'default')),
    lead_time_samples  integer NOT NULL CHECK (lead_time_samples >= 0),
    demand_share       double precision NOT NULL CHECK (demand_share BETWEEN 0 AND 1),
    lead_time_demand   double precision NOT NULL CHECK (lead_time_demand >= 0),
    lead_time_sigma    double precision NOT NULL CHECK (lead_time_sigma >= 0),
    safety_stock       double precision NOT NULL CHECK (safety_stock >= 0),
    reorder_point      double precision NOT NULL CHECK (reorder_point >= 0),
    review_period_days integer NOT NULL CHECK (review_period_days >= 0),
    review_demand      double precision NOT NULL CHECK (review_demand >= 0),
    on_hand            integer NOT NULL,
    allocated          integer NOT NULL,
    on_order           double precision NOT NULL CHECK (on_order >= 0),
    inventory_position double precision NOT NULL,
    suggested_order    bigint NOT NULL CHECK (suggested_order >= 0),
    PRIMARY KEY (run_id, sku, location)
);

-- SKUs a run could not forecast, and why: 'history' (the demand history is
-- implausible, e.g. a corrupt order line) or 'engine' (the engine refused it).
CREATE TABLE forecast_failures (
    run_id bigint NOT NULL REFERENCES forecast_runs (id) ON DELETE CASCADE,
    sku    text NOT NULL,
    stage  text NOT NULL CHECK (stage IN ('history', 'engine')),
    reason text NOT NULL,
    PRIMARY KEY (run_id, sku)
);

-- One row per working_capital.compute job (docs/WORKING_CAPITAL.md). Money in
-- the base currency, tax-exclusive; days rounded to 2 decimals; a metric is
-- NULL when its denominator is 0 (notes say so).
CREATE TABLE working_capital_snapshots (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          text NOT NULL UNIQUE CHECK (job_id <> ''),
    as_of           date NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    days            integer NOT NULL CHECK (days > 0),
    base_currency   text CHECK (base_currency ~ '^[A-Z]{3}$'),
    receivables     numeric(18, 2) NOT NULL,
    payables        numeric(18, 2) NOT NULL,
    inventory_value numeric(18, 2) NOT NULL,
    revenue         numeric(18, 2) NOT NULL,
    cogs            numeric(18, 2) NOT NULL,
    dso             numeric(14, 2),
    dio             numeric(14, 2),
    dpo             numeric(14, 2),
    ccc             numeric(14, 2),
    notes           text[] NOT NULL DEFAULT '{}'
);

CREATE INDEX working_capital_snapshots_recent
    ON working_capital_snapshots (computed_at DESC, id DESC);

-- ---- what readers use ----------------------------------------------------------

CREATE VIEW current_forecast_run AS
    SELECT * FROM forecast_runs WHERE status = 'succeeded'
     ORDER BY finished_at DESC, id DESC LIMIT 1;

CREATE VIEW current_forecasts AS
    SELECT f.* FROM forecasts f JOIN current_forecast_run r ON r.id = f.run_id;

CREATE VIEW current_stock_recommendations AS
    SELECT s.* FROM stock_recommendations s JOIN current_forecast_run r ON r.id = s.run_id;

CREATE VIEW current_working_capital AS
    SELECT * FROM working_capital_snapshots ORDER BY computed_at DESC, id DESC LIMIT 1;

-- ---- units of work --------------------------------------------------------------

-- Opens a run for job p_job_id and returns its id, or NULL when that job
-- already has a succeeded run (a re-delivered job does nothing twice). An
-- earlier attempt of the same job still 'running' died midway: it becomes
-- 'abandoned'.
CREATE FUNCTION forecast_run_begin(p_job_id text, p_as_of date, p_bucket text,
                                   p_period integer, p_horizon integer,
                                   p_history_start date, p_origin date, p_settings jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM 1 FROM forecast_runs WHERE job_id = p_job_id AND status = 'succeeded';
    IF FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE forecast_runs
       SET status = 'abandoned', finished_at = now(),
           error = 'interrupted: the job ran again'
     WHERE job_id = p_job_id AND status = 'running';
    INSERT INTO forecast_runs (job_id, as_of, bucket, period, horizon, history_start,
                               origin, settings)
    VALUES (p_job_id, p_as_of, p_bucket, p_period, p_horizon, p_history_start, p_origin,
            COALESCE(p_settings, '{}'))
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

-- What one run needs, one row per active product, as
--   {"buckets": [days since 1970-01-01 of each bucket with demand],
--    "qty": [units in that bucket],
--    "lead_times": [days from order to receipt of the SKU's 5 latest
--                   completed purchase orders, newest first],
--    "stock": [{"location", "on_hand", "allocated", "on_order", "demand"}],
--    "on_order_unplaced": units on order for no known location of the SKU}
-- Demand: lines of orders that are not cancelled (pending and confirmed, any
-- source), placed in [p_from, p_to) UTC, bucketed by date_trunc(p_bucket)
-- of placed_at in UTC (weeks start on Monday); a line matches its product's
-- SKU case-insensitively. "demand" per location: units of those lines whose
-- order was allocated at that location (orders.stock_location).
-- Completed purchase order: received_on and ordered_on set, received on or
-- after ordered, status not deleted. Open purchase order: received_on NULL
-- and status not parked (a draft), deleted, cancelled or complete; on order
-- = quantity - received_quantity (at least 0) per line, placed at the
-- inventory location named by the order's warehouse.
CREATE FUNCTION forecast_inputs(p_from date, p_to date, p_bucket text)
RETURNS TABLE (sku text, input jsonb) LANGUAGE sql STABLE AS $$
    WITH lines AS (
        SELECT p.sku, o.stock_location, l.quantity,
               date_trunc(p_bucket, o.placed_at AT TIME ZONE 'UTC')::date AS bucket
          FROM orders o
          JOIN order_lines l ON l.order_id = o.id
          JOIN products p ON upper(p.sku) = upper(l.sku) AND p.active
         WHERE o.status <> 'cancelled'
           AND o.placed_at >= p_from::timestamp AT TIME ZONE 'UTC'
           AND o.placed_at < p_to::timestamp AT TIME ZONE 'UTC'
    ), per_bucket AS (
        SELECT d.sku, jsonb_agg(d.bucket - DATE '1970-01-01' ORDER BY d.bucket) AS buckets,
               jsonb_agg(d.q ORDER BY d.bucket) AS qty
          FROM (SELECT lines.sku, lines.bucket, sum(lines.quantity) AS q
                  FROM lines GROUP BY 1, 2) d
         GROUP BY d.sku
    ), per_location AS (
        SELECT lines.sku, lines.stock_location AS location, sum(lines.quantity) AS q
          FROM lines WHERE lines.stock_location IS NOT NULL GROUP BY 1, 2
    ), completed AS (
        SELECT DISTINCT p.sku, po.po_id, po.received_on, po.received_on - po.ordered_on AS days
          FROM purchase_orders po
          JOIN purchase_order_lines pl ON pl.po_id = po.po_id
          JOIN products p ON upper(p.sku) = upper(pl.sku) AND p.active
         WHERE po.received_on IS NOT NULL AND po.ordered_on IS NOT NULL
           AND po.received_on >= po.ordered_on AND upper(po.status) <> 'DELETED'
    ), lead AS (
        SELECT c.sku, jsonb_agg(c.days ORDER BY c.received_on DESC, c.po_id) AS lead_times
          FROM (SELECT completed.*, row_number() OVER (PARTITION BY completed.sku
                           ORDER BY completed.received_on DESC, completed.po_id) AS rn
                  FROM completed) c
         WHERE c.rn <= 5
         GROUP BY c.sku
    ), open_lines AS (
        SELECT p.sku, po.warehouse, greatest(pl.quantity - pl.received_quantity, 0) AS q
          FROM purchase_orders po
          JOIN purchase_order_lines pl ON pl.po_id = po.po_id
          JOIN products p ON upper(p.sku) = upper(pl.sku) AND p.active
         WHERE po.received_on IS NULL
           AND upper(po.status) NOT IN ('PARKED', 'DELETED', 'CANCELLED', 'CANCELED',
                                        'COMPLETE', 'COMPLETED')
    ), stock AS (
        SELECT i.sku,
               jsonb_agg(jsonb_build_object(
                   'location', i.location, 'on_hand', i.on_hand, 'allocated', i.allocated,
                   'on_order', COALESCE((SELECT sum(ol.q) FROM open_lines ol
                                          WHERE ol.sku = i.sku AND ol.warehouse = i.location), 0),
                   'demand', COALESCE(pl.q, 0)) ORDER BY i.location) AS stock
          FROM inventory i
          LEFT JOIN per_location pl ON pl.sku = i.sku AND pl.location = i.location
         GROUP BY i.sku
    ), unplaced AS (
        SELECT ol.sku, sum(ol.q) AS q
          FROM open_lines ol
         WHERE ol.warehouse IS NULL
            OR NOT EXISTS (SELECT 1 FROM inventory i
                            WHERE i.sku = ol.sku AND i.location = ol.warehouse)
         GROUP BY ol.sku
    )
    SELECT p.sku, jsonb_build_object(
               'buckets', COALESCE(b.buckets, '[]'), 'qty', COALESCE(b.qty, '[]'),
               'lead_times', COALESCE(lt.lead_times, '[]'),
               'stock', COALESCE(s.stock, '[]'),
               'on_order_unplaced', COALESCE(u.q, 0))
      FROM products p
      LEFT JOIN per_bucket b ON b.sku = p.sku
      LEFT JOIN lead lt ON lt.sku = p.sku
      LEFT JOIN stock s ON s.sku = p.sku
      LEFT JOIN unplaced u ON u.sku = p.sku
     WHERE p.active
     ORDER BY p.sku
$$;

-- Closes run p_run_id in one statement: its forecasts, stock recommendations
-- and failures, its counts, success rate and status, and the pruning of old
-- runs' rows. Status 'failed' when every SKU failed (nothing is written then
-- but the failures, and the previous run stays current), else 'succeeded'.
--   p_forecasts: [{"sku","method","model","steps":[[point,lo80,hi80,lo95,hi95],…]}]
--   p_recommendations: [{"sku","location",<stock_recommendations columns>}]
--   p_failures: [{"sku","stage","reason"}]
-- A run that is already closed is returned as it is (nothing written twice).
-- Returns {"run_id","status","skus_total","skus_ok","skus_failed","success_rate",
--          "forecasts","recommendations","replay"}.
CREATE FUNCTION forecast_run_finish(p_run_id bigint, p_forecasts jsonb,
                                    p_recommendations jsonb, p_failures jsonb,
                                    p_keep_runs integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    r forecast_runs;
    v_step interval;
    v_ok integer := jsonb_array_length(p_forecasts);
    v_failed integer := jsonb_array_length(p_failures);
    v_rows bigint := 0;
    v_recs bigint := 0;
    v_status text;
BEGIN
    SELECT * INTO r FROM forecast_runs WHERE id = p_run_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'forecast run % does not exist', p_run_id;
    END IF;
    IF r.status IN ('succeeded', 'failed') THEN
        RETURN jsonb_build_object('run_id', r.id, 'status', r.status, 'skus_total', r.skus_total,
                                  'skus_ok', r.skus_ok, 'skus_failed', r.skus_failed,
                                  'success_rate', r.success_rate, 'replay', true);
    END IF;
    v_status := CASE WHEN v_ok = 0 AND v_failed > 0 THEN 'failed' ELSE 'succeeded' END;
    v_step := CASE r.bucket WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                            ELSE interval '1 month' END;
    IF v_status = 'succeeded' THEN
        INSERT INTO forecasts (run_id, sku, step, period_start, method, model,
                               point, lo80, hi80, lo95, hi95)
        SELECT p_run_id, f.sku, s.step, (r.origin + (s.step - 1) * v_step)::date,
               f.method, f.model, (s.v ->> 0)::float8, (s.v ->> 1)::float8,
               (s.v ->> 2)::float8, (s.v ->> 3)::float8, (s.v ->> 4)::float8
          FROM jsonb_to_recordset(p_forecasts) AS f(sku text, method text, model text, steps jsonb)
         CROSS JOIN LATERAL jsonb_array_elements(f.steps) WITH ORDINALITY AS s(v, step);
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        INSERT INTO stock_recommendations
        SELECT p_run_id, x.sku, x.location, x.lead_time_days, x.lead_time_source,
               x.lead_time_samples, x.demand_share, x.lead_time_demand, x.lead_time_sigma,
               x.safety_stock, x.reorder_point, x.review_period_days, x.review_demand,
               x.on_hand, x.allocated, x.on_order, x.inventory_position, x.suggested_order
          FROM jsonb_to_recordset(p_recommendations) AS x(
                   sku text, location text, lead_time_days float8, lead_time_source text,
                   lead_time_samples integer, demand_share float8, lead_time_demand float8,
                   lead_time_sigma float8, safety_stock float8, reorder_point float8,
                   review_period_days integer, review_demand float8, on_hand integer,
                   allocated integer, on_order float8, inventory_position float8,
                   suggested_order bigint);
        GET DIAGNOSTICS v_recs = ROW_COUNT;
    END IF;
    INSERT INTO forecast_failures (run_id, sku, stage, reason)
    SELECT p_run_id, x.sku, x.stage, x.reason
      FROM jsonb_to_recordset(p_failures) AS x(sku text, stage text, reason text);
    UPDATE forecast_runs
       SET status = v_status, finished_at = now(),
           skus_total = v_ok + v_failed, skus_ok = v_ok, skus_failed = v_failed,
           success_rate = CASE WHEN v_ok + v_failed > 0
                               THEN round(v_ok::numeric / (v_ok + v_failed), 6) END,
           error = CASE WHEN v_status = 'failed' THEN 'every SKU failed' END
     WHERE id = p_run_id
    RETURNING * INTO r;
    WITH old AS (
        SELECT id FROM forecast_runs WHERE status = 'succeeded'
         ORDER BY finished_at DESC, id DESC OFFSET greatest(p_keep_runs, 1)
    ), gone AS (
        DELETE FROM forecasts WHERE run_id IN (SELECT id FROM old)
    )
    DELETE FROM stock_recommendations WHERE run_id IN (SELECT id FROM old);
    RETURN jsonb_build_object('run_id', r.id, 'status', r.status, 'skus_total', r.skus_total,
                              'skus_ok', r.skus_ok, 'skus_failed', r.skus_failed,
                              'success_rate', r.success_rate, 'forecasts', v_rows,
                              'recommendations', v_recs, 'replay', false);
END;
$$;

-- Computes and stores the working-capital snapshot of job p_job_id as of
-- p_as_of over the p_days days ending with it (docs/WORKING_CAPITAL.md has
-- every convention), or returns the snapshot that job already stored.
-- p_base_currency NULL: the currency of the invoices at rate 1 (the
-- organisation's base currency in Xero), the most common one.
CREATE FUNCTION working_capital_compute(p_job_id text, p_as_of date, p_base_currency text,
                                        p_days integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_from date := p_as_of - (p_days - 1);
    v_base text := p_base_currency;
    v_notes text[] := '{}';
    v_ar numeric; v_ap numeric; v_revenue numeric; v_cogs numeric; v_inventory numeric;
    v_dso numeric; v_dio numeric; v_dpo numeric;
    v_uncosted_lines bigint; v_uncosted_rows bigint; v_negative_rows bigint;
    snap working_capital_snapshots;
BEGIN
    SELECT * INTO snap FROM working_capital_snapshots WHERE job_id = p_job_id;
    IF FOUND THEN
        RETURN to_jsonb(snap) || jsonb_build_object('replay', true);
    END IF;

    IF v_base IS NULL THEN
        SELECT currency INTO v_base FROM invoices WHERE currency_rate = 1
         GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1;
        v_notes := v_notes || CASE WHEN v_base IS NULL
            THEN 'base currency unknown: BASE_CURRENCY unset and no invoice at rate 1'
            ELSE format('base currency %s inferred from the invoices at rate 1', v_base) END;
    END IF;

    -- Balances at the end of the period: what is still owed, without tax.
    SELECT COALESCE(sum(CASE WHEN total > 0 THEN amount_due * subtotal / total ELSE amount_due END
                        / currency_rate) FILTER (WHERE type = 'ACCREC'), 0),
           COALESCE(sum(CASE WHEN total > 0 THEN amount_due * subtotal / total ELSE amount_due END
                        / currency_rate) FILTER (WHERE type = 'ACCPAY'), 0)
      INTO v_ar, v_ap
      FROM invoices
     WHERE status = 'AUTHORISED' AND COALESCE(issued_on, p_as_of) <= p_as_of;

    SELECT COALESCE(sum(subtotal / currency_rate), 0) INTO v_revenue
      FROM invoices
     WHERE type = 'ACCREC' AND status IN ('AUTHORISED', 'PAID')
       AND issued_on BETWEEN v_from AND p_as_of;

    SELECT COALESCE(sum(l.quantity * p.avg_cost), 0),
           count(*) FILTER (WHERE p.avg_cost IS NULL)
      INTO v_cogs, v_uncosted_lines
      FROM orders o
      JOIN order_lines l ON l.order_id = o.id
      LEFT JOIN products p ON upper(p.sku) = upper(l.sku)
     WHERE o.status <> 'cancelled'
       AND o.placed_at >= v_from::timestamp AT TIME ZONE 'UTC'
       AND o.placed_at < (p_as_of + 1)::timestamp AT TIME ZONE 'UTC';

    SELECT COALESCE(sum(greatest(i.on_hand, 0) * COALESCE(i.avg_cost, p.avg_cost)), 0),
           count(*) FILTER (WHERE COALESCE(i.avg_cost, p.avg_cost) IS NULL AND i.on_hand > 0),
           count(*) FILTER (WHERE i.on_hand < 0)
      INTO v_inventory, v_uncosted_rows, v_negative_rows
      FROM inventory i JOIN products p ON p.sku = i.sku;

    IF v_uncosted_lines > 0 THEN
        v_notes := v_notes || format('%s order lines without an average cost left out of COGS',
                                     v_uncosted_lines);
    END IF;
    IF v_uncosted_rows > 0 THEN
        v_notes := v_notes || format(
            '%s inventory rows without an average cost left out of inventory', v_uncosted_rows);
    END IF;
    IF v_negative_rows > 0 THEN
        v_notes := v_notes || format('%s inventory rows with negative on_hand counted as 0',
                                     v_negative_rows);
    END IF;
    IF v_revenue > 0 THEN
        v_dso := v_ar / v_revenue * p_days;
    ELSE
        v_notes := v_notes || 'no revenue in the period: DSO is NULL'::text;
    END IF;
    IF v_cogs > 0 THEN
        v_dio := v_inventory / v_cogs * p_days;
        v_dpo := v_ap / v_cogs * p_days;
    ELSE
        v_notes := v_notes || 'no cost of goods sold in the period: DIO and DPO are NULL'::text;
    END IF;

    INSERT INTO working_capital_snapshots (job_id, as_of, days, base_currency, receivables,
                                           payables, inventory_value, revenue, cogs,
                                           dso, dio, dpo, ccc, notes)
    VALUES (p_job_id, p_as_of, p_days, v_base, v_ar, v_ap, v_inventory, v_revenue, v_cogs,
            round(v_dso, 2), round(v_dio, 2), round(v_dpo, 2),
            round(v_dso + v_dio - v_dpo, 2), v_notes)
    ON CONFLICT (job_id) DO NOTHING
    RETURNING * INTO snap;
    IF NOT FOUND THEN
        SELECT * INTO snap FROM working_capital_snapshots WHERE job_id = p_job_id;
        RETURN to_jsonb(snap) || jsonb_build_object('replay', true);
    END IF;
    RETURN to_jsonb(snap) || jsonb_build_object('replay', false);
END;
$$;
