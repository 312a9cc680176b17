"""Shopify sync jobs against the fake Shopify (tests/fakes/shopify.py) with the
real sentia-worker, Redis and PostgreSQL (docs/INTEGRATIONS.md).

Proves: a full sync of 5 000 orders over 20 pages of 250 stores exactly the
fake's data set, then an incremental pass fetches only what changed; a
worker SIGKILLed mid-sync is resumed by another from the committed page
with identical rows and no duplicates; 429 (fractional Retry-After) is
waited out without spending an attempt, 500 and a slow answer past the
page timeout are retried; malformed pages
(truncated JSON, wrong types, missing fields, a huge page) fail with a
clear reason and commit nothing of that page; a wrong token answers 401 →
the integration is unauthorised and the job dead; products/variants and
inventory levels land by SKU.
"""
import time

import pytest

from conftest import pg
from sync_support import (SHOPIFY_TOKEN, Fake, enqueue, provider_env, queue_stats, run_one_sync,
                          sync_status, sync_worker, wait_status)


@pytest.fixture
def shopify():
    f = Fake("shopify", "--token", SHOPIFY_TOKEN, "--orders", 5000, "--products", 40)
    yield f
    f.stop()


def db_orders(dbname):
    with pg(dbname) as conn, conn.cursor() as cur:
        cur.execute("SELECT external_id, status, total::text, currency, external_updated_at,"
                    " (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id)"
                    " FROM orders o WHERE source = 'shopify' ORDER BY external_id")
        return cur.fetchall()


def expected_lines(order):
    return sum(1 for li in order["line_items"] if li["quantity"] > 0)


def check_identical(dbname, fake):
    rows = db_orders(dbname)
    want = {str(o["id"]): o for o in fake.get("/_fake/orders")}
    assert len(rows) == len(want)
    assert len({r[0] for r in rows}) == len(rows)  # no duplicates
    for ext, status, total, currency, _updated, nlines in rows:
        o = want[ext]
        assert total == o["total_price"], ext
        assert currency == o["currency"]
        assert status == ("cancelled" if o["cancelled_at"] else "confirmed")
        assert nlines == expected_lines(o), ext


def test_full_sync_of_5000_orders_then_incremental(prefix, redis, database, services, shopify):
    w = sync_worker(services, prefix, database, SHOPIFY_RATE_PER_S=0,
                    **provider_env(shopify=shopify))
    enqueue(prefix, "sync", "shopify.sync_orders")
    st = wait_status(redis, prefix, "shopify:orders", lambda s: s["last_success_ms"], timeout=120)
    assert st["last_run_rows"] == 5000 and st["pages"] == 20 and st["position"] is None
    check_identical(database, shopify)
    assert shopify.get("/_fake/served")["orders"] == 5000
    # ids above 2^53 survive exactly (int64 parsing, never a double)
    with pg(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT max(external_id::bigint), (raw->>'id')::bigint FROM orders"
                    " WHERE external_id = '820982911946159507' GROUP BY raw")
        assert cur.fetchone() == (820982911946159507, 820982911946159507)

    # the merchant changes 7 orders (one cancelled) and 3 new ones arrive
    later = int(time.time() * 1000)
    changed = [820982911946154508 + i for i in (3, 99, 1000, 2500, 4000, 4998, 4999)]
    shopify.post("/_fake/orders/touch", {"ids": changed, "updated_at_ms": later,
                                         "total_price": "1.23"})
    shopify.post("/_fake/orders/touch", {"ids": [changed[0]], "updated_at_ms": later,
                                         "cancel": True})
    shopify.post("/_fake/orders/add", {"count": 3, "updated_at_ms": later})
    before = shopify.get("/_fake/served")["orders"]
    enqueue(prefix, "sync", "shopify.sync_orders")
    wait_status(redis, prefix, "shopify:orders", lambda s: s["rows_seen"] > 5000)
    fetched = shopify.get("/_fake/served")["orders"] - before
    # only what changed, plus the overlap at the old cursor (the last order)
    assert 10 <= fetched <= 12, fetched
    check_identical(database, shopify)
    w.stop()


def test_killed_mid_sync_resumes_without_gaps_or_duplicates(prefix, redis, database, services,
                                                            shopify):
    env = dict(SHOPIFY_RATE_PER_S=0, WORKER_LEASE_MS=1000, SYNC_LOCK_TTL_MS=2000,
               **provider_env(shopify=shopify))
    shopify.config(delay_ms=150)  # 20 pages take seconds: room to kill mid-way
    a = sync_worker(services, prefix, database, **env)
    enqueue(prefix, "sync", "shopify.sync_orders")
    wait_status(redis, prefix, "shopify:orders", lambda s: s["pages"] >= 6, timeout=60)
    a.kill()
    partial = sync_status(redis, prefix)["shopify:orders"]
    assert partial["position"] and partial["last_success_ms"] is None
    served_at_kill = shopify.get("/_fake/served")["orders"]
    shopify.config(delay_ms=0)
    b = sync_worker(services, prefix, database, **env)
    st = wait_status(redis, prefix, "shopify:orders", lambda s: s["last_success_ms"], timeout=120)
    check_identical(database, shopify)
    served = shopify.get("/_fake/served")["orders"]
    # resumed at the committed page: at most the page in flight is fetched twice
    assert served - served_at_kill <= 5000 - partial["pass_rows"] + 2 * 250, (served, partial)
    assert st["rows_seen"] <= 5000 + 250
    b.stop()


def test_429_is_waited_out_500_and_timeout_retried(prefix, redis, database, services, shopify):
    sync_worker(services, prefix, database, SHOPIFY_RATE_PER_S=0, SYNC_HTTP_TIMEOUT_MS=1000,
                **provider_env(shopify=shopify))
    shopify.script({"status": 429, "retry_after": "0.4"}, {"status": 429, "retry_after": "0.25"},
                   {"status": 500}, {"delay_ms": 2500})
    enqueue(prefix, "sync", "shopify.sync_orders")
    st = wait_status(redis, prefix, "shopify:orders", lambda s: s["last_success_ms"], timeout=120)
    assert st["last_error"] is None
    check_identical(database, shopify)
    c = queue_stats(prefix, "sync")["counters"]
    assert c.get("retried", 0) == 2  # the 500 and the timeout: a 429 spends no attempt
    log = shopify.get("/_fake/log")
    assert [e["fault"].get("status") for e in log if e["fault"]] == [429, 429, 500, None]


@pytest.mark.parametrize("fault,reason", [
    ({"truncate": True}, "malformed JSON"),
    ({"body": {"orders": [{"id": "x y", "total_price": "1.00"}]}}, "order 0: id is not an id"),
    ({"body": {"orders": [{"id": 1, "total_price": "1.00", "currency": "USD",
                           "created_at": "2024-01-01T00:00:00Z",
                           "updated_at": "2024-01-01T00:00:00Z", "line_items": "x"}]}},
     "order 0: line_items is not an array"),
    ({"body": {"orders": [{"id": 1}]}}, "order 0: total_price is missing"),
    ({"body": {"order": []}}, "orders is missing"),
    ({"body": {"orders": [{"id": i} for i in range(251)]}}, "longer than the page limit"),
])
def test_malformed_page_fails_clearly_and_commits_nothing(prefix, redis, database, services,
                                                         shopify, fault, reason):
    sync_worker(services, prefix, database, SHOPIFY_RATE_PER_S=0,
                **provider_env(shopify=shopify))
    # page 1 is fine, page 2 is broken (twice: the retry sees it too), then fine
    shopify.script({"delay_ms": 0}, dict(fault, count=1))
    enqueue(prefix, "sync", "shopify.sync_orders")
    st = wait_status(redis, prefix, "shopify:orders", lambda s: s["last_error"], timeout=60)
    assert reason in st["last_error"], st["last_error"]
    assert "page 2" in st["last_error"]
    assert st["pass_rows"] == 250  # page 1 committed, nothing of page 2
    with pg(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders")
        assert cur.fetchone()[0] == 250
    # the retry resumes at page 2 and completes
    st = wait_status(redis, prefix, "shopify:orders", lambda s: s["last_success_ms"], timeout=120)
    check_identical(database, shopify)


def test_wrong_token_marks_unauthorised_and_job_dead(prefix, redis, database, services, shopify):
    env = provider_env(shopify=shopify)
    env["SHOPIFY_ACCESS_TOKEN"] = "shpat_wrong"
    dead = run_one_sync(services, prefix, database, "shopify.sync_products", env)
    assert len(dead) == 1 and "HTTP 401" in dead[0]["last_error"], dead
    with pg(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, last_error FROM integrations WHERE provider = 'shopify'")
        status, err = cur.fetchone()
    assert status == "unauthorised" and "401" in err


def test_products_and_inventory_by_sku(prefix, redis, database, services, shopify):
    sync_worker(services, prefix, database, SHOPIFY_RATE_PER_S=0,
                **provider_env(shopify=shopify))
    enqueue(prefix, "sync", "shopify.sync_products")
    st = wait_status(redis, prefix, "shopify:products", lambda s: s["last_success_ms"])
    variants = [v for p in shopify.get("/_fake/products") for v in p["variants"]]
    with_sku = [v for v in variants if v["sku"]]
    assert st["skipped"] == len(variants) - len(with_sku)
    enqueue(prefix, "sync", "shopify.sync_inventory")
    wait_status(redis, prefix, "shopify:inventory", lambda s: s["last_success_ms"])
    levels = shopify.get("/_fake/levels")
    sku_of = {v["inventory_item_id"]: v["sku"] for v in with_sku}
    want = {(sku_of[x["inventory_item_id"]], f"shopify:{x['location_id']}"): x["available"]
            for x in levels if x["inventory_item_id"] in sku_of}
    with pg(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT sku, unit_price::text, currency FROM products WHERE source = 'shopify'")
        prods = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute("SELECT sku, location, on_hand FROM inventory WHERE source = 'shopify'")
        inv = {(r[0], r[1]): r[2] for r in cur.fetchall()}
    assert {v["sku"]: (v["price"], "USD") for v in with_sku} == prods
    assert inv == want
