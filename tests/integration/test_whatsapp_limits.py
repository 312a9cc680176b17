"""Issue 17 §5: per-customer limits on WhatsApp orders and the expiry of
pending ones (migrations/functions/whatsapp_place_order.sql,
whatsapp_expire_pending.sql, worker/jobs/whatsapp.c, whatsapp_expire.c).

Proves, on the SQL functions: a customer at WHATSAPP_MAX_PENDING_ORDERS open
orders is refused (naming the limit and the open orders) and nothing is
allocated, also when many of their messages arrive at once; an order over
WHATSAPP_MAX_UNITS_PER_ORDER is refused the same way; a pending order older
than the TTL is cancelled and its stock released exactly once by concurrent
sweeps, and listed for a notice until its notification exists.

Proves, with real sentia-worker processes: the refusals reach the customer
as clear replies; two workers running whatsapp.expire_pending at the same
time release an expired order once and the customer gets one message at the
fake Twilio; the scheduler runs the job from SCHEDULE.
"""
import concurrent.futures
import json

import pytest

from conftest import pg, wait_until
from whatsapp_support import (CUSTOMER, DEFAULT_CATALOG, FakeTwilio, Queues, db, envelope,  # noqa: F401
                              inbound_payload, new_sid, seed_catalog, start_worker, worker_env)

WA = "447700900001"


def call(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def inbound(conn, sid, items, wa_id=WA, max_pending=None, max_units=None):
    command = {"cmd": "order", "items": [{"sku": s, "qty": q} for s, q in items], "problems": []}
    return call(conn, "SELECT whatsapp_inbound(%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)",
                sid, wa_id, f"whatsapp:+{wa_id}", "whatsapp:+14155238886", "Jane", "", 0,
                json.dumps(command), "main", max_pending, max_units)


def rows(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def execute(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)


def allocated(conn, sku):
    return rows(conn, "SELECT allocated FROM inventory WHERE sku = %s AND location = 'main'", sku)[0][0]


def age_orders(conn, hours):
    """Time passes: every order was placed `hours` ago."""
    execute(conn, "UPDATE orders SET placed_at = now() - make_interval(hours => %s)", hours)


# ---- limits in whatsapp_place_order --------------------------------------------------------


def test_open_orders_limit_refuses_and_allocates_nothing(db):
    placed = [inbound(db, f"SMp{i}", [("SKU-1", 1)], max_pending=2) for i in range(2)]
    assert all(r["ok"] for r in placed)
    r = inbound(db, "SMp2", [("SKU-1", 5), ("SKU-2", 1)], max_pending=2)
    assert r["ok"] is False
    numbers = sorted(p["order"]["number"] for p in placed)
    assert r["problems"] == [{"problem": "too_many_pending", "max": 2, "pending": 2,
                              "numbers": numbers}]
    assert allocated(db, "SKU-1") == 2 and allocated(db, "SKU-2") == 0
    assert rows(db, "SELECT count(*) FROM orders")[0][0] == 2
    # another customer is not limited by this one's orders
    assert inbound(db, "SMq0", [("SKU-1", 1)], wa_id="447700900002", max_pending=2)["ok"]
    # cancelling one frees a place
    customer = rows(db, "SELECT id FROM customers WHERE wa_id = %s", WA)[0][0]
    assert call(db, "SELECT whatsapp_cancel_order(%s, %s)", customer, numbers[0])["ok"]
    assert inbound(db, "SMp3", [("SKU-1", 1)], max_pending=2)["ok"]
    assert rows(db, "SELECT cancel_reason FROM orders WHERE number = %s", numbers[0]) == [("customer",)]


def test_units_limit_counts_every_line(db):
    r = inbound(db, "SMu0", [("SKU-1", 8), ("SKU-2", 3)], max_units=10)
    assert r["ok"] is False
    assert r["problems"] == [{"problem": "too_many_units", "max": 10, "requested": 11}]
    assert allocated(db, "SKU-1") == 0 and allocated(db, "SKU-2") == 0
    assert rows(db, "SELECT count(*) FROM orders")[0][0] == 0
    assert inbound(db, "SMu1", [("SKU-1", 7), ("SKU-2", 3)], max_units=10)["ok"]


def test_one_customers_messages_at_once_cannot_pass_the_limit_together(database):
    seed_catalog(database, [("MANY", "Many", "1.00", "GBP", True, 1000)])

    def one(i):
        conn = pg(database)
        try:
            return inbound(conn, f"SMr{i}", [("MANY", 1)], max_pending=3)
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as ex:
        results = list(ex.map(one, range(24)))
    assert sum(1 for r in results if r["ok"]) == 3
    assert all(r["problems"][0]["problem"] == "too_many_pending" for r in results if not r["ok"])
    conn = pg(database)
    assert allocated(conn, "MANY") == 3
    conn.close()


# ---- whatsapp_expire_pending ------------------------------------------------------------------


def test_expiry_releases_once_under_concurrent_sweeps(db, database):
    for i in range(6):
        items = [("SKU-1", 2), ("SKU-2", 1)] if i < 4 else [("SKU-1", 2)]
        assert inbound(db, f"SMe{i}", items, wa_id=str(447700900500 + i))["ok"]
    fresh = inbound(db, "SMfresh", [("SKU-1", 1)], wa_id="447700900600")
    age_orders(db, 49)
    execute(db, "UPDATE orders SET placed_at = now() - interval '47 hours' WHERE number = %s",
            fresh["order"]["number"])
    assert allocated(db, "SKU-1") == 13 and allocated(db, "SKU-2") == 4

    def sweep(_):
        c = pg(database)
        try:
            return call(c, "SELECT whatsapp_expire_pending(48, 200)")
        finally:
            c.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(sweep, range(8)))
    assert sum(r["expired"] for r in results) == 6
    assert allocated(db, "SKU-1") == 1 and allocated(db, "SKU-2") == 0
    assert rows(db, "SELECT status, cancel_reason, count(*) FROM orders GROUP BY 1, 2 ORDER BY 1") == \
        [("cancelled", "expired", 6), ("pending", None, 1)]
    # each expired order stays listed for its notice until the notification exists
    execute(db, "UPDATE customers SET phone = NULL WHERE wa_id = '447700900501'")  # a redaction
    again = call(db, "SELECT whatsapp_expire_pending(48, 200)")
    assert again["expired"] == 0 and len(again["notify"]) == 6
    first = again["notify"][0]
    assert first["to"] == "whatsapp:+447700900500" and first["order"]["status"] == "cancelled"
    assert again["notify"][1]["to"] == "whatsapp:+447700900501"
    execute(db, "INSERT INTO notifications (idempotency_key, channel, to_address, body) "
                "VALUES (%s, 'whatsapp', %s, 'x')", f"expired:{first['number']}", first["to"])
    later = call(db, "SELECT whatsapp_expire_pending(48, 200)")
    assert [n["number"] for n in later["notify"]] == [n["number"] for n in again["notify"][1:]]
    # a customer's CANCEL of an expired order releases nothing twice
    customer = rows(db, "SELECT customer_id FROM orders WHERE number = %s", first["number"])[0][0]
    assert call(db, "SELECT whatsapp_cancel_order(%s, %s)", customer,
                first["number"])["problem"] == "already_cancelled"
    assert allocated(db, "SKU-1") == 1


# ---- with real workers -------------------------------------------------------------------------


@pytest.fixture
def fake():
    f = FakeTwilio(callback_delay_ms=5)
    yield f
    f.stop()


def ask(queues, body, **kw):
    """An inbound message through the worker; the reply job's body it leaves in notify."""
    p = inbound_payload(body, **kw)
    assert queues.enqueue(envelope("webhooks", "whatsapp.inbound", p,
                                   dedup_key="twilio:" + p["MessageSid"]))
    return queues.follow_up("notify", "reply:" + p["MessageSid"])["payload"]["body"]


def test_limits_are_answered_with_clear_replies(services, redis, prefix, database):
    seed_catalog(database, DEFAULT_CATALOG)
    queues = Queues(redis, prefix)
    start_worker(services, worker_env(prefix, database, WORKER_QUEUES="webhooks:1",
                                      WHATSAPP_MAX_PENDING_ORDERS="1",
                                      WHATSAPP_MAX_UNITS_PER_ORDER="20"))
    assert ask(queues, "ORDER 15 SKU-1, 5 SKU-2").startswith("Thank you! Order")  # 20 is allowed
    conn = pg(database)
    number = rows(conn, "SELECT number FROM orders")[0][0]
    assert ask(queues, "ORDER 1 SKU-1") == (
        "Sorry, you can have at most 1 open orders at a time, and you have 1:\n"
        f"Order {number}\n"
        "Nothing was ordered. Cancel one with CANCEL <number>, or wait until we confirm one, "
        "then send your order again. Reply STATUS to see your orders.")
    assert ask(queues, "ORDER 21 SKU-1", from_="whatsapp:+447700900009") == (
        "Sorry, that order could not be placed:\n"
        "- too many units: you asked for 21 in all, at most 20 per order; order fewer\n"
        "Nothing was ordered. Reply CATALOG to see products and stock.")
    assert allocated(conn, "SKU-1") == 15 and allocated(conn, "SKU-2") == 5
    assert rows(conn, "SELECT count(*) FROM orders")[0][0] == 1
    conn.close()


def expire_env(prefix, database, fake, **extra):
    return worker_env(prefix, database, fake, ORDER_PENDING_TTL_HOURS="48", **extra)


def test_two_workers_expire_an_order_once_and_tell_the_customer_once(services, redis, prefix,
                                                                   db, database, fake):
    placed = inbound(db, new_sid(), [("SKU-1", 4), ("SKU-2", 2)], wa_id=CUSTOMER.split("+")[1])
    number = placed["order"]["number"]
    age_orders(db, 49)
    queues = Queues(redis, prefix)
    queues.pause("notify")  # the notices wait in notify to be counted
    workers = [start_worker(services, expire_env(prefix, database, fake, WORKER_QUEUES="sync:3"))
               for _ in range(2)]
    for _ in range(6):  # six runs at once over two processes
        assert queues.enqueue(envelope("sync", "whatsapp.expire_pending", {}))
    queues.wait_count("sync", "whatsapp.expire_pending", 6)
    assert allocated(db, "SKU-1") == 0 and allocated(db, "SKU-2") == 0
    assert rows(db, "SELECT status, cancel_reason FROM orders") == [("cancelled", "expired")]
    notices = queues.jobs("notify", "ready")
    assert [j["payload"]["idempotency_key"] for j in notices] == [f"expired:{number}"]
    assert notices[0]["payload"]["to"] == CUSTOMER
    assert notices[0]["payload"]["body"].startswith(
        f"Order {number} was cancelled: it was still pending 48 hours after it was placed.")
    expired_logs = [r for w in workers for r in w.logs() if r.get("msg") == "whatsapp pending orders expired"]
    assert sum(r["expired"] for r in expired_logs) == 1

    # the notice is sent once, and later runs neither release nor notify again
    queues.pause("notify", on=False)
    start_worker(services, expire_env(prefix, database, fake, WORKER_QUEUES="notify:2"))
    queues.wait_count("notify", "notify.whatsapp", 1)
    for _ in range(2):
        assert queues.enqueue(envelope("sync", "whatsapp.expire_pending", {}))
    queues.wait_count("sync", "whatsapp.expire_pending", 8)
    assert len(fake.messages()) == 1 and len(fake.requests()) == 1
    assert rows(db, "SELECT idempotency_key FROM notifications") == [(f"expired:{number}",)]
    assert allocated(db, "SKU-1") == 0 and queues.count("notify", "notify.whatsapp") == 1


def test_the_scheduler_runs_the_expiry(services, redis, prefix, db, database, fake):
    inbound(db, new_sid(), [("SKU-1", 3)])
    age_orders(db, 3)
    queues = Queues(redis, prefix)
    start_worker(services, worker_env(prefix, database, fake, ORDER_PENDING_TTL_HOURS="2",
                                      WORKER_QUEUES="sync:1",
                                      SCHEDULE="whatsapp.expire_pending@1s"))
    wait_until(lambda: allocated(db, "SKU-1") == 0, timeout=20, what="the scheduled expiry")
    assert rows(db, "SELECT cancel_reason FROM orders") == [("expired",)]
    assert queues.follow_up("notify", "expired:1001")["payload"]["body"].startswith(
        "Order 1001 was cancelled: it was still pending 2 hours")
