"""Shared provider rate limits, the scheduler and the status surfaces, with
real sentia-worker replicas (docs/INTEGRATIONS.md).

Proves: three workers together never exceed Xero's concurrency (5 in flight)
nor its per-window rate, and never overfill Shopify's leaky bucket (the fake
runs Shopify's own bucket and would answer 429); two schedulers running for
three periods enqueue each periodic job exactly three times, also when the
lease holder is SIGKILLed; `sentia-queue schedules` lists the entries with
their last and next run; GET /api/integrations/status reports freshness per
source and resource and flags what breaks the 30-minute promise.
"""
import json
import time
import types

from apiutil import start_api
from conftest import base_env, database_url, run, wait_until
from dashapi import create_api_key
from sync_support import (SHOPIFY_TOKEN, XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_TENANT, Fake,
                          enqueue, provider_env, queue_stats, sync_worker, wait_finished,
                          wait_status)


def test_three_workers_respect_xero_and_shopify_limits(prefix, redis, database, services):
    xero = Fake("xero", "--client-id", XERO_CLIENT_ID, "--client-secret", XERO_CLIENT_SECRET,
                "--tenant", XERO_TENANT, "--invoices", 300, "--contacts", 40, "--window-ms", 2000)
    shopify = Fake("shopify", "--token", SHOPIFY_TOKEN, "--orders", 1500, "--products", 40)
    try:
        xero.config(delay_ms=400)  # long enough that paced requests overlap on a loaded machine
        shopify.config(bucket_size=6, leak_per_s=8)
        env = dict(XERO_RATE_PER_MIN=12, XERO_RATE_WINDOW_MS=2000, XERO_CONCURRENCY=5,
                   XERO_PAGE_SIZE=50, SHOPIFY_BUCKET_SIZE=6, SHOPIFY_RATE_PER_S=8,
                   **provider_env(xero=xero, shopify=shopify))
        workers = [sync_worker(services, prefix, database, queues="sync:4,webhooks:8", **env)
                   for _ in range(3)]
        invoices = xero.get("/_fake/invoices")
        for t in ("xero.sync_invoices", "xero.sync_contacts", "shopify.sync_orders",
                  "shopify.sync_products", "shopify.sync_inventory"):
            enqueue(prefix, "sync", t)
        for inv in invoices[:16]:
            enqueue(prefix, "webhooks", "xero.event",
                    {"resourceId": inv["InvoiceID"], "eventCategory": "INVOICE",
                     "eventType": "UPDATE", "tenantId": XERO_TENANT,
                     "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/" + inv["InvoiceID"]})
        wait_finished(prefix, "sync", 5, timeout=120)
        wait_finished(prefix, "webhooks", 16, timeout=120)
        assert queue_stats(prefix, "sync")["counters"].get("dead", 0) == 0
        assert queue_stats(prefix, "webhooks")["counters"].get("dead", 0) == 0
        xs = xero.stats()
        assert xs["requests"] >= 6 + 1 + 16
        assert xs["max_in_flight"] <= 5, xs
        assert xs["max_in_flight"] >= 2, xs  # the workers did run side by side
        assert xs["window_max"] <= 12, xs
        ss = shopify.stats()
        assert ss["throttled"] == 0 and ss["statuses"].get("429", 0) == 0, ss
        assert ss["requests"] >= 6 + 1 + 2
        for w in workers:
            w.stop()
    finally:
        xero.stop()
        shopify.stop()


def scheduled(redis, prefix, queue="sync"):
    """(type, slot_ms) of every job waiting in queue's ready list."""
    out = []
    for raw in redis.lrange(f"{prefix}:{{{queue}}}:ready", 0, -1):
        env = json.loads(raw)
        out.append((env["type"], env["payload"]["slot_ms"]))
    return out


def test_entries_of_unconfigured_providers_are_skipped(prefix, redis, services):
    """A deployment without Xero credentials must not fill the dead list each period."""
    nowhere = types.SimpleNamespace(url="http://127.0.0.1:9")
    w = sync_worker(services, prefix, None, queues="webhooks:1",
                    SCHEDULE="xero.sync_invoices@1s,shopify.sync_orders@1s,working_capital.compute@1s",
                    SCHEDULER_TICK_MS=100, **provider_env(shopify=nowhere))
    skipped = w.wait_log(lambda r: r.get("msg") == "schedule entry skipped: its provider is not configured")
    assert skipped["entry"] == "xero.sync_invoices@1s" and "XERO" in skipped["missing"]
    wait_until(lambda: {t for t, _ in scheduled(redis, prefix, "sync")} == {"shopify.sync_orders"}
               and scheduled(redis, prefix, "forecast"), timeout=10, what="the configured entries")
    time.sleep(1.5)
    assert "xero.sync_invoices" not in {t for t, _ in scheduled(redis, prefix, "sync")}
    w.stop()


def test_two_schedulers_three_periods_exactly_three_each(prefix, redis, services):
    period_s = 2
    schedule = f"shopify.sync_orders@{period_s}s,xero.sync_invoices@{period_s}s"
    # configured providers (never called: the scheduled jobs are not run here)
    nowhere = types.SimpleNamespace(url="http://127.0.0.1:9")
    env = dict(SCHEDULE=schedule, SCHEDULER_TICK_MS=100, SCHEDULER_LEASE_MS=1000,
               WORKER_LEASE_MS=1000, **provider_env(shopify=nowhere, xero=nowhere))
    # the workers serve another queue only, so the scheduled jobs stay ready
    a = sync_worker(services, prefix, None, queues="webhooks:1", **env)
    b = sync_worker(services, prefix, None, queues="webhooks:1", **env)
    first = wait_until(lambda: scheduled(redis, prefix), timeout=10)
    slot0 = min(s for _, s in first)
    # let three slots start, then stop in the middle of the third
    end = slot0 / 1000 + 2 * period_s + period_s / 2
    # the lease holder dies in the middle: the other takes over, no doubles
    holder = redis.get(f"{prefix}:scheduler:lease").split("|")[0]
    victim, survivor = (a, b) if holder == a.worker_id else (b, a)
    time.sleep(max(0, slot0 / 1000 + period_s * 0.5 - time.time()))
    victim.kill()
    time.sleep(max(0, end - time.time()))
    survivor.stop()
    jobs = scheduled(redis, prefix)
    for t in ("shopify.sync_orders", "xero.sync_invoices"):
        slots = sorted(s for typ, s in jobs if typ == t)
        assert slots == [slot0, slot0 + 1000 * period_s, slot0 + 2000 * period_s], (t, slots)
    assert queue_stats(prefix, "sync")["counters"]["enqueued"] == 6

    # sentia-queue schedules: last run is the third slot, next is the fourth
    cp = run("sentia-queue", "--json", "schedules", "--schedule", schedule,
             env=base_env(prefix=prefix))
    assert cp.returncode == 0, cp.stderr
    doc = json.loads(cp.stdout)
    entries = {e["type"]: e for e in doc["schedules"]}
    assert entries["shopify.sync_orders"]["last_slot_ms"] == slot0 + 2000 * period_s
    assert entries["shopify.sync_orders"]["queue"] == "sync"
    assert entries["xero.sync_invoices"]["period_ms"] == 2000
    cp = run("sentia-queue", "schedules", env=base_env(prefix=prefix, SCHEDULE=schedule + ",forecast.run@daily 02:00"))
    assert cp.returncode == 0
    lines = cp.stdout.splitlines()
    assert lines[0].split()[:3] == ["TYPE", "QUEUE", "EVERY"]
    assert any(l.startswith("forecast.run") and "forecast" in l and "daily 02:00" in l for l in lines)
    bad = run("sentia-queue", "schedules", "--schedule", "nope@5x", env=base_env(prefix=prefix))
    assert bad.returncode == 2 and "nope@5x" in bad.stderr


def test_bad_schedule_refuses_to_start():
    cp = run("sentia-worker", env=base_env(SCHEDULE="shopify.sync_orders@daily 25:00"), timeout=30)
    assert cp.returncode == 78 and "SCHEDULE" in cp.stderr


def test_integrations_status_route(prefix, redis, database, services):
    shopify = Fake("shopify", "--token", SHOPIFY_TOKEN, "--orders", 300, "--products", 4)
    try:
        sync_worker(services, prefix, database, SHOPIFY_RATE_PER_S=0,
                    **provider_env(shopify=shopify))
        api = start_api(services, prefix, DATABASE_URL=database_url(database))
        _, key = create_api_key(database, "viewer")
        enqueue(prefix, "sync", "shopify.sync_orders")
        wait_status(redis, prefix, "shopify:orders", lambda s: s["last_success_ms"])
        # an old success for products: stale
        old = int(time.time() * 1000) - 3600 * 1000
        redis.hset(f"{prefix}:sync:status", "shopify:products",
                   json.dumps({"last_success_ms": old, "last_error": "HTTP 500: oops",
                               "last_error_ms": old, "rows_seen": 9, "last_run_rows": 9,
                               "position": None}))
        wait_until(lambda: redis.hlen(f"{prefix}:sync:providers") == 4, timeout=10)  # + amazon
        status, doc = api.json("/api/integrations/status", headers={"Authorization": "Bearer " + key})
        assert status == 200
        assert doc["promise_s"] == 1800 and doc["ok"] is False
        src = doc["sources"]
        assert src["shopify"]["status"] == "configured"
        orders = src["shopify"]["resources"]["orders"]
        assert orders["stale"] is False and 0 <= orders["freshness_s"] < 60
        assert orders["rows_seen"] == 300 and orders["running"] is False
        products = src["shopify"]["resources"]["products"]
        assert products["stale"] is True and products["freshness_s"] >= 3599
        assert products["last_error"] == "HTTP 500: oops"
        inventory = src["shopify"]["resources"]["inventory"]
        assert inventory["stale"] is True and inventory["freshness_s"] is None
        assert src["xero"] == {"status": "not_configured",
                               "missing": "XERO_CLIENT_ID and XERO_CLIENT_SECRET are required"}
        assert src["unleashed"]["status"] == "not_configured"
    finally:
        shopify.stop()
