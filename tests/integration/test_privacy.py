"""Shopify's compliance webhooks and the retention job end to end (issue 14,
docs/INTEGRATIONS.md "Compliance webhooks", "Retention"): signed webhooks
into the real sentia-api, the privacy job family in the real sentia-worker,
PostgreSQL (migrations/functions/privacy.sql).

Proves: customers/data_request stores one JSON export (customer, orders,
WhatsApp messages) in data_requests with an audit row; customers/redact
removes the customer's name, phone, e-mail and message bodies from every
table that held them while the order rows stay; shop/redact clears one
store and leaves the other; a repeat delivery (Shopify's retry, and the same
job run twice) changes nothing; privacy.retention clears only rows older
than PII_RETENTION_DAYS.
"""
import json

import pytest

from apiutil import start_api
from conftest import pg, query, wait_until
from sync_support import enqueue, queue_stats, sync_worker, wait_finished

STORES = dict(SHOPIFY_STORES="uk,us", SHOPIFY_UK_SHOP="sentia-uk.myshopify.com",
              SHOPIFY_UK_CURRENCY="GBP", SHOPIFY_US_SHOP="sentia-us.myshopify.com",
              SHOPIFY_US_CURRENCY="USD")
UK = {"X-Shopify-Shop-Domain": "sentia-uk.myshopify.com"}
US = {"X-Shopify-Shop-Domain": "sentia-us.myshopify.com"}
EMAIL = "john@example.com"
PHONE = "555-625-1199"
WA_ID = "15556251199"
CUSTOMER = {"id": 191167, "email": EMAIL, "phone": PHONE}
PII = [EMAIL, "5556251199", "John Doe", "secret message", "1 Privacy Lane"]
TABLES = ["customers", "whatsapp_messages", "notifications", "orders", "order_lines",
          "data_requests", "audit_log"]


JOHN = dict(email=EMAIL, phone=PHONE, customer=CUSTOMER, first="John", last="Doe",
            street="1 Privacy Lane")
OTHER = dict(email="else@example.com", phone="+44 20 7946 0000", customer={"id": 1}, first="Ann",
             last="Other", street="2 Other Road")


def order(oid, total, updated, who=JOHN, currency="USD"):
    return {"id": oid, "name": f"#{oid}", "email": who["email"], "phone": who["phone"],
            "currency": currency, "total_price": total, "created_at": "2026-11-01T10:00:00Z",
            "updated_at": updated, "cancelled_at": None, "financial_status": "paid",
            "customer": dict(who["customer"], first_name=who["first"], last_name=who["last"]),
            "shipping_address": {"address1": who["street"],
                                 "name": f"{who['first']} {who['last']}"},
            "line_items": [{"id": 1, "sku": "SKU-1", "name": "Item", "quantity": 2,
                            "price": "5.00"}]}


@pytest.fixture
def stack(services, prefix, database):
    api = start_api(services, prefix, **STORES)
    worker = sync_worker(services, prefix, database, queues="webhooks:2,sync:2", **STORES)
    yield api
    worker.stop()
    api.stop()


def post(api, topic, doc, extra, webhook_id):
    status, _, body = api.post_shopify(json.dumps(doc), topic=topic, webhook_id=webhook_id, extra=extra)
    assert status == 200, body
    return body


def finished(prefix, n):
    return wait_finished(prefix, "webhooks", n, timeout=60)


def seed_whatsapp(dbname):
    """A WhatsApp customer with John's phone, a message each way and a notification."""
    with pg(dbname) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO customers (wa_id, phone, profile_name) VALUES (%s, %s, 'John Doe')"
                    " RETURNING id", (WA_ID, "+" + WA_ID))
        cid = cur.fetchone()[0]
        cur.execute("INSERT INTO whatsapp_messages (message_sid, direction, customer_id, from_address,"
                    " to_address, body, status) VALUES"
                    " ('SMpriv1', 'in', %s, 'whatsapp:+15556251199', 'whatsapp:+14155238886',"
                    "  'secret message', 'received'),"
                    " ('SMpriv2', 'out', %s, 'whatsapp:+14155238886', 'whatsapp:+15556251199',"
                    "  'secret message reply', 'delivered')", (cid, cid))
        cur.execute("INSERT INTO notifications (idempotency_key, channel, to_address, body, status)"
                    " VALUES ('priv-n1', 'whatsapp', 'whatsapp:+15556251199', 'secret message 2',"
                    " 'delivered')")
        # another customer, who must keep everything
        cur.execute("INSERT INTO customers (wa_id, phone, profile_name) VALUES"
                    " ('447700900123', '+447700900123', 'Ann Other')")
        return cid


def pii_hits(dbname):
    """Rows of every table that held personal data still containing any of it."""
    hits = {}
    for t in TABLES:
        cond = " OR ".join(f"{t}::text ILIKE %s" for _ in PII)
        n = query(dbname, f"SELECT count(*) FROM {t} WHERE {cond}", *[f"%{p}%" for p in PII])[0][0]
        if n:
            hits[t] = n
    return hits


def snapshot(dbname):
    return {t: query(dbname, f"SELECT {t}::text FROM {t} ORDER BY 1") for t in TABLES}


def test_compliance_topics_end_to_end(stack, prefix, database):
    api = stack
    cid = seed_whatsapp(database)
    # the same order id in both stores; John's US order and his UK one
    post(api, "orders/create", order(5001, "10.00", "2026-11-01T10:00:00Z"), US, "o-us")
    post(api, "orders/create", order(5001, "8.00", "2026-11-01T10:00:00Z", currency="GBP"), UK, "o-uk")
    post(api, "orders/create", order(5002, "3.00", "2026-11-01T10:00:00Z", who=OTHER), US, "o-us2")
    finished(prefix, 3)

    # customers/data_request → one export, logged and audited
    req = {"shop_id": 954889, "shop_domain": "sentia-us.myshopify.com", "orders_requested": [5001],
           "customer": CUSTOMER, "data_request": {"id": 9999}}
    post(api, "customers/data_request", req, US, "dr-1")
    finished(prefix, 4)
    rows = query(database, "SELECT account, request_key, status, export FROM data_requests")
    assert len(rows) == 1
    account, key, status, export = rows[0]
    assert (account, key, status) == ("us", "9999", "exported")
    assert [o["external_id"] for o in export["orders"]] == ["5001"]
    assert export["orders"][0]["account"] == "us" and export["orders"][0]["raw"]["email"] == EMAIL
    assert sorted(m["body"] for m in export["whatsapp_messages"]) == ["secret message",
                                                                      "secret message reply"]
    assert export["whatsapp_customers"][0]["profile_name"] == "John Doe"
    assert export["counts"] == {"orders": 1, "whatsapp_customers": 1, "whatsapp_messages": 2,
                                "notifications": 1}
    audit = query(database, "SELECT subject, role, auth_kind, action, request_id FROM audit_log")
    assert audit == [("shopify:us", "none", "webhook", "privacy.customer_data_request", "dr-1")]

    # a repeat: Shopify's retry is a duplicate; the same job run again changes nothing
    before = snapshot(database)
    status, headers, _ = api.post_shopify(json.dumps(req), topic="customers/data_request",
                                          webhook_id="dr-1", extra=US)
    assert status == 200 and headers.get("x-sentia-duplicate") == "1"
    enqueue(prefix, "webhooks", "privacy.customer_data_request",
            {"store": "us", "raw": json.dumps(req), "webhook_id": "dr-1",
             "shop_domain": "sentia-us.myshopify.com"})
    finished(prefix, 5)
    assert snapshot(database) == before

    # customers/redact → personal fields gone everywhere, orders kept
    red = {"shop_id": 954889, "shop_domain": "sentia-us.myshopify.com", "customer": CUSTOMER,
           "orders_to_redact": [5001]}
    post(api, "customers/redact", red, US, "cr-1")
    finished(prefix, 6)
    us = query(database, "SELECT external_id, total::text, raw, redacted_at IS NOT NULL FROM orders"
                         " WHERE account = 'us' ORDER BY external_id")
    assert [(r[0], r[1], r[3]) for r in us] == [("5001", "10.00", True), ("5002", "3.00", False)]
    assert not {"customer", "email", "phone", "shipping_address"} & set(us[0][2])
    assert us[0][2]["id"] == 5001 and us[0][2]["line_items"]  # accounting keeps the order
    uk = query(database, "SELECT raw->>'email', redacted_at FROM orders WHERE account = 'uk'")
    assert uk == [(EMAIL, None)]  # another store's order: not this redaction
    assert query(database, "SELECT wa_id, phone, profile_name, redacted_at IS NOT NULL"
                           " FROM customers WHERE id = %s", cid) == [(None, None, None, True)]
    assert query(database, "SELECT profile_name FROM customers WHERE id <> %s", cid) == [("Ann Other",)]
    assert query(database, "SELECT count(*) FROM whatsapp_messages WHERE body IS NOT NULL"
                           " OR from_address IS NOT NULL")[0][0] == 0
    assert query(database, "SELECT body, to_address FROM notifications") == [("", "")]
    assert query(database, "SELECT export, customer_email FROM data_requests") == [(None, None)]
    # the only personal data left is the UK store's copy of the order
    assert pii_hits(database) == {"orders": 1}

    # a repeat redaction changes nothing (and writes no second audit row)
    before = snapshot(database)
    enqueue(prefix, "webhooks", "privacy.customer_redact",
            {"store": "us", "raw": json.dumps(red), "webhook_id": "cr-1"})
    finished(prefix, 7)
    assert snapshot(database) == before

    # shop/redact of the UK store clears its data
    post(api, "shop/redact", {"shop_id": 954890, "shop_domain": "sentia-uk.myshopify.com"}, UK, "sr-1")
    finished(prefix, 8)
    assert pii_hits(database) == {}
    assert query(database, "SELECT count(*) FROM orders")[0][0] == 3  # every order row kept
    actions = query(database, "SELECT action, subject FROM audit_log ORDER BY id")
    assert actions == [("privacy.customer_data_request", "shopify:us"),
                       ("privacy.customer_redact", "shopify:us"), ("privacy.shop_redact", "shopify:uk")]
    assert queue_stats(prefix, "webhooks")["counters"].get("dead", 0) == 0


def test_bad_privacy_payload_is_dead_at_once(stack, prefix, database):
    enqueue(prefix, "webhooks", "privacy.customer_redact",
            {"store": "us", "raw": '{"customer": {"id": 1}, "orders_to_redact": "x\\u0000"}',
             "webhook_id": "bad-1"})
    enqueue(prefix, "webhooks", "privacy.shop_redact", {"raw": "{}"})
    st = finished(prefix, 2)
    assert st["counters"].get("dead", 0) == 2  # 22P05 (Postgres failure rule), no store


def test_retention_clears_only_old_rows(services, prefix, database):
    with pg(database) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO customers (wa_id, phone, profile_name, created_at, updated_at,"
                    " last_contact_at) VALUES"
                    " ('447700900001', '+447700900001', 'Old', now() - interval '400 days',"
                    "  now() - interval '400 days', now() - interval '400 days'),"
                    " ('447700900002', '+447700900002', 'New', now() - interval '400 days',"
                    "  now() - interval '400 days', now() - interval '10 days')"
                    " RETURNING id")
        old_c, new_c = [r[0] for r in cur.fetchall()]
        cur.execute("INSERT INTO whatsapp_messages (message_sid, direction, customer_id, from_address,"
                    " body, status, created_at) VALUES"
                    " ('SMold1', 'in', %s, 'whatsapp:+447700900001', 'old body', 'received',"
                    "  now() - interval '400 days'),"
                    " ('SMold2', 'in', %s, 'whatsapp:+447700900002', 'old body 2', 'received',"
                    "  now() - interval '366 days'),"
                    " ('SMnew1', 'in', %s, 'whatsapp:+447700900002', 'new body', 'received',"
                    "  now() - interval '364 days')", (old_c, new_c, new_c))
        cur.execute("INSERT INTO notifications (idempotency_key, channel, to_address, body, status,"
                    " created_at) VALUES"
                    " ('ret-1', 'whatsapp', 'whatsapp:+447700900001', 'old note', 'delivered',"
                    "  now() - interval '400 days'),"
                    " ('ret-2', 'whatsapp', 'whatsapp:+447700900002', 'new note', 'delivered', now())")
    w = sync_worker(services, prefix, database, queues="sync:1", PII_RETENTION_DAYS=365)
    enqueue(prefix, "sync", "privacy.retention")
    wait_finished(prefix, "sync", 1, timeout=60)
    line = w.wait_log(lambda r: r.get("type") == "privacy.retention" and "result" in r)
    assert json.loads(line["result"]) == {"days": 365, "whatsapp_messages": 2, "notifications": 1,
                                          "customers": 1, "orders": 0, "data_requests": 0}
    assert query(database, "SELECT message_sid, body FROM whatsapp_messages ORDER BY message_sid") == [
        ("SMnew1", "new body"), ("SMold1", None), ("SMold2", None)]
    assert query(database, "SELECT profile_name, phone FROM customers ORDER BY id") == [
        (None, None), ("New", "+447700900002")]
    assert query(database, "SELECT body FROM notifications ORDER BY idempotency_key") == [
        ("",), ("new note",)]
    # a second run finds nothing more to clear
    enqueue(prefix, "sync", "privacy.retention", key="second")
    wait_finished(prefix, "sync", 2, timeout=60)
    wait_until(lambda: len([r for r in w.logs() if r.get("type") == "privacy.retention"
                            and "result" in r]) == 2, what="second retention run")
    last = [r for r in w.logs() if r.get("type") == "privacy.retention" and "result" in r][-1]
    assert json.loads(last["result"])["whatsapp_messages"] == 0
    w.stop()


# shared/external-apis.md §11.4: the documented bodies and signatures (secret test_secret_key)
VECTORS = [
    ("customers/data_request",
     '{"shop_id":954889,"shop_domain":"test-shop.myshopify.com","orders_requested":[299938,280263,220458],'
     '"customer":{"id":191167,"email":"john@example.com","phone":"555-625-1199"},"data_request":{"id":9999}}',
     "ivmYLPh7gBLMfguBkn1/wY/ZYS53d1yR5GnL6MDi/m8="),
    ("customers/redact",
     '{"shop_id":954889,"shop_domain":"test-shop.myshopify.com","customer":{"id":191167,'
     '"email":"john@example.com","phone":"555-625-1199"},"orders_to_redact":[299938,280263,220458]}',
     "mPRt+la4+yhGitsFb4JbXVlrqSZjDSLrHBKA3gnaA+Y="),
    ("shop/redact", '{"shop_id":954889,"shop_domain":"test-shop.myshopify.com"}',
     "6btsRsYm24xt8R70tfNX0vg9n3PxFfn2WWAVEFQliqY="),
]


def test_documented_vectors_through_the_single_store(services, prefix, database):
    api = start_api(services, prefix)  # no SHOPIFY_STORES: the store "default"
    w = sync_worker(services, prefix, database, queues="webhooks:2")
    seed_whatsapp(database)
    for i, (topic, body, sig) in enumerate(VECTORS):
        status, _, resp = api.post_shopify(body, topic=topic, webhook_id=f"vec-{i}", sig=sig,
                                           extra={"X-Shopify-Shop-Domain": "test-shop.myshopify.com"})
        assert status == 200, resp
        finished(prefix, i + 1)
    bad = api.post_shopify(VECTORS[2][1] + " ", topic="shop/redact", webhook_id="vec-x",
                           sig=VECTORS[2][2])
    assert bad[0] == 401  # a trailing space breaks the signature
    assert query(database, "SELECT action, subject FROM audit_log ORDER BY id") == [
        ("privacy.customer_data_request", "shopify:default"),
        ("privacy.customer_redact", "shopify:default"), ("privacy.shop_redact", "shopify:default")]
    assert query(database, "SELECT account, request_key, shop_id FROM data_requests") == [
        ("default", "9999", 954889)]
    assert pii_hits(database) == {}  # the WhatsApp customer with that phone, cleared
    assert queue_stats(prefix, "webhooks")["counters"].get("dead", 0) == 0
    w.stop()
    api.stop()
