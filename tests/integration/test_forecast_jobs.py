"""forecast.run and working_capital.compute through the real sentia-worker
(sanitizer build) against real Redis and PostgreSQL.

Proves: on a small known data set the demand history counts every source
but cancelled orders, the forecasts of a constant SKU are the constant, and
the reorder points and suggested orders per location equal the formulas of
docs/FORECAST.md worked by hand here (also for a SKU with a real forecast,
from its stored intervals); DSO, DIO, DPO and CCC equal the hand figures of
docs/WORKING_CAPITAL.md (tax-exclusive, converted with each invoice's rate,
draft/voided/old invoices left out); a corrupt SKU history fails that SKU
alone, with its reason, and the success rate says so; a worker SIGKILLed in
the middle of a run leaves the previous forecasts current and intact, and
another worker re-runs the job to completion; a job delivered twice makes
one run and one snapshot; old runs' rows are pruned; bad settings exit 78.
"""
import json
import math
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from conftest import base_env, pg, run, wait_until

Z95 = 1.959963984540054      # the engine's 95 % interval quantile
Z_SERVICE = 1.6448536269514722  # SERVICE_LEVEL 0.95


# ---- helpers -----------------------------------------------------------------

def queue_cli(prefix, *args):
    cp = run("sentia-queue", *args, env=base_env(prefix=prefix))
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.strip()


def enqueue(prefix, type_):
    return queue_cli(prefix, "enqueue", "forecast", type_)


def stats(prefix):
    return json.loads(queue_cli(prefix, "--json", "stats", "forecast"))["queues"][0]


def completed(prefix, n, timeout=60):
    return wait_until(lambda: stats(prefix)["counters"]["completed"] >= n, timeout=timeout,
                      what=f"{n} forecast jobs completed")


def push_envelope(redis, prefix, job_id, type_):
    env = {"id": job_id, "type": type_, "queue": "forecast", "attempt": 0, "max_attempts": 3,
           "created_ms": int(time.time() * 1000), "dedup_key": None, "request_id": None,
           "payload": {}}
    redis.sadd(f"{prefix}:queues", "forecast")
    redis.lpush(f"{prefix}:{{forecast}}:ready", json.dumps(env))


def start_worker(services, prefix, database, **extra):
    settings = dict(WORKER_QUEUES="forecast:1", DEFAULT_LEAD_TIME_DAYS=10,
                    SERVICE_LEVEL="0.95", REVIEW_PERIOD_DAYS=7, BASE_CURRENCY="GBP")
    settings.update(extra)
    w = services("sentia-worker", env=base_env(prefix=prefix, dbname=database, **settings))
    w.wait_log(lambda r: r.get("msg") == "worker started")
    return w


def rows(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def one(conn, sql, *args):
    return rows(conn, sql, *args)[0][0]


def today():
    return datetime.now(timezone.utc).date()


def week_start(d):
    return d - timedelta(days=d.weekday())


def at(d, hour=12):
    return datetime(d.year, d.month, d.day, hour, tzinfo=timezone.utc)


class Seeder:
    """Inserts products, stock, orders and purchase orders the way the syncs write them."""

    def __init__(self, conn):
        self.conn = conn
        self.n = 0

    def product(self, sku, avg_cost=None, active=True):
        rows(self.conn, "INSERT INTO products (sku, name, unit_price, currency, avg_cost, active)"
             " VALUES (%s, %s, 1, 'GBP', %s, %s) RETURNING sku", sku, sku, avg_cost, active)

    def stock(self, sku, location, on_hand, allocated=0, avg_cost=None):
        rows(self.conn, "INSERT INTO inventory (sku, location, on_hand, allocated, avg_cost)"
             " VALUES (%s, %s, %s, %s, %s) RETURNING sku", sku, location, on_hand, allocated,
             avg_cost)

    def order(self, source, placed_at, lines, status="confirmed", location=None):
        self.n += 1
        oid = one(self.conn, "INSERT INTO orders (source, external_id, status, currency, total,"
                  " stock_location, placed_at) VALUES (%s, %s, %s, 'GBP', 0, %s, %s) RETURNING id",
                  source, f"ext-{self.n}", status, location, placed_at)
        for i, (sku, qty) in enumerate(lines, 1):
            rows(self.conn, "INSERT INTO order_lines (order_id, line_no, sku, name, quantity,"
                 " unit_price, line_total) VALUES (%s, %s, %s, %s, %s, 1, %s) RETURNING line_no",
                 oid, i, sku, sku, qty, qty)

    def purchase_order(self, status, ordered_on, received_on, lines, warehouse=None):
        self.n += 1
        po = f"po-{self.n}"
        rows(self.conn, "INSERT INTO purchase_orders (po_id, status, ordered_on, received_on,"
             " warehouse, raw) VALUES (%s, %s, %s, %s, %s, '{}') RETURNING po_id",
             po, status, ordered_on, received_on, warehouse)
        for i, (sku, qty, received) in enumerate(lines, 1):
            rows(self.conn, "INSERT INTO purchase_order_lines (po_id, line_no, sku, quantity,"
                 " received_quantity) VALUES (%s, %s, %s, %s, %s) RETURNING po_id",
                 po, i, sku, qty, received)

    def invoice(self, type_, status, issued_on, currency, rate, subtotal, tax, amount_due):
        self.n += 1
        rows(self.conn, "INSERT INTO invoices (invoice_id, type, status, issued_on, currency,"
             " currency_rate, subtotal, total_tax, total, amount_due, raw)"
             " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{}') RETURNING invoice_id",
             f"inv-{self.n}", type_, status, issued_on, currency, rate, subtotal, tax,
             Decimal(subtotal) + Decimal(tax), amount_due)


def demand_over(steps, origin, start, end):
    """Hand formula: prorated mean and variance of weekly forecast rows over [start, end) days
    counted from `origin` (the first step's Monday)."""
    mean = var = 0.0
    for k, (point, hi95) in enumerate(steps):
        s, e = 7 * k, 7 * k + 7
        overlap = max(0.0, min(e, end) - max(s, start))
        share = overlap / 7
        sigma = (hi95 - point) / Z95
        mean += share * point
        var += share * sigma * sigma
    return mean, var


# ---- the known data set ----------------------------------------------------------

VARIED_A = [1, 3, 2, 4, 1, 2, 3, 1, 2, 4, 2, 3]  # per week; main gets 3a, north a


def seed_known(conn):
    """STEADY: 10 units a week for 8 weeks from three sources (+ a cancelled order), 3
    completed purchase orders (lead times 10, 14, 12 days) and one open (15 to come).
    VARIED: 4a units a week for 12 weeks, 3/4 allocated at main and 1/4 at north, no
    completed purchase order (default lead time), 12 units on order for no location."""
    s = Seeder(conn)
    t, origin = today(), week_start(today())
    s.product("STEADY", avg_cost=4)
    s.product("VARIED", avg_cost=2)
    s.product("OLD", avg_cost=1, active=False)
    s.stock("STEADY", "main", 8, 4)
    s.stock("VARIED", "main", 20, 0, avg_cost=Decimal("2.50"))
    s.stock("VARIED", "north", -2, 1)
    for k in range(1, 9):
        tuesday = at(origin - timedelta(days=7 * k - 1))
        s.order("whatsapp", tuesday, [("STEADY", 3)], location="main")
        s.order("shopify", tuesday, [("STEADY", 5)])
        s.order("unleashed", tuesday, [("steady", 2)], status="pending", location="main")
        s.order("shopify", tuesday, [("STEADY", 100)], status="cancelled")
    for k, a in enumerate(VARIED_A, 1):
        wednesday = at(origin - timedelta(days=7 * k - 2))
        s.order("shopify", wednesday, [("VARIED", 3 * a)], location="main")
        s.order("unleashed", wednesday, [("VARIED", a)], location="north")
    s.order("shopify", at(t - timedelta(days=400)), [("OLD", 1000)])
    s.order("shopify", at(origin - timedelta(days=6)), [("GHOST", 5)])  # no such product
    s.purchase_order("Complete", t - timedelta(days=60), t - timedelta(days=50), [("STEADY", 40, 40)])
    s.purchase_order("Complete", t - timedelta(days=40), t - timedelta(days=26), [("STEADY", 40, 40)])
    s.purchase_order("Complete", t - timedelta(days=30), t - timedelta(days=18), [("STEADY", 40, 40)])
    s.purchase_order("Deleted", t - timedelta(days=99), t - timedelta(days=1), [("STEADY", 9, 9)])
    s.purchase_order("Placed", t - timedelta(days=3), None, [("STEADY", 20, 5)], warehouse="main")
    s.purchase_order("Parked", t - timedelta(days=2), None, [("STEADY", 50, 0)], warehouse="main")
    s.purchase_order("Placed", t - timedelta(days=1), None, [("VARIED", 12, 0)])
    # Invoices (base GBP; base = amount / rate).
    s.invoice("ACCREC", "AUTHORISED", t - timedelta(days=30), "GBP", 1, "1000", "200", "600")
    s.invoice("ACCREC", "PAID", t - timedelta(days=100), "USD", "1.25", "2500", "500", "0")
    s.invoice("ACCREC", "AUTHORISED", t - timedelta(days=400), "EUR", "1.1", "1100", "220", "1320")
    s.invoice("ACCREC", "DRAFT", t - timedelta(days=10), "GBP", 1, "5000", "1000", "6000")
    s.invoice("ACCREC", "VOIDED", t - timedelta(days=10), "GBP", 1, "700", "140", "840")
    s.invoice("ACCPAY", "AUTHORISED", t - timedelta(days=20), "GBP", 1, "800", "160", "480")
    s.invoice("ACCPAY", "AUTHORISED", t - timedelta(days=5), "USD", "1.25", "500", "0", "250")
    s.invoice("ACCPAY", "PAID", t - timedelta(days=50), "GBP", 1, "300", "60", "0")


def check_recommendation(rec, rop, review, position, share=1.0):
    """One stock_recommendations row against the hand figures for its location."""
    assert rec["demand_share"] == pytest.approx(share)
    assert rec["reorder_point"] == pytest.approx(share * rop, rel=1e-6, abs=1e-6)
    assert rec["review_demand"] == pytest.approx(share * review, rel=1e-6, abs=1e-6)
    assert rec["inventory_position"] == pytest.approx(position)
    need = share * (rop + review) - position
    assert rec["suggested_order"] == (math.ceil(need - 1e-9) if need > 1e-9 else 0)


def recommendations(conn, run_id):
    cur = conn.cursor()
    cur.execute("SELECT * FROM stock_recommendations WHERE run_id = %s", (run_id,))
    names = [d[0] for d in cur.description]
    return {(r[1], r[2]): dict(zip(names, r)) for r in cur.fetchall()}


def test_known_data_set_matches_the_hand_figures(prefix, database, services):
    conn = pg(database)
    seed_known(conn)
    w = start_worker(services, prefix, database)
    enqueue(prefix, "forecast.run")
    enqueue(prefix, "working_capital.compute")
    completed(prefix, 2)
    w.stop()

    run_id, status, total, ok, rate, as_of, origin = rows(
        conn, "SELECT id, status, skus_total, skus_ok, success_rate, as_of, origin"
        " FROM forecast_runs")[0]
    assert (status, total, ok, rate) == ("succeeded", 2, 2, Decimal("1"))
    assert origin == week_start(as_of) and origin.weekday() == 0
    assert one(conn, "SELECT id FROM current_forecast_run") == run_id

    # STEADY: 10 units a week whatever the source; the cancelled order never counts.
    steady = rows(conn, "SELECT step, period_start, point, lo95, hi95 FROM current_forecasts"
                  " WHERE sku = 'STEADY' ORDER BY step")
    assert len(steady) == 12
    assert steady[0][1] == origin and steady[1][1] == origin + timedelta(days=7)
    assert all(r[2:] == (10.0, 10.0, 10.0) for r in steady)
    # Lead time: median of 10, 14, 12 days = 12 (the deleted order is ignored).
    # Demand over 12 days of a flat 10/week: 120/7, no spread, so ROP = 120/7; review 10.
    # On order 20 - 5 at main (the parked order does not count): position 8 - 4 + 15 = 19.
    recs = recommendations(conn, run_id)
    s = recs[("STEADY", "main")]
    assert (s["lead_time_days"], s["lead_time_source"], s["lead_time_samples"]) == \
        (12, "purchase_orders", 3)
    assert s["safety_stock"] == 0 and s["on_order"] == 15
    check_recommendation(s, 120 / 7, 10, 19)
    assert s["suggested_order"] == 9  # ceil(120/7 + 10 - 19)

    # VARIED: from its own stored forecast, by the formulas, split 3/4 main, 1/4 north.
    steps = rows(conn, "SELECT point, hi95 FROM current_forecasts WHERE sku = 'VARIED'"
                 " ORDER BY step")
    since = (as_of - origin).days
    lead_mean, lead_var = demand_over(steps, origin, since, since + 10)  # default lead time
    review, _ = demand_over(steps, origin, since + 10, since + 17)
    rop = lead_mean + Z_SERVICE * math.sqrt(lead_var)
    main, north = recs[("VARIED", "main")], recs[("VARIED", "north")]
    assert main["lead_time_source"] == "default" and main["lead_time_days"] == 10
    assert lead_var > 0 and main["safety_stock"] > 0
    check_recommendation(main, rop, review, 20 - 0 + 9, share=0.75)    # 12 on order, 3/4
    check_recommendation(north, rop, review, -2 - 1 + 3, share=0.25)

    # Working capital, by hand (docs/WORKING_CAPITAL.md).
    ar = Decimal(600) * 1000 / 1200 + Decimal(1320) * 1100 / 1320 / Decimal("1.1")  # 1500
    revenue = Decimal(1000) + Decimal(2500) / Decimal("1.25")                        # 3000
    ap = Decimal(480) * 800 / 960 + Decimal(250) / Decimal("1.25")                  # 600
    cogs = 80 * Decimal(4) + 4 * sum(VARIED_A) * Decimal(2)                         # 544
    inventory = 8 * Decimal(4) + 20 * Decimal("2.5")                                # 82
    dso, dio, dpo = ar / revenue * 365, inventory / cogs * 365, ap / cogs * 365
    snap = rows(conn, "SELECT receivables, payables, inventory_value, revenue, cogs, dso, dio,"
                " dpo, ccc, base_currency, days, notes FROM current_working_capital")[0]
    assert snap[:5] == (ar, ap, inventory, revenue, cogs)
    assert snap[5:9] == tuple(round(x, 2) for x in (dso, dio, dpo, dso + dio - dpo))
    assert snap[9:11] == ("GBP", 365)
    notes = " | ".join(snap[11])
    assert "1 order lines without an average cost" in notes
    assert "1 inventory rows with negative on_hand counted as 0" in notes


def test_corrupt_sku_fails_alone_with_its_reason(prefix, database, services):
    conn = pg(database)
    s = Seeder(conn)
    origin = week_start(today())
    for sku in ("OK-1", "OK-2", "BAD"):
        s.product(sku)
        for k in range(1, 7):
            s.order("shopify", at(origin - timedelta(days=7 * k - 1)), [(sku, k)])
    # A line the constraints allow (quantity > 0) with a provider's overflow value.
    s.order("unleashed", at(origin - timedelta(days=20)), [("BAD", 2147483647)])
    w = start_worker(services, prefix, database)
    enqueue(prefix, "forecast.run")
    completed(prefix, 1)
    w.stop()
    run_id, status, total, ok, failed, rate = rows(
        conn, "SELECT id, status, skus_total, skus_ok, skus_failed, success_rate"
        " FROM forecast_runs")[0]
    assert (status, total, ok, failed) == ("succeeded", 3, 2, 1)
    assert rate == Decimal("0.666667")
    assert rows(conn, "SELECT DISTINCT sku FROM forecasts ORDER BY 1") == [("OK-1",), ("OK-2",)]
    (sku, stage, reason), = rows(conn, "SELECT sku, stage, reason FROM forecast_failures"
                                       " WHERE run_id = %s", run_id)
    assert (sku, stage) == ("BAD", "history")
    # that week: 2147483647 + the ordinary 3 units
    assert reason.endswith(": 2147483650 units is outside 0..1000000000 (a corrupt order line?)")


def forecast_rows(conn, run_id):
    return rows(conn, "SELECT sku, step, period_start, point, lo80, hi80, lo95, hi95"
                " FROM forecasts WHERE run_id = %s ORDER BY sku, step", run_id)


def test_run_killed_midway_leaves_the_previous_forecasts(prefix, database, services, redis):
    conn = pg(database)
    s = Seeder(conn)
    origin = week_start(today())
    skus = [f"K{i:03d}" for i in range(40)]
    for i, sku in enumerate(skus):
        s.product(sku)
    for k in range(1, 11):
        s.order("shopify", at(origin - timedelta(days=7 * k - 1)),
                [(sku, 1 + (i * k) % 7) for i, sku in enumerate(skus)])
    w = start_worker(services, prefix, database)
    enqueue(prefix, "forecast.run")
    completed(prefix, 1)
    w.stop()
    first = one(conn, "SELECT id FROM current_forecast_run")
    before = forecast_rows(conn, first)
    assert len(before) == 40 * 12

    # 40 SKUs x 150 ms on one thread: a 6 s run, killed once it is computing.
    a = start_worker(services, prefix, database, FORECAST_TEST_DELAY_MS=150,
                     FORECAST_PARALLELISM=1, WORKER_LEASE_MS=1000)
    job_id = enqueue(prefix, "forecast.run")
    a.wait_log(lambda r: r.get("msg") == "forecast run computing" and r.get("job_id") == job_id)
    time.sleep(0.5)
    a.kill()
    killed = one(conn, "SELECT id FROM forecast_runs WHERE job_id = %s", job_id)
    assert one(conn, "SELECT status FROM forecast_runs WHERE id = %s", killed) == "running"
    assert one(conn, "SELECT count(*) FROM forecasts WHERE run_id = %s", killed) == 0
    assert one(conn, "SELECT id FROM current_forecast_run") == first
    assert forecast_rows(conn, first) == before

    # Another worker reaps the dead one's job and runs it again, to the end.
    b = start_worker(services, prefix, database, WORKER_LEASE_MS=1000)
    completed(prefix, 2, timeout=60)
    b.stop()
    runs = dict(rows(conn, "SELECT id, status FROM forecast_runs WHERE job_id = %s", job_id))
    assert runs.pop(killed) == "abandoned"
    (rerun, status), = runs.items()
    assert status == "succeeded"
    assert one(conn, "SELECT id FROM current_forecast_run") == rerun
    assert one(conn, "SELECT count(*) FROM current_forecasts") == 40 * 12
    assert stats(prefix)["counters"]["recovered"] == 1


def test_redelivered_jobs_run_once_and_old_runs_are_pruned(prefix, database, services, redis):
    conn = pg(database)
    s = Seeder(conn)
    s.product("P1")
    s.stock("P1", "main", 3)
    for k in range(1, 5):
        s.order("whatsapp", at(week_start(today()) - timedelta(days=7 * k - 1)), [("P1", 2)])
    w = start_worker(services, prefix, database, FORECAST_KEEP_RUNS=1)
    job, wc = uuid.uuid4().hex, uuid.uuid4().hex
    push_envelope(redis, prefix, job, "forecast.run")
    push_envelope(redis, prefix, wc, "working_capital.compute")
    completed(prefix, 2)
    push_envelope(redis, prefix, job, "forecast.run")  # the same jobs, delivered again
    push_envelope(redis, prefix, wc, "working_capital.compute")
    completed(prefix, 4)
    assert one(conn, "SELECT count(*) FROM forecast_runs") == 1
    assert one(conn, "SELECT count(*) FROM working_capital_snapshots") == 1
    assert any(r.get("msg") == "working capital computed" and r.get("replay") for r in w.logs())
    first = one(conn, "SELECT id FROM forecast_runs")

    enqueue(prefix, "forecast.run")  # a new job: a new run, the same figures
    completed(prefix, 5)
    w.stop()
    second = one(conn, "SELECT id FROM current_forecast_run")
    assert second != first
    assert one(conn, "SELECT status FROM forecast_runs WHERE id = %s", first) == "succeeded"
    assert forecast_rows(conn, first) == [] and recommendations(conn, first) == {}  # pruned
    assert [r[3:] for r in forecast_rows(conn, second)] == [(2.0,) * 5] * 12
    assert len(recommendations(conn, second)) == 1


def test_working_capital_without_sales_is_null_not_infinite(database):
    conn = pg(database)
    snap = one(conn, "SELECT working_capital_compute('job-1', current_date, NULL, 365)")
    assert (snap["dso"], snap["dio"], snap["dpo"], snap["ccc"]) == (None,) * 4
    assert snap["base_currency"] is None and snap["replay"] is False
    assert "no revenue in the period: DSO is NULL" in snap["notes"]
    assert "no cost of goods sold in the period: DIO and DPO are NULL" in snap["notes"]
    Seeder(conn).invoice("ACCREC", "PAID", today(), "NZD", 1, "10", "0", "0")
    again = one(conn, "SELECT working_capital_compute('job-1', current_date, NULL, 365)")
    assert again["replay"] is True and again["id"] == snap["id"]
    inferred = one(conn, "SELECT working_capital_compute('job-2', current_date, NULL, 365)")
    assert inferred["base_currency"] == "NZD" and inferred["dso"] == 0
    assert "base currency NZD inferred from the invoices at rate 1" in inferred["notes"]


@pytest.mark.parametrize("env,expect", [
    ({"SERVICE_LEVEL": "1.5", "FORECAST_BUCKET": "year"},
     ["SERVICE_LEVEL must be a decimal", "FORECAST_BUCKET"]),
    ({"BASE_CURRENCY": "pounds", "FORECAST_HORIZON": "0"},
     ["BASE_CURRENCY must be three capital letters", "FORECAST_HORIZON"]),
    ({"APP_ENV": "development", "FORECAST_TEST_DELAY_MS": "5"},
     ["FORECAST_TEST_DELAY_MS is a test seam"]),
])
def test_bad_forecast_settings_exit_78(prefix, env, expect):
    cp = run("sentia-worker", env=base_env(prefix=prefix, **env), timeout=20)
    assert cp.returncode == 78, cp.stdout + cp.stderr
    for text in expect:
        assert text in cp.stderr, cp.stderr
