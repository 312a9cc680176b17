"""Several Shopify stores (SHOPIFY_STORES, issue 14, docs/INTEGRATIONS.md
"Several Shopify stores"): two fake shops (tests/fakes/shopify.py, one
process each, the same seed so the order ids overlap, GBP and USD) synced by
the real sentia-worker into PostgreSQL, and order webhooks through the real
sentia-api.

Proves: a pass without a store fans out to one pass per store; both stores'
orders land under their own account with their own currency and nothing is
merged; each store has its own cursor, status and rate-limit bucket, so an
incremental pass of one leaves the other's cursor alone; a webhook from the
US store updates the US row only.
"""
import json

import pytest

from apiutil import start_api
from conftest import database_url, query
from dashapi import create_api_key
from sync_support import (SHOPIFY_TOKEN, Fake, dead_jobs, enqueue, sync_status, sync_worker,
                          wait_finished, wait_status)

N = 600


@pytest.fixture
def shops():
    uk = Fake("shopify", "--token", SHOPIFY_TOKEN, "--orders", N, "--products", 4, "--currency", "GBP")
    us = Fake("shopify", "--token", SHOPIFY_TOKEN, "--orders", N, "--products", 4, "--currency", "USD")
    yield uk, us
    uk.stop()
    us.stop()


def stores_env(uk, us):
    return dict(SHOPIFY_STORES="uk,us",
                SHOPIFY_UK_SHOP="sentia-uk.myshopify.com", SHOPIFY_UK_CURRENCY="GBP",
                SHOPIFY_UK_ACCESS_TOKEN=SHOPIFY_TOKEN,
                SHOPIFY_UK_API_BASE=f"{uk.url}/admin/api/2025-07",
                SHOPIFY_US_SHOP="sentia-us.myshopify.com", SHOPIFY_US_CURRENCY="USD",
                SHOPIFY_US_ACCESS_TOKEN=SHOPIFY_TOKEN,
                SHOPIFY_US_API_BASE=f"{us.url}/admin/api/2025-07",
                SHOPIFY_RATE_PER_S=0)


def by_account(dbname):
    rows = query(dbname, "SELECT account, count(*), count(DISTINCT external_id), min(currency),"
                         " max(currency) FROM orders WHERE source = 'shopify' GROUP BY account"
                         " ORDER BY account")
    return {r[0]: r[1:] for r in rows}


def test_two_stores_synced_apart_with_their_own_cursors(services, prefix, redis, database, shops):
    uk, us = shops
    sync_worker(services, prefix, database, **stores_env(uk, us))
    enqueue(prefix, "sync", "shopify.sync_orders")  # as the scheduler does: no store
    st_uk = wait_status(redis, prefix, "shopify:uk:orders", lambda s: s["last_success_ms"])
    st_us = wait_status(redis, prefix, "shopify:us:orders", lambda s: s["last_success_ms"])
    assert st_uk["account"] == "uk" and st_us["account"] == "us"
    assert st_uk["last_run_rows"] == N and st_us["last_run_rows"] == N
    assert "shopify:orders" not in sync_status(redis, prefix)  # no "default" pass
    # the same ids in both stores: two rows each, nothing merged
    assert by_account(database) == {"uk": (N, N, "GBP", "GBP"), "us": (N, N, "USD", "USD")}
    assert query(database, "SELECT count(DISTINCT external_id) FROM orders")[0][0] == N
    assert query(database, "SELECT account, resource FROM sync_state WHERE source = 'shopify'"
                           " ORDER BY account") == [("uk", "orders"), ("us", "orders")]
    # the integrations status lists each store
    api = start_api(services, prefix, DATABASE_URL=database_url(database))
    _, key = create_api_key(database, "viewer")
    status, doc = api.json("/api/integrations/status", headers={"Authorization": "Bearer " + key})
    api.stop()
    assert status == 200
    shop = doc["sources"]["shopify"]
    assert set(shop["accounts"]) == {"uk", "us"} and shop["resources"] == {}
    assert shop["accounts"]["us"]["orders"]["last_run_rows"] == N
    assert shop["accounts"]["uk"]["orders"]["stale"] is False
    assert shop["accounts"]["uk"]["products"]["freshness_s"] is None  # never synced

    # only the US shop changes: its pass moves its cursor, the UK cursor stays
    later = st_us["cursor_ms"] + 86400000
    us.post("/_fake/orders/touch", {"ids": [820982911946154508 + 7], "updated_at_ms": later,
                                    "total_price": "1.23"})
    enqueue(prefix, "sync", "shopify.sync_orders", {"store": "us"})
    wait_status(redis, prefix, "shopify:us:orders", lambda s: s["cursor_ms"] == later)
    assert sync_status(redis, prefix)["shopify:uk:orders"]["cursor_ms"] == st_uk["cursor_ms"]
    changed = query(database, "SELECT account, total::text FROM orders"
                              " WHERE external_id = '820982911946154515' ORDER BY account")
    assert changed[1] == ("us", "1.23") and changed[0][1] != "1.23"
    # a store that is not configured is dead with the reason
    enqueue(prefix, "sync", "shopify.sync_orders", {"store": "fr"})
    wait_until_dead = wait_finished(prefix, "sync", 5, timeout=60)
    assert wait_until_dead["counters"].get("dead", 0) == 1
    assert "not one of the configured Shopify stores" in dead_jobs(prefix, "sync")[0]["last_error"]


def test_webhook_from_the_us_store_updates_the_us_row_only(services, prefix, database):
    env = dict(SHOPIFY_STORES="uk,us", SHOPIFY_UK_SHOP="sentia-uk.myshopify.com",
               SHOPIFY_UK_CURRENCY="GBP", SHOPIFY_US_SHOP="sentia-us.myshopify.com",
               SHOPIFY_US_CURRENCY="USD")
    api = start_api(services, prefix, **env)
    w = sync_worker(services, prefix, database, queues="webhooks:2", **env)

    def send(shop, currency, total, updated, wid):
        doc = {"id": 7001, "currency": currency, "total_price": total, "updated_at": updated,
               "created_at": "2026-11-01T10:00:00Z", "cancelled_at": None,
               "line_items": [{"id": 1, "sku": "SKU-1", "quantity": 1, "price": total}]}
        status, _, body = api.post_shopify(json.dumps(doc), topic="orders/updated", webhook_id=wid,
                                           extra={"X-Shopify-Shop-Domain": shop})
        assert status == 200, body

    send("sentia-uk.myshopify.com", "GBP", "10.00", "2026-11-01T10:00:00Z", "w1")
    send("sentia-us.myshopify.com", "USD", "12.00", "2026-11-01T10:00:00Z", "w2")
    wait_finished(prefix, "webhooks", 2, timeout=60)
    send("sentia-us.myshopify.com", "USD", "15.00", "2026-11-02T10:00:00Z", "w3")
    wait_finished(prefix, "webhooks", 3, timeout=60)
    assert query(database, "SELECT account, currency, total::text FROM orders"
                           " WHERE external_id = '7001' ORDER BY account") == [
        ("uk", "GBP", "10.00"), ("us", "USD", "15.00")]
    w.stop()
    api.stop()
