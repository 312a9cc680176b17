"""amazon.sync_orders against the fake SP-API (tests/fakes/amazon.py): orders and
their items across NextToken pages into orders / order_lines (source amazon,
account = marketplace id), an incremental pass, a worker killed mid-sync that
resumes to identical rows, 429 waited without spending an attempt, 5xx
retried, a refused refresh token marking the integration unauthorised, and a
forecast run counting Amazon sales in each SKU's demand (docs/INTEGRATIONS.md
"Amazon SP-API orders")."""
import datetime
import json
import time
from decimal import Decimal

import pytest

from conftest import base_env, query, wait_until
from sync_support import (Fake, dead_jobs, enqueue, queue_stats, sync_status, sync_worker,
                          wait_finished, wait_status)

CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "amzn-secret"
REFRESH = "Atzr|fake-refresh"
US, UK = "ATVPDKIKX0DER", "A1F83G8C2ARO7P"
STATUS = {"Pending": "pending", "PendingAvailability": "pending", "Unshipped": "confirmed",
          "PartiallyShipped": "confirmed", "Shipped": "confirmed",
          "InvoiceUnconfirmed": "confirmed", "Canceled": "cancelled",
          "Unfulfillable": "cancelled"}


def start_fake(count, marketplaces=US):
    return Fake("amazon", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
                "--refresh-token", REFRESH, "--orders", count, "--marketplaces", marketplaces)


@pytest.fixture
def amazon():
    f = start_fake(2000)
    yield f
    f.stop()


def amazon_env(fake, marketplaces=US, **extra):
    env = dict(AMAZON_SP_API_BASE=fake.url, AMAZON_LWA_URL=f"{fake.url}/auth/o2/token",
               AMAZON_CLIENT_ID=CLIENT_ID, AMAZON_CLIENT_SECRET=CLIENT_SECRET,
               AMAZON_REFRESH_TOKEN=REFRESH, AMAZON_MARKETPLACE_IDS=marketplaces,
               AMAZON_ORDERS_PER_HOUR=0, AMAZON_ITEMS_PER_MINUTE=0)
    env.update(extra)
    return env


def db_orders(dbname):
    return query(dbname,
                 "SELECT account, external_id, status, external_status, currency, total::text,"
                 " placed_at, cancelled_at IS NOT NULL,"
                 " (SELECT coalesce(json_agg(json_build_array(l.line_no, l.sku, l.quantity,"
                 "  l.line_total::text, l.external_line_id, l.external_product_id)"
                 "  ORDER BY l.line_no), '[]') FROM order_lines l WHERE l.order_id = o.id)"
                 " FROM orders o WHERE source = 'amazon' ORDER BY account, external_id")


def check_identical(dbname, fake):
    rows = db_orders(dbname)
    want = {o["AmazonOrderId"]: o for o in fake.get("/_fake/orders")}
    assert len(rows) == len(want)
    assert len({(r[0], r[1]) for r in rows}) == len(rows)
    for account, ext, status, ext_status, currency, total, _placed, cancelled, lines in rows:
        o = want[ext]
        assert account == o["MarketplaceId"]
        assert ext_status == o["OrderStatus"] and status == STATUS[o["OrderStatus"]]
        assert cancelled == (status == "cancelled")
        if "OrderTotal" in o:
            assert currency == o["OrderTotal"]["CurrencyCode"]
            assert total == o["OrderTotal"]["Amount"], ext
        else:
            assert Decimal(total) == 0
        items = [i for i in o["OrderItems"] if int(i["QuantityOrdered"]) > 0]
        assert len(lines) == len(items), ext
        for (no, sku, qty, line_total, item_id, asin), item in zip(lines, items):
            assert sku == item.get("SellerSKU", "") and qty == int(item["QuantityOrdered"])
            assert item_id == item["OrderItemId"] and asin == item["ASIN"]
            if "ItemPrice" in item:
                assert Decimal(line_total) == Decimal(item["ItemPrice"]["Amount"]), ext


def field(marketplace=US):
    return f"amazon:{marketplace}:orders"


def test_2000_orders_across_pages_then_incremental(prefix, redis, database, services, amazon):
    w = sync_worker(services, prefix, database, **amazon_env(amazon))
    enqueue(prefix, "sync", "amazon.sync_orders")  # as the scheduler: fans out per marketplace
    st = wait_status(redis, prefix, field(), lambda s: s["last_success_ms"], timeout=300)
    assert st["last_run_rows"] == 2000 and st["pages"] == 20 and st["position"] is None
    assert st["account"] == US
    check_identical(database, amazon)
    calls = amazon.get("/_fake/calls")
    assert calls["calls"]["token"] == 1  # the access token is cached for the whole pass
    first_orders = calls["calls"]["getOrders"]
    assert first_orders == 20

    # three orders change (one cancelled) and two new ones arrive
    later = int(time.time() * 1000) - 150000
    ids = [o["AmazonOrderId"] for o in amazon.get("/_fake/orders")]
    amazon.post("/_fake/orders/touch", {"ids": ids[5:7], "updated_ms": later})
    amazon.post("/_fake/orders/touch", {"ids": [ids[9]], "updated_ms": later,
                                        "status": "Canceled"})
    amazon.post("/_fake/orders/add", {"count": 2, "updated_ms": later})
    enqueue(prefix, "sync", "amazon.sync_orders", {"marketplace": US})
    wait_finished(prefix, "sync", 3, timeout=120)
    st = sync_status(redis, prefix)[field()]
    # what changed, plus the orders within the 5-minute overlap before the mark (1 a minute)
    assert 5 <= st["last_run_rows"] <= 5 + 7, st
    check_identical(database, amazon)
    calls = amazon.get("/_fake/calls")
    assert calls["calls"]["getOrders"] == first_orders + 1
    assert calls["calls"]["token"] == 1  # still the cached token (Redis, sealed)
    cached = [k for k in redis.keys(f"{prefix}:amazon:token:*")]
    assert len(cached) == 1 and "Atza|" not in redis.get(cached[0])
    assert query(database, "SELECT status FROM integrations WHERE provider = 'amazon'"
                 " AND account = %s", US) == [("connected",)]
    w.stop()


def test_killed_mid_sync_resumes_to_identical_rows(prefix, redis, database, services):
    amazon = start_fake(800)
    env = amazon_env(amazon, WORKER_LEASE_MS=1000, SYNC_LOCK_TTL_MS=2000, AMAZON_PAGE_SIZE=50)
    amazon.config(delay_ms=3)
    a = sync_worker(services, prefix, database, **env)
    enqueue(prefix, "sync", "amazon.sync_orders", {"marketplace": US})
    wait_status(redis, prefix, field(), lambda s: s["pages"] >= 6, timeout=180)
    a.kill()
    partial = sync_status(redis, prefix)[field()]
    assert partial["position"] and partial["last_success_ms"] is None
    amazon.config(delay_ms=0)
    b = sync_worker(services, prefix, database, **env)
    st = wait_status(redis, prefix, field(), lambda s: s["last_success_ms"], timeout=300)
    check_identical(database, amazon)
    # resumed at the committed page: at most the page in flight is read twice
    assert st["rows_seen"] <= 800 + 50, st
    assert amazon.get("/_fake/calls")["calls"]["getOrders"] <= 16 + 2
    b.stop()
    amazon.stop()


def test_429_waits_without_an_attempt_and_5xx_retries(prefix, redis, database, services):
    fake = start_fake(120)
    try:
        sync_worker(services, prefix, database, **amazon_env(fake))
        fake.script({"status": 429, "op": "getOrders"}, {"status": 429, "op": "getOrderItems"},
                    {"status": 500, "op": "getOrderItems"}, {"status": 503, "op": "getOrders"})
        fake.post("/_fake/limits", {"getOrderItems": {"rate": 100, "burst": 40}})
        enqueue(prefix, "sync", "amazon.sync_orders", {"marketplace": US})
        st = wait_status(redis, prefix, field(), lambda s: s["last_success_ms"], timeout=300)
        assert st["last_error"] is None
        check_identical(database, fake)
        c = queue_stats(prefix, "sync")["counters"]
        assert c.get("retried", 0) == 2, c  # the 500 and the 503: a 429 spends no attempt
        assert c.get("dead", 0) == 0
    finally:
        fake.stop()


def test_refused_refresh_token_is_unauthorised_and_dead(prefix, redis, database, services,
                                                        amazon):
    sync_worker(services, prefix, database,
                **amazon_env(amazon, AMAZON_REFRESH_TOKEN="Atzr|revoked"))
    enqueue(prefix, "sync", "amazon.sync_orders", {"marketplace": US})
    wait_finished(prefix, "sync", 1, timeout=60)
    dead = dead_jobs(prefix, "sync")
    assert len(dead) == 1 and "invalid_grant" in dead[0]["last_error"], dead
    assert query(database, "SELECT status FROM integrations WHERE provider = 'amazon'"
                 " AND account = %s", US) == [("unauthorised",)]


def test_unknown_marketplace_is_dead_and_unconfigured_is_skipped(prefix, redis, database,
                                                                 services, amazon):
    w = sync_worker(services, prefix, database, **amazon_env(amazon))
    enqueue(prefix, "sync", "amazon.sync_orders", {"marketplace": "A1PA6795UKMFR9"})
    wait_finished(prefix, "sync", 1, timeout=60)
    assert "not one of AMAZON_MARKETPLACE_IDS" in dead_jobs(prefix, "sync")[0]["last_error"]
    w.stop()
    sync_worker(services, prefix, database, SCHEDULE="amazon.sync_orders@1s",
                SCHEDULER_TICK_MS=100)
    def announced():
        raw = redis.hget(f"{prefix}:sync:providers", "amazon")
        doc = json.loads(raw) if raw else {}
        return doc if doc.get("configured") is False else None
    doc = wait_until(announced, timeout=30, what="amazon announced unconfigured")
    assert "AMAZON_" in doc["missing"]
    time.sleep(2)
    assert queue_stats(prefix, "sync")["counters"].get("enqueued", 0) == 1  # only the first


def test_forecast_counts_amazon_sales(prefix, redis, database, services):
    fake = start_fake(300, f"{US},{UK}")
    try:
        w = sync_worker(services, prefix, database, **amazon_env(fake, f"{US},{UK}"))
        enqueue(prefix, "sync", "amazon.sync_orders")
        for mkt in (US, UK):
            wait_status(redis, prefix, field(mkt), lambda s: s["last_success_ms"], timeout=300)
        check_identical(database, fake)
        w.stop()
    finally:
        fake.stop()
    want = {}
    for (sku, qty) in query(database,
                            "SELECT l.sku, sum(l.quantity) FROM orders o JOIN order_lines l"
                            " ON l.order_id = o.id WHERE o.source = 'amazon' AND l.sku <> ''"
                            " AND o.status <> 'cancelled' GROUP BY 1"):
        want[sku] = int(qty)
    assert len(want) >= 5
    for sku in want:
        query(database, "INSERT INTO products (sku, name, unit_price, currency, active)"
              " VALUES (%s, %s, 1, 'USD', true) RETURNING sku", sku, sku)
    env = base_env(prefix=prefix, dbname=database, WORKER_QUEUES="forecast:1",
                   BASE_CURRENCY="GBP", FORECAST_HISTORY_WEEKS=12)
    f = services("sentia-worker", env=env)
    f.wait_log(lambda r: r.get("msg") == "worker started")
    enqueue(prefix, "forecast", "forecast.run")
    wait_finished(prefix, "forecast", 1, timeout=180)
    assert query(database, "SELECT status FROM forecast_runs ORDER BY id DESC LIMIT 1") == \
        [("succeeded",)]
    today = datetime.date.today()
    got = {sku: sum(doc["qty"]) for sku, doc in query(
        database, "SELECT sku, input FROM forecast_inputs(%s, %s, 'week')",
        today - datetime.timedelta(weeks=12), today + datetime.timedelta(days=1))}
    assert got == want
    forecast_skus = {r[0] for r in query(database, "SELECT DISTINCT sku FROM current_forecasts"
                                         " WHERE point > 0")}
    assert set(want) <= forecast_skus
