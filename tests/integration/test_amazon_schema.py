"""migrations/0007_stores_amazon_privacy.sql against a real PostgreSQL: the
order and cursor keys that take an account (a Shopify store or an Amazon
marketplace), and the privacy columns.

Proves: rows written before 0007 become account 'default' and single-store
upserts and 0004's sync functions still find them (cursor kept); the same
external order id from two accounts stays two orders, each updated alone;
Amazon rows (as worker/providers/amazon.c builds them) land with their
marketplace, exact money and lines priced from ItemPrice, a row without
lines keeps its lines; per-account cursors move independently and rows
without an account take the sync account; WhatsApp orders are still placed
once; data_requests is idempotent on (store, request); a redacted customer
may lose its wa_id.
"""
import glob
import json
import os
import shutil

import psycopg2
import pytest

from conftest import ROOT, base_env, pg, run
from whatsapp_support import DEFAULT_CATALOG, db  # noqa: F401  (db: fixture)

MIGRATIONS = os.path.join(ROOT, "migrations")
US, UK = "ATVPDKIKX0DER", "A1F83G8C2ARO7P"


def q(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def one(conn, sql, *args):
    return q(conn, sql, *args)[0][0]


def shopify_order(ext, total, updated, account=None, currency="USD", lines=True):
    row = {"external_id": ext, "status": "confirmed", "external_status": "paid",
           "currency": currency, "total": total, "placed_at": "2026-08-01T10:00:00Z",
           "cancelled_at": None, "updated_at": updated, "raw": {"id": ext}}
    if account:
        row["account"] = account
    if lines:
        row["lines"] = [{"line_no": 1, "sku": "SKU-1", "name": "One", "quantity": 2,
                         "unit_price": "5.00"}]
    return row


def amazon_order(oid, marketplace, status, total, updated, lines=None):
    """A row as amazon_orders_page_parse builds it (plus lines from the items)."""
    row = {"external_id": oid, "account": marketplace,
           "status": {"Pending": "pending", "Canceled": "cancelled"}.get(status, "confirmed"),
           "external_status": status, "currency": "USD" if marketplace == US else "GBP",
           "total": total, "placed_at": "2026-08-01T10:00:00.000Z", "updated_at": updated,
           "cancelled_at": updated if status == "Canceled" else None, "raw": {"AmazonOrderId": oid}}
    if lines is not None:
        row["lines"] = lines
    return row


def apply(conn, source, resource, rows):
    return one(conn, "SELECT sync_apply(%s, %s, %s::jsonb)", source, resource, json.dumps(rows))


def test_rows_from_before_0007_become_account_default(empty_database, tmp_path):
    before = tmp_path / "migrations"
    before.mkdir()
    for f in glob.glob(os.path.join(MIGRATIONS, "*.sql")):
        if int(os.path.basename(f).split("_", 1)[0]) < 7:
            shutil.copy(f, before)
    cp = run("sentia-migrate", "up", "--dir", str(before), env=base_env(dbname=empty_database))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    conn = pg(empty_database)
    apply(conn, "shopify", "orders", [shopify_order("1001", "10.00", "2026-08-01T10:00:00Z")])
    q(conn, "SELECT sync_begin('shopify', 'orders', 1)")
    q(conn, "SELECT sync_page('shopify', 'orders', 'shop', 1, %s::jsonb, NULL, 0)",
      json.dumps([shopify_order("1002", "3.00", "2026-08-02T10:00:00Z")]))
    cid = one(conn, "SELECT whatsapp_customer('447700900001', 'whatsapp:+447700900001', 'Jane')")
    q(conn, "INSERT INTO whatsapp_messages (message_sid, direction, customer_id, body, status, created_at)"
            " VALUES ('SM1', 'in', %s, 'hello', 'received', now() + interval '1 hour')", cid)

    cp = run("sentia-migrate", "up", "--dir", MIGRATIONS, env=base_env(dbname=empty_database))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert q(conn, "SELECT source, account, external_id FROM orders ORDER BY external_id") == [
        ("shopify", "default", "1001"), ("shopify", "default", "1002")]
    assert q(conn, "SELECT account, cursor FROM sync_state") == [
        ("default", "2026-08-02T10:00:00.000000Z")]
    assert one(conn, "SELECT last_contact_at > now() + interval '50 minutes' FROM customers")
    # the single-store upsert and 0004's signatures find the same rows
    apply(conn, "shopify", "orders", [shopify_order("1001", "12.00", "2026-08-03T10:00:00Z")])
    assert q(conn, "SELECT account, total::text FROM orders WHERE external_id = '1001'") == [
        ("default", "12.00")]
    status = one(conn, "SELECT sync_begin('shopify', 'orders', 2)")
    assert status["account"] == "default" and status["cursor"] == "2026-08-02T10:00:00.000000Z"
    status = one(conn, "SELECT sync_failed('shopify', 'orders', 'shop', 'boom', NULL)")
    assert status["last_error"] == "boom"
    assert one(conn, "SELECT count(*) FROM sync_state") == 1
    conn.close()


def test_same_external_id_in_two_stores_stays_two_orders(database):
    conn = pg(database)
    rows = [shopify_order("820982911946154508", "10.00", "2026-08-01T10:00:00Z", "uk", "GBP"),
            shopify_order("820982911946154508", "12.00", "2026-08-01T10:00:00Z", "us", "USD")]
    assert apply(conn, "shopify", "orders", rows) == 2
    apply(conn, "shopify", "orders",
          [shopify_order("820982911946154508", "99.00", "2026-08-02T10:00:00Z", "us", "USD")])
    assert q(conn, "SELECT account, currency, total::text FROM orders ORDER BY account") == [
        ("uk", "GBP", "10.00"), ("us", "USD", "99.00")]
    # a line priced per unit (Shopify, Unleashed) is totalled from its quantity
    assert q(conn, "SELECT quantity, unit_price::text, line_total::text FROM order_lines") == [
        (2, "5.00", "10.00"), (2, "5.00", "10.00")]
    with pytest.raises(psycopg2.errors.UniqueViolation):
        q(conn, "INSERT INTO orders (source, account, external_id, currency, total)"
                " VALUES ('shopify', 'uk', '820982911946154508', 'GBP', 1)")
    with pytest.raises(psycopg2.errors.CheckViolation):
        q(conn, "INSERT INTO orders (source, account, external_id, currency, total)"
                " VALUES ('shopify', 'u k', '1', 'GBP', 1)")
    conn.close()


def test_amazon_orders_and_lines(database):
    conn = pg(database)
    lines = [{"line_no": 1, "sku": "SKU-1", "asin": "B00551Q3CS", "external_line_id": "05015851154158",
              "name": "Card Book", "quantity": 3, "line_total": "10.00", "currency": "USD"},
             {"line_no": 2, "sku": "", "asin": "B0", "external_line_id": "2", "name": "B0",
              "quantity": 0, "line_total": "0.00", "currency": "USD"}]
    pending = [{"line_no": 1, "sku": "SKU-2", "asin": "B1", "external_line_id": "7", "name": "B1",
                "quantity": 2, "line_total": None, "currency": None}]
    rows = [amazon_order("902-1845936-5435065", US, "Unshipped", "11.01", "2026-08-01T10:00:00.000Z", lines),
            amazon_order("902-1845936-5435065", UK, "Pending", "0", "2026-08-01T10:00:00.000Z", pending)]
    assert apply(conn, "amazon", "orders", rows) == 2
    assert q(conn, "SELECT account, status, external_status, currency, total::text FROM orders"
                   " ORDER BY account") == [(UK, "pending", "Pending", "GBP", "0.00"),
                                            (US, "confirmed", "Unshipped", "USD", "11.01")]
    got = q(conn, "SELECT o.account, l.line_no, l.sku, l.quantity, l.unit_price::text, l.line_total::text,"
                  " l.external_line_id, l.external_product_id FROM order_lines l"
                  " JOIN orders o ON o.id = l.order_id ORDER BY o.account, l.line_no")
    assert got == [(UK, 1, "SKU-2", 2, "0.00", "0.00", "7", "B1"),
                   (US, 1, "SKU-1", 3, "3.33", "10.00", "05015851154158", "B00551Q3CS")]
    # a status change without items keeps the lines; cancelled as Amazon says
    apply(conn, "amazon", "orders",
          [amazon_order("902-1845936-5435065", US, "Canceled", "11.01", "2026-08-02T10:00:00.000Z")])
    assert q(conn, "SELECT status, cancelled_at IS NOT NULL FROM orders WHERE account = %s", US) == [
        ("cancelled", True)]
    assert one(conn, "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id"
                     " WHERE o.account = %s", US) == 1
    # an older copy never overwrites a newer one
    apply(conn, "amazon", "orders",
          [amazon_order("902-1845936-5435065", US, "Shipped", "11.01", "2026-08-01T12:00:00.000Z", [])])
    assert one(conn, "SELECT status FROM orders WHERE account = %s", US) == "cancelled"
    conn.close()


def test_cursors_per_account(database):
    conn = pg(database)
    for mk in (US, UK):
        status = one(conn, "SELECT sync_begin('amazon', 'orders', 1, %s)", mk)
        assert status["account"] == mk and status["cursor"] is None
    row = amazon_order("111-1000000-0000001", US, "Shipped", "5.00", "2026-08-05T10:00:00.000Z", [])
    del row["account"]  # the sync account fills it in
    status = one(conn, "SELECT sync_page('amazon', 'orders', %s, 1, %s::jsonb, NULL, 0, %s)",
                 US, json.dumps([row]), US)
    assert status["cursor"] == "2026-08-05T10:00:00.000000Z"
    row = amazon_order("111-1000000-0000001", UK, "Shipped", "4.00", "2026-08-03T10:00:00.000Z", [])
    status = one(conn, "SELECT sync_page('amazon', 'orders', %s, 1, %s::jsonb, 'tok', 0, %s)",
                 UK, json.dumps([row]), UK)
    assert status["cursor"] is None and status["position"] == "tok"
    assert q(conn, "SELECT account, cursor, position FROM sync_state ORDER BY account") == [
        (UK, None, "tok"), (US, "2026-08-05T10:00:00.000000Z", None)]
    assert q(conn, "SELECT account, total::text FROM orders ORDER BY account") == [
        (UK, "4.00"), (US, "5.00")]
    # a stale fence is refused for that account only
    one(conn, "SELECT sync_begin('amazon', 'orders', 5, %s)", US)
    with pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState):
        one(conn, "SELECT sync_page('amazon', 'orders', %s, 1, '[]'::jsonb, NULL, 0, %s)", US, US)
    one(conn, "SELECT sync_page('amazon', 'orders', %s, 1, '[]'::jsonb, NULL, 0, %s)", UK, UK)
    status = one(conn, "SELECT sync_failed('amazon', 'orders', %s, 'HTTP 403', 'unauthorised', %s)", UK, UK)
    assert status["account"] == UK and status["last_error"] == "HTTP 403"
    assert one(conn, "SELECT status FROM integrations WHERE provider = 'amazon' AND account = %s",
               UK) == "unauthorised"
    conn.close()


def test_whatsapp_orders_and_privacy_columns(db):
    sku = DEFAULT_CATALOG[0][0]
    cmd = json.dumps({"cmd": "order", "items": [{"sku": sku, "qty": 1}], "problems": []})
    args = ("SM0007", "447700900001", "whatsapp:+447700900001", "whatsapp:+14155238886", "Jane",
            f"{sku} 1", 0, cmd, "main")
    sql = "SELECT whatsapp_inbound(%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)"
    first = one(db, sql, *args)
    assert first["ok"] and not first["replay"]
    assert one(db, sql, *args)["replay"]
    assert q(db, "SELECT source, account FROM orders") == [("whatsapp", "default")]
    # a redacted customer keeps its row with the contact fields cleared
    q(db, "UPDATE customers SET wa_id = NULL, phone = NULL, profile_name = NULL, redacted_at = now()")
    q(db, "UPDATE whatsapp_messages SET body = NULL, body_cleared_at = now()")
    assert one(db, "SELECT count(*) FROM customers WHERE wa_id IS NULL") == 1
    req = ("INSERT INTO data_requests (account, request_key, shop_domain, shop_id, customer_ref,"
           " customer_email, orders_requested, payload) VALUES ('uk', '9999', 'uk.myshopify.com',"
           " 954889, '191167', 'john@example.com', '[299938]', '{}')")
    q(db, req)
    with pytest.raises(psycopg2.errors.UniqueViolation):
        q(db, req)
    q(db, req.replace("'uk',", "'us',").replace("uk.myshopify", "us.myshopify"))
    assert one(db, "SELECT count(*) FROM data_requests WHERE status = 'received'") == 2
