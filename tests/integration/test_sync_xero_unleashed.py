"""Xero and Unleashed sync jobs, and the webhook follow-ups, against the fakes
(tests/fakes/xero.py, unleashed.py, shopify.py) with the real sentia-worker
and sentia-api (docs/INTEGRATIONS.md).

Proves: Xero invoices (both types, tax-exclusive subtotal, currency rate,
/Date()/ dates, JSON-number amounts kept exact) and contacts land; the
rotated refresh token is stored sealed (AES-256-GCM) at once, survives a
worker killed after Xero rotated it (grace window), and a dead refresh token
(invalid_grant) marks the integration disconnected and the job dead; the
Unleashed signature is verified by the fake and a wrong key is a 403 → dead
with the reason; all four Unleashed resources land (decimal quantities);
webhook follow-ups for every Shopify topic and xero.event (through
sentia-api end to end for one of each) upsert the same rows and never let an
older copy overwrite a newer one; a provider without credentials is "not
configured": its jobs are dead with that reason.
"""
import json
import time
from decimal import Decimal

import pytest

from apiutil import start_api
from conftest import query, wait_until
from sync_support import (SHOPIFY_TOKEN, UNLEASHED_ID, UNLEASHED_KEY,
                          XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT, Fake, dead_jobs,
                          enqueue, provider_env, run_one_sync, sync_status, sync_worker,
                          wait_finished, wait_status)


def xero_fake(*extra):
    return Fake("xero", "--client-id", XERO_CLIENT_ID, "--client-secret", XERO_CLIENT_SECRET,
                "--tenant", XERO_TENANT, "--refresh-token", "rt-initial", "--invoices", 250,
                "--contacts", 30, *extra)


@pytest.fixture
def xero():
    f = xero_fake()
    yield f
    f.stop()


@pytest.fixture
def unleashed():
    f = Fake("unleashed", "--api-id", UNLEASHED_ID, "--api-key", UNLEASHED_KEY)
    yield f
    f.stop()


def ms_of(date):
    return int(date[len("/Date("):].split("+")[0].split(")")[0])


# ---- Xero -----------------------------------------------------------------------------

def test_xero_invoices_and_contacts(prefix, redis, database, services, xero):
    sync_worker(services, prefix, database, XERO_PAGE_SIZE=100, **provider_env(xero=xero))
    enqueue(prefix, "sync", "xero.sync_invoices")
    enqueue(prefix, "sync", "xero.sync_contacts")
    st = wait_status(redis, prefix, "xero:invoices", lambda s: s["last_success_ms"])
    assert st["pages"] == 3 and st["last_run_rows"] == 250  # 100 + 100 + 50 (short page)
    wait_status(redis, prefix, "xero:contacts", lambda s: s["last_success_ms"])
    rows = {r[0]: r[1:] for r in query(
        database, "SELECT invoice_id, type, subtotal::text, total_tax::text, total::text,"
        " currency, currency_rate::text, issued_on::text, external_updated_at FROM invoices")}
    invoices = xero.get("/_fake/invoices")
    assert len(rows) == len(invoices)
    for inv in invoices:
        typ, sub, tax, total, cur, rate, issued, _ = rows[inv["InvoiceID"]]
        assert typ == inv["Type"]
        assert Decimal(sub) == Decimal(str(inv["SubTotal"])).quantize(Decimal("0.01"))
        assert Decimal(total) == Decimal(str(inv["Total"])).quantize(Decimal("0.01"))
        assert Decimal(rate) == Decimal(str(inv["CurrencyRate"]))
        assert issued == time.strftime("%Y-%m-%d", time.gmtime(ms_of(inv["Date"]) / 1000))
    assert {t for t, *_ in rows.values()} == {"ACCREC", "ACCPAY"}
    assert len(query(database, "SELECT 1 FROM contacts")) == 30
    # one refresh for both jobs; the token is stored sealed, never in clear
    assert xero.get("/_fake/tokens")["refreshes"] == 1
    box = query(database, "SELECT encode(box, 'hex'), version FROM credentials")[0]
    current = xero.get("/_fake/tokens")["current"]
    assert current.encode().hex() not in box[0]
    assert query(database, "SELECT status FROM integrations WHERE provider = 'xero'") == [("connected",)]
    # the invoices moved receivables and payables: a working-capital snapshot follows
    follow = [json.loads(e) for e in redis.lrange(f"{prefix}:{{forecast}}:ready", 0, -1)]
    assert [(j["type"], j["dedup_key"][:3]) for j in follow] == [("working_capital.compute", "wc:")]


def test_xero_token_rotation_survives_a_crash(prefix, redis, database, services, xero):
    env = dict(WORKER_LEASE_MS=1000, SYNC_LOCK_TTL_MS=2000, SYNC_HTTP_TIMEOUT_MS=3000,
               **provider_env(xero=xero))
    xero.post("/_fake/token_delay", {"ms": 2500})
    a = sync_worker(services, prefix, database, **env)
    enqueue(prefix, "sync", "xero.sync_contacts")
    # Xero rotated the token; the worker dies before it hears the answer
    wait_until(lambda: xero.get("/_fake/tokens")["refreshes"] == 1, timeout=20)
    a.kill()
    assert query(database, "SELECT count(*) FROM credentials") == [(0,)]
    xero.post("/_fake/token_delay", {"ms": 0})
    b = sync_worker(services, prefix, database, **env)
    # the old token is still accepted in the grace window: the sync completes
    wait_status(redis, prefix, "xero:contacts", lambda s: s["last_success_ms"], timeout=60)
    tokens = xero.get("/_fake/tokens")
    assert tokens["refreshes"] == 2
    # the stored (sealed) token is the current one: a restart refreshes with it
    xero.post("/_fake/expire_access")
    b.stop()
    c = sync_worker(services, prefix, database, **env)
    enqueue(prefix, "sync", "xero.sync_invoices")
    wait_status(redis, prefix, "xero:invoices", lambda s: s["last_success_ms"], timeout=60)
    assert xero.get("/_fake/tokens")["refreshes"] == 3
    c.stop()


def test_xero_dead_refresh_token_disconnects(prefix, redis, database, services):
    fake = xero_fake("--grace-ms", "0")
    try:
        fake.post("/_fake/token_delay", {"ms": 0})
        env = provider_env(xero=fake)
        env["XERO_REFRESH_TOKEN"] = "rt-revoked"
        dead = run_one_sync(services, prefix, database, "xero.sync_invoices", env)
        assert len(dead) == 1 and "invalid_grant" in dead[0]["last_error"], dead
        status, err = query(database, "SELECT status, last_error FROM integrations"
                                      " WHERE provider = 'xero'")[0]
        assert status == "disconnected" and "re-authorised" in err
        assert "invalid_grant" in sync_status(redis, prefix)["xero:invoices"]["last_error"]
    finally:
        fake.stop()


def test_xero_event_through_the_api(prefix, redis, database, services, xero):
    sync_worker(services, prefix, database, queues="webhooks:4,sync:2", **provider_env(xero=xero))
    api = start_api(services, prefix)
    inv = xero.get("/_fake/invoices")[7]
    xero.post("/_fake/invoices/touch", {"ids": [inv["InvoiceID"]], "updated_ms": ms_of(inv["UpdatedDateUTC"]) + 5000,
                                        "total": 4321.5})
    event = {"resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{inv['InvoiceID']}",
             "resourceId": inv["InvoiceID"], "eventDateUtc": "2024-01-02T01:15:39.902",
             "eventType": "UPDATE", "eventCategory": "INVOICE", "tenantId": XERO_TENANT,
             "tenantType": "ORGANISATION"}
    body = json.dumps({"events": [event], "firstEventSequence": 1, "lastEventSequence": 1,
                       "entropy": "S0m3r4Nd0mt3xt"})
    status, _, _ = api.post_xero(body)
    assert status == 200
    wait_until(lambda: query(database, "SELECT total::text FROM invoices") == [("4321.50",)],
               timeout=30, what="invoice upserted")
    # an event for another tenant is refused for good
    event["tenantId"] = "00000000-0000-0000-0000-000000000000"
    enqueue(prefix, "webhooks", "xero.event", event)
    wait_until(lambda: dead_jobs(prefix, "webhooks"), timeout=30)
    assert "tenantId" in dead_jobs(prefix, "webhooks")[0]["last_error"]


# ---- Unleashed --------------------------------------------------------------------------

def test_unleashed_all_resources(prefix, redis, database, services, unleashed):
    sync_worker(services, prefix, database, UNLEASHED_PAGE_SIZE=25,
                **provider_env(unleashed=unleashed))
    for t in ("products", "stock", "purchase_orders", "sales_orders"):
        enqueue(prefix, "sync", f"unleashed.sync_{t}")
    for t in ("products", "stock", "purchase_orders", "sales_orders"):
        wait_status(redis, prefix, f"unleashed:{t}", lambda s: s["last_success_ms"])
    data = unleashed.get("/_fake/data")
    assert all(s["ok"] for s in unleashed.get("/_fake/signatures"))
    assert sync_status(redis, prefix)["unleashed:stock"]["pages"] == 3  # 60 items / 25
    prods = {r[0]: r[1:] for r in query(database, "SELECT sku, unit_price::text, avg_cost::text,"
                                                  " active FROM products WHERE source = 'unleashed'")}
    for p in data["Products"]:
        price, cost, active = prods[p["ProductCode"]]
        assert Decimal(price) == Decimal(str(p["DefaultSellPrice"])).quantize(Decimal("0.01"))
        assert Decimal(cost) == Decimal(str(p["AverageLandPrice"]))
        assert active == (not p["IsObsoleted"])
    inv = {(r[0], r[1]): r[2] for r in query(database, "SELECT sku, location, on_hand FROM inventory")}
    for s in data["StockOnHand"]:
        assert inv[(s["ProductCode"], "unleashed:" + s["WarehouseCode"])] == int(s["QtyOnHand"])
    assert len(query(database, "SELECT 1 FROM purchase_orders")) == len(data["PurchaseOrders"])
    received = query(database, "SELECT count(*) FROM purchase_orders WHERE received_on IS NOT NULL")
    assert received == [(sum(1 for p in data["PurchaseOrders"] if p["CompletedDate"]),)]
    lines = query(database, "SELECT l.quantity, l.quantity_exact::text, l.line_total::text, o.status"
                            " FROM order_lines l JOIN orders o ON o.id = l.order_id"
                            " WHERE o.source = 'unleashed'")
    assert len(lines) == len(data["SalesOrders"])
    assert all(q == 3 and exact == "2.500" and total == "12.50" for q, exact, total, _ in lines)
    assert {s for *_, s in lines} == {"confirmed", "pending", "cancelled"}


def test_unleashed_wrong_signature_is_dead(prefix, redis, database, services, unleashed):
    env = provider_env(unleashed=unleashed)
    env["UNLEASHED_API_KEY"] = "not_the_key"
    dead = run_one_sync(services, prefix, database, "unleashed.sync_stock", env)
    assert len(dead) == 1 and "HTTP 403" in dead[0]["last_error"]
    assert not unleashed.get("/_fake/signatures")[0]["ok"]
    assert query(database, "SELECT status FROM integrations WHERE provider = 'unleashed'") == [
        ("unauthorised",)]


# ---- Shopify webhook follow-ups -----------------------------------------------------------

def test_shopify_webhooks_every_topic(prefix, redis, database, services):
    shopify = Fake("shopify", "--token", SHOPIFY_TOKEN, "--orders", 3, "--products", 2)
    try:
        sync_worker(services, prefix, database, queues="webhooks:4",
                    **provider_env(shopify=shopify))
        api = start_api(services, prefix)
        order = shopify.get("/_fake/orders")[0]
        status, _, _ = api.post_shopify(json.dumps(order), topic="orders/create", webhook_id="w1")
        assert status == 200
        wait_until(lambda: query(database, "SELECT count(*) FROM orders") == [(1,)], timeout=30)
        # a newer copy wins, an older one arriving late does not
        newer = dict(order, total_price="777.00", updated_at="2030-01-01T00:00:00-05:00")
        enqueue(prefix, "webhooks", "shopify.orders_updated", {"raw": json.dumps(newer)})
        wait_until(lambda: query(database, "SELECT total::text FROM orders") == [("777.00",)],
                   timeout=30)
        enqueue(prefix, "webhooks", "shopify.orders_updated", {"raw": json.dumps(order)})
        cancelled = dict(newer, cancelled_at="2030-01-02T00:00:00Z", updated_at="2030-01-02T00:00:00Z")
        enqueue(prefix, "webhooks", "shopify.orders_cancelled", {"raw": json.dumps(cancelled)})
        wait_until(lambda: query(database, "SELECT status, total::text FROM orders") ==
                   [("cancelled", "777.00")], timeout=30)
        product = shopify.get("/_fake/products")[0]
        enqueue(prefix, "webhooks", "shopify.products_update", {"raw": json.dumps(product)})
        sku = product["variants"][0]["sku"]
        wait_until(lambda: query(database, "SELECT count(*) FROM products") == [(2,)], timeout=30)
        level = {"inventory_item_id": product["variants"][0]["inventory_item_id"],
                 "location_id": 487838322, "available": 17, "updated_at": "2030-01-01T00:00:00Z"}
        enqueue(prefix, "webhooks", "shopify.inventory_levels_update", {"raw": json.dumps(level)})
        wait_until(lambda: query(database, "SELECT sku, location, on_hand FROM inventory") ==
                   [(sku, "shopify:487838322", 17)], timeout=30)
        enqueue(prefix, "webhooks", "shopify.orders_create", {"raw": "{\"id\": 1"})
        wait_until(lambda: dead_jobs(prefix, "webhooks"), timeout=30)
        assert "not JSON" in dead_jobs(prefix, "webhooks")[0]["last_error"]
    finally:
        shopify.stop()


# ---- not configured ------------------------------------------------------------------------

def test_unconfigured_providers_fail_permanently(prefix, redis, database, services):
    sync_worker(services, prefix, database, queues="sync:2,webhooks:2")
    for t in ("shopify.sync_orders", "xero.sync_invoices", "unleashed.sync_stock"):
        enqueue(prefix, "sync", t)
    wait_finished(prefix, "sync", 3)
    reasons = sorted(j["last_error"] for j in dead_jobs(prefix, "sync"))
    assert reasons == ["shopify not configured: SHOPIFY_API_BASE is not set",
                       "unleashed not configured: UNLEASHED_API_ID is not set",
                       "xero not configured: XERO_CLIENT_ID and XERO_CLIENT_SECRET are required"]
    wait_until(lambda: len(redis.hgetall(f"{prefix}:sync:providers")) == 4, timeout=10)  # + amazon
    assert all(not json.loads(v)["configured"]
               for v in redis.hgetall(f"{prefix}:sync:providers").values())
