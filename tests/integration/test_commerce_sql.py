"""The commerce schema and its SQL functions (migrations/0002_commerce.sql)
against a real PostgreSQL, through psycopg2 — the same calls the handlers
make, one statement each.

Proves: an order and its lines and allocation are written together or not
at all, with every problem named; a message handled twice gives one order
and the same outcome; concurrent orders for the last units never oversell
(nor deadlock on multi-SKU orders in opposite order); cancel releases the
allocation exactly once and only for the customer's own pending order;
STATUS shows only the customer's orders; the catalog pages by SKU;
notification claims are exclusive and a message status never moves
backwards, also when a callback arrives before the sid is stored.
"""
import concurrent.futures
import json

import psycopg2
import pytest

from conftest import pg
from whatsapp_support import db, seed_catalog  # noqa: F401  (db: fixture)

WA = "447700900001"
OTHER = "447700900002"


def call(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def inbound(conn, sid, command, wa_id=WA, body="", location="main"):
    return call(conn, "SELECT whatsapp_inbound(%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)",
                sid, wa_id, f"whatsapp:+{wa_id}", "whatsapp:+14155238886", "Jane", body, 0,
                json.dumps(command), location)


def order(*items):
    return {"cmd": "order", "items": [{"sku": s, "qty": q} for s, q in items], "problems": []}


def stock(conn, sku, location="main"):
    with conn.cursor() as cur:
        cur.execute("SELECT on_hand, allocated FROM inventory WHERE sku = %s AND location = %s",
                    (sku, location))
        return cur.fetchone()


def count(conn, table):
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        return cur.fetchone()[0]


def test_order_placed_with_lines_and_allocation(db):
    r = inbound(db, "SM1", order(("SKU-1", 2), ("sku-2", 1)), body="ORDER 2 SKU-1, 1 sku-2")
    assert r["ok"] is True and r["replay"] is False
    o = r["order"]
    assert (o["number"], o["status"], o["currency"], o["total"], o["source"]) == \
        (1001, "pending", "GBP", "28.00", "whatsapp")
    assert o["lines"] == [
        {"sku": "SKU-1", "name": "Widget", "qty": 2, "unit_price": "12.50", "line_total": "25.00"},
        {"sku": "SKU-2", "name": "Gadget", "qty": 1, "unit_price": "3.00", "line_total": "3.00"}]
    assert stock(db, "SKU-1") == (100, 2) and stock(db, "SKU-2") == (5, 1)
    with db.cursor() as cur:
        cur.execute("SELECT o.external_id, o.stock_location, c.wa_id, c.profile_name, o.id <> o.number "
                    "FROM orders o JOIN customers c ON c.id = o.customer_id")
        assert cur.fetchall() == [("SM1", "main", WA, "Jane", True)]
        cur.execute("SELECT direction, status, command, body, order_id IS NOT NULL FROM whatsapp_messages")
        assert cur.fetchall() == [("in", "received", "order", "ORDER 2 SKU-1, 1 sku-2", True)]


def test_every_problem_is_named_and_nothing_is_written(db):
    r = inbound(db, "SM2", {"cmd": "order", "problems": [], "items": [
        {"sku": "SKU-9", "qty": 2},
        {"sku": "SKU-3", "qty": 1},
        {"sku": "SKU-1", "qty": 0},
        {"sku": "SKU-1", "qty_text": "-5", "error": "quantity"},
        {"sku": "SKU-2", "qty": 6},
        {"text": "two please", "error": "unreadable"},
        {"sku": "EUR-1", "qty": 1},
        {"sku": "SKU-9", "qty": 10001},
    ]})
    assert r["ok"] is False
    assert r["problems"] == [
        {"problem": "unknown_sku", "sku": "SKU-9"},
        {"problem": "inactive", "sku": "SKU-3"},
        {"problem": "quantity", "sku": "SKU-1", "qty_text": "0"},
        {"problem": "duplicate", "sku": "SKU-1"},
        {"problem": "stock", "sku": "SKU-2", "requested": 6, "available": 5},
        {"problem": "unreadable", "text": "two please"},
        {"problem": "currency", "sku": "EUR-1", "currency": "EUR", "order_currency": "GBP"},
        {"problem": "unknown_sku", "sku": "SKU-9"},
        {"problem": "quantity", "sku": "SKU-9", "qty_text": "10001"},
    ]
    assert count(db, "orders") == 0 and count(db, "order_lines") == 0
    assert stock(db, "SKU-2") == (5, 0) and stock(db, "SKU-1") == (100, 0)
    assert count(db, "whatsapp_messages") == 1  # the message itself is kept


def test_parser_problems_and_empty_orders(db):
    r = inbound(db, "SM3", {"cmd": "order", "items": [], "problems": [{"problem": "no_items"}]})
    assert r["problems"] == [{"problem": "no_items"}]
    r = inbound(db, "SM4", {"cmd": "order", "items": [{"sku": "SKU-1", "qty": 1}],
                            "problems": [{"problem": "too_many_items", "max": 50}]})
    assert r["ok"] is False and r["problems"] == [{"problem": "too_many_items", "max": 50}]
    r = inbound(db, "SM5", {"cmd": "order"})
    assert r["problems"] == [{"problem": "no_items"}]
    assert count(db, "orders") == 0


def test_product_without_stock_row_has_none(db):
    seed_catalog(db.info.dbname, [("NEW-1", "New", "1.00", "GBP", True, None)])
    r = inbound(db, "SM6", order(("NEW-1", 1)))
    assert r["problems"] == [{"problem": "stock", "sku": "NEW-1", "requested": 1, "available": 0}]


def test_total_too_large_is_a_problem(db):
    seed_catalog(db.info.dbname, [("GOLD", "Gold bar", "999999999999.00", "GBP", True, 10000)])
    r = inbound(db, "SM7", order(("GOLD", 2)))
    assert r["problems"] == [{"problem": "total_too_large"}]
    assert stock(db, "GOLD") == (10000, 0)


def test_same_message_twice_is_one_order_and_the_same_outcome(db):
    first = inbound(db, "SM8", order(("SKU-1", 3)))
    again = inbound(db, "SM8", order(("SKU-1", 7)))  # even with a different command
    assert again["replay"] is True
    del first["replay"], again["replay"]
    assert again == first
    assert count(db, "orders") == 1 and stock(db, "SKU-1") == (100, 3)
    # the function on its own is idempotent too
    with db.cursor() as cur:
        cur.execute("SELECT id FROM customers")
        cid = cur.fetchone()[0]
    direct = call(db, "SELECT whatsapp_place_order(%s, %s, %s::jsonb, '[]', 'main')",
                  "SM8", cid, json.dumps([{"sku": "SKU-1", "qty": 9}]))
    assert direct["order"]["number"] == first["order"]["number"]
    assert stock(db, "SKU-1") == (100, 3)


def test_concurrent_orders_for_the_last_units_never_oversell(database):
    seed_catalog(database, [("LAST", "Scarce", "1.00", "GBP", True, 10)])

    def one(i):
        conn = pg(database)
        try:
            return inbound(conn, f"SMc{i}", order(("LAST", 1)), wa_id=str(447700900100 + i))
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
        results = list(ex.map(one, range(40)))
    ok = [r for r in results if r["ok"]]
    refused = [r for r in results if not r["ok"]]
    assert len(ok) == 10 and len(refused) == 30
    assert all(r["problems"][0]["problem"] == "stock" for r in refused)
    conn = pg(database)
    assert stock(conn, "LAST") == (10, 10)
    assert count(conn, "orders") == 10
    assert len({r["order"]["number"] for r in ok}) == 10
    conn.close()


def test_concurrent_multi_sku_orders_in_opposite_order_do_not_deadlock(database):
    seed_catalog(database, [("A", "A", "1.00", "GBP", True, 1000), ("B", "B", "1.00", "GBP", True, 1000)])

    def one(i):
        conn = pg(database)
        try:
            items = [("A", 1), ("B", 1)] if i % 2 else [("B", 1), ("A", 1)]
            return inbound(conn, f"SMd{i}", order(*items), wa_id=str(447700900300 + i % 7))
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as ex:
        results = list(ex.map(one, range(200)))  # a deadlock would raise here
    assert all(r["ok"] for r in results)
    conn = pg(database)
    assert stock(conn, "A") == (1000, 200) and stock(conn, "B") == (1000, 200)
    conn.close()


def test_concurrent_runs_of_one_message_make_one_order(database):
    seed_catalog(database, [("ONE", "One", "1.00", "GBP", True, 100)])

    def one(_):
        conn = pg(database)
        try:
            return inbound(conn, "SMsame", order(("ONE", 2)))
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(one, range(8)))
    assert len({r["order"]["number"] for r in results}) == 1
    assert sum(1 for r in results if not r["replay"]) == 1
    conn = pg(database)
    assert stock(conn, "ONE") == (100, 2) and count(conn, "orders") == 1
    conn.close()


def test_cancel_releases_allocation_once(db):
    n = inbound(db, "SM10", order(("SKU-1", 4), ("SKU-2", 2)))["order"]["number"]
    assert stock(db, "SKU-2") == (5, 2)
    r = inbound(db, "SM11", {"cmd": "cancel", "number": n})
    assert r["ok"] is True and r["order"]["status"] == "cancelled"
    assert stock(db, "SKU-1") == (100, 0) and stock(db, "SKU-2") == (5, 0)
    again = inbound(db, "SM11", {"cmd": "cancel", "number": n})
    assert again["replay"] is True and again["ok"] is True
    later = inbound(db, "SM12", {"cmd": "cancel", "number": n})
    assert later["ok"] is False and later["problem"] == "already_cancelled"
    assert stock(db, "SKU-1") == (100, 0)
    with db.cursor() as cur:
        cur.execute("SELECT status, cancelled_at IS NOT NULL FROM orders")
        assert cur.fetchall() == [("cancelled", True)]


def test_cancel_only_own_pending_orders(db):
    n = inbound(db, "SM20", order(("SKU-1", 1)))["order"]["number"]
    r = inbound(db, "SM21", {"cmd": "cancel", "number": n}, wa_id=OTHER)
    assert r["ok"] is False and r["problem"] == "not_found"
    assert inbound(db, "SM22", {"cmd": "cancel", "number": 999999})["problem"] == "not_found"
    assert inbound(db, "SM23", {"cmd": "cancel"})["problem"] == "no_number"
    with db.cursor() as cur:
        cur.execute("UPDATE orders SET status = 'confirmed'")
    r = inbound(db, "SM24", {"cmd": "cancel", "number": n})
    assert r["problem"] == "not_pending" and r["order"]["status"] == "confirmed"
    assert stock(db, "SKU-1") == (100, 1)


def test_status_shows_own_orders_only(db):
    numbers = [inbound(db, f"SM3{i}", order(("SKU-1", 1)))["order"]["number"] for i in range(7)]
    other = inbound(db, "SM40", order(("SKU-1", 1)), wa_id=OTHER)["order"]["number"]
    r = inbound(db, "SM41", {"cmd": "status"})
    assert [o["number"] for o in r["orders"]] == numbers[::-1][:5]
    r = inbound(db, "SM42", {"cmd": "status", "number": numbers[0]})
    assert [o["number"] for o in r["orders"]] == [numbers[0]]
    assert r["orders"][0]["lines"][0]["sku"] == "SKU-1"
    r = inbound(db, "SM43", {"cmd": "status", "number": other})
    assert r == {"cmd": "status", "number": other, "ok": False, "problem": "not_found", "replay": False}
    r = inbound(db, "SM44", {"cmd": "status"}, wa_id="447700900999")
    assert r["ok"] is True and r["orders"] == []


def test_catalog_pages(db):
    seed_catalog(db.info.dbname, [(f"P-{i:02d}", f"Product {i}", "2.00", "GBP", True, i) for i in range(17)])
    pages = [inbound(db, f"SM5{p}", {"cmd": "catalog", "page": p, "page_size": 8}) for p in (1, 2, 3, 4)]
    # 3 active defaults + 17 = 20 active products → 3 pages of 8
    assert [(p["page"], p["pages"], p["total"], len(p["products"])) for p in pages] == \
        [(1, 3, 20, 8), (2, 3, 20, 8), (3, 3, 20, 4), (4, 3, 20, 0)]
    skus = [x["sku"] for p in pages for x in p["products"]]
    assert skus == sorted(skus, key=str.upper) and "SKU-3" not in skus and len(set(skus)) == 20
    first = pages[0]["products"][0]
    assert first == {"sku": "EUR-1", "name": "Euro thing", "unit_price": "5.00", "currency": "EUR",
                     "available": 10}
    inbound(db, "SM60", order(("SKU-2", 5)))
    p3 = inbound(db, "SM61", {"cmd": "catalog", "page": 3, "page_size": 8})
    assert {x["sku"]: x["available"] for x in p3["products"]}["SKU-2"] == 0


def test_constraints_guard_the_data(db):
    bad = [
        "INSERT INTO inventory (sku, location, allocated) VALUES ('SKU-1', 'x', -1)",
        "INSERT INTO products (sku, name, unit_price, currency) VALUES ('sku-1', 'dup', 1, 'GBP')",
        "INSERT INTO products (sku, name, unit_price, currency) VALUES ('Z', 'z', -1, 'GBP')",
        "INSERT INTO orders (source, external_id, currency, total, status) VALUES ('whatsapp', 'x', 'GBP', 1, 'lost')",
        "INSERT INTO notifications (idempotency_key, channel, to_address, body, status) VALUES ('k', 'whatsapp', 't', 'b', 'nope')",
    ]
    for sql in bad:
        with pytest.raises(psycopg2.errors.IntegrityError):
            with db.cursor() as cur:
                cur.execute(sql)
    with db.cursor() as cur:
        cur.execute("INSERT INTO orders (source, external_id, currency, total) VALUES ('shopify', 'A1', 'GBP', 1)")
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO orders (source, external_id, currency, total) VALUES ('shopify', 'A1', 'GBP', 1)")
        cur.execute("INSERT INTO orders (source, external_id, currency, total) VALUES ('unleashed', 'A1', 'GBP', 1)")


# ---- notifications ----------------------------------------------------------------


def claim(conn, key, claimer, stale_s=60):
    with conn.cursor() as cur:
        cur.execute("SELECT outcome, id, status, to_address, body, attempts "
                    "FROM notification_claim(%s, 'whatsapp', %s, %s, %s, %s, %s)",
                    (key, "whatsapp:+447700900001", "hello", "SMin", claimer, stale_s))
        return cur.fetchone()


def test_claims_are_exclusive_and_taken_over_by_the_same_job(db):
    c = claim(db, "reply:SMin", "job-1")
    assert c[0] == "claimed" and c[2] == "claimed" and c[5] == 1
    assert claim(db, "reply:SMin", "job-2")[0] == "busy"
    again = claim(db, "reply:SMin", "job-1")
    assert again[0] == "claimed" and again[5] == 2
    assert claim(db, "reply:SMin", "job-3", stale_s=0)[0] == "claimed"  # a stale claim
    nid = c[1]
    assert call(db, "SELECT notification_failed(%s, 'job-1', false, NULL, 'x')", nid) is None  # not the holder
    assert call(db, "SELECT notification_failed(%s, 'job-3', false, 20429, 'Too Many Requests')", nid) == "retrying"
    assert claim(db, "reply:SMin", "job-4")[0] == "claimed"
    sent = call(db, "SELECT notification_sent(%s, 'SMout1', 'queued', 'whatsapp:+14155238886')", nid)
    assert sent == {"status": "queued"}
    assert claim(db, "reply:SMin", "job-5")[0] == "done"
    with db.cursor() as cur:
        cur.execute("SELECT status, provider_id, attempts, claimed_by, sent_at IS NOT NULL FROM notifications")
        assert cur.fetchall() == [("queued", "SMout1", 4, None, True)]


def test_refused_notification_is_failed_with_the_code(db):
    nid = claim(db, "reply:SMbad", "job-1")[1]
    assert call(db, "SELECT notification_failed(%s, 'job-1', true, 21211, %s)", nid,
                "The 'To' number whatsapp:+1 is not a valid phone number.") == "failed"
    with db.cursor() as cur:
        cur.execute("SELECT status, error_code, last_error, provider_id FROM notifications")
        assert cur.fetchall() == [("failed", 21211, "The 'To' number whatsapp:+1 is not a valid phone number.", None)]
    assert claim(db, "reply:SMbad", "job-2")[0] == "claimed"  # an operator's retry may try again


def statuses(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT n.status, m.status, n.error_code, n.delivered_at IS NOT NULL, n.read_at IS NOT NULL "
                    "FROM notifications n JOIN whatsapp_messages m ON m.message_sid = n.provider_id")
        return cur.fetchone()


def test_status_never_moves_backwards(db):
    nid = claim(db, "reply:SMs", "job-1")[1]
    call(db, "SELECT notification_sent(%s, 'SMo', 'queued', 'whatsapp:+14155238886')", nid)
    for s in ("sent", "delivered", "sent", "queued"):
        call(db, "SELECT whatsapp_message_status('SMo', %s, NULL)", s)
    assert statuses(db) == ("delivered", "delivered", None, True, False)
    call(db, "SELECT whatsapp_message_status('SMo', 'read', NULL)")
    call(db, "SELECT whatsapp_message_status('SMo', 'delivered', NULL)")
    assert statuses(db) == ("read", "read", None, True, True)
    assert call(db, "SELECT whatsapp_message_status('SMo', 'bogus', NULL)") == {"known": False}
    assert call(db, "SELECT whatsapp_message_status('SMo', 'claimed', NULL)") == {"known": False}


def test_failure_status_keeps_the_error_code(db):
    nid = claim(db, "reply:SMf", "job-1")[1]
    call(db, "SELECT notification_sent(%s, 'SMf1', 'queued', 'whatsapp:+14155238886')", nid)
    call(db, "SELECT whatsapp_message_status('SMf1', 'sent', NULL)")
    call(db, "SELECT whatsapp_message_status('SMf1', 'undelivered', 63016)")
    call(db, "SELECT whatsapp_message_status('SMf1', 'delivered', NULL)")  # same rank: first end state wins
    assert statuses(db) == ("undelivered", "undelivered", 63016, False, False)


def test_callback_before_the_sid_is_stored_is_merged(db):
    r = call(db, "SELECT whatsapp_message_status('SMearly', 'delivered', NULL)")
    assert r == {"known": True, "status": "delivered", "notification": None}
    nid = claim(db, "reply:SMe", "job-1")[1]
    sent = call(db, "SELECT notification_sent(%s, 'SMearly', 'queued', 'whatsapp:+14155238886')", nid)
    assert sent == {"status": "delivered"}
    assert statuses(db) == ("delivered", "delivered", None, True, False)
    with db.cursor() as cur:
        cur.execute("SELECT direction, to_address, body FROM whatsapp_messages WHERE message_sid = 'SMearly'")
        assert cur.fetchone() == ("out", "whatsapp:+447700900001", "hello")


def test_inbound_rows_are_never_touched_by_callbacks(db):
    inbound(db, "SMinrow", {"cmd": "help"})
    call(db, "SELECT whatsapp_message_status('SMinrow', 'delivered', NULL)")
    with db.cursor() as cur:
        cur.execute("SELECT direction, status FROM whatsapp_messages WHERE message_sid = 'SMinrow'")
        assert cur.fetchone() == ("in", "received")
