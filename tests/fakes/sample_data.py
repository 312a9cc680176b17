#!/usr/bin/env python3
"""Sample data for `./dev run`: a small catalogue, its stock, a year of orders
from every source (WhatsApp, Shopify, Unleashed), Xero contacts and invoices
and Unleashed purchase orders, written into the tables of migrations/.

    DATABASE_URL=postgresql://… python3 tests/fakes/sample_data.py
    python3 tests/fakes/sample_data.py --first-sku     # prints a SKU to order

Deterministic: the same seed gives the same rows; dates count back from the
day it runs (UTC), so the year of history always ends today and a forecast
has something to read. Idempotent: every row is keyed by a sample id (orders
`sample-<source>-<date>-<n>`, invoices `sample-inv-…`) and inserted only when
missing, so a second run the same day adds nothing (a later day adds the days
since). Stock is set only for SKUs that have none yet.
The fake Xero starts afresh every run, so the Xero tokens an earlier run
stored (encrypted under that run's key) are forgotten here.
"""
import argparse
import datetime as dt
import json
import os
import random
import sys

SEED = 20240101
CURRENCY = "GBP"
LOCATION = "main"  # WHATSAPP_STOCK_LOCATION's default
FAMILIES = [("MUG", "Mug", 8.50), ("TEE", "T-shirt", 18.00), ("CAP", "Cap", 14.00),
            ("BAG", "Tote bag", 11.00), ("PEN", "Pen", 2.50), ("NOTE", "Notebook", 6.00)]
COLOURS = [("BLU", "blue"), ("RED", "red"), ("BLK", "black"), ("GRN", "green")]
SOURCES = [("whatsapp", 0.40), ("shopify", 0.45), ("unleashed", 0.15)]
CUSTOMERS = 30
DAYS = 365
# WhatsApp numbers: +44 7700 900000–900999, the mobile range Ofcom keeps for
# drama (no real phone has one). The sample customers are the first CUSTOMERS;
# `./dev demo-traffic` sends from all of them, its newcomers created by intake.
DEMO_NUMBERS = 1000
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Ema", "Femi", "Gus", "Hana", "Ivo", "Jess"]


def catalogue():
    """[(sku, name, price, avg_cost, active)]: 24 products, 2 of them retired."""
    rows = []
    for i, (code, name, price) in enumerate(FAMILIES):
        for j, (ccode, cname) in enumerate(COLOURS):
            k = i * len(COLOURS) + j
            rows.append((f"{code}-{ccode}", f"{name}, {cname}", round(price + j * 0.5, 2),
                         round(price * 0.4 + j * 0.2, 4), k not in (7, 22)))
    return rows


def wa_id(i):
    """The WhatsApp id of demo number i (0 ≤ i < DEMO_NUMBERS)."""
    return f"447700900{i:03d}"


def profile_name(i):
    """The WhatsApp profile name of demo number i."""
    return f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {chr(65 + (i * 7) % 26)}."


def customers(rnd):
    """[(wa_id, profile name)]."""
    return [(wa_id(i), profile_name(i)) for i in range(CUSTOMERS)]


def orders(rnd, skus, today):
    """A year of orders, busier at weekends and towards December, each with
    1–3 lines: [(source, external_id, customer index or None, status, placed_at, lines)]."""
    out = []
    weights = {s: max(1, int(w * 100)) for s, w in SOURCES}
    popular = {sku: rnd.uniform(0.3, 3.0) for sku, *_ in skus}
    names = [s[0] for s in skus]
    for day in range(DAYS, 0, -1):
        date = today - dt.timedelta(days=day)
        season = 1.0 + 0.5 * (date.month in (11, 12)) + 0.3 * (date.weekday() >= 5)
        for n in range(rnd.randint(1, int(4 * season))):
            source = rnd.choices(list(weights), weights=list(weights.values()))[0]
            placed = dt.datetime.combine(date, dt.time(rnd.randint(8, 21), rnd.randint(0, 59)),
                                         tzinfo=dt.timezone.utc)
            lines = []
            for sku in rnd.sample(names, rnd.randint(1, 3)):
                lines.append((sku, max(1, int(rnd.expovariate(1 / popular[sku])) + 1)))
            cust = rnd.randrange(CUSTOMERS) if source == "whatsapp" else None
            status = "cancelled" if rnd.random() < 0.04 else "confirmed"
            out.append((source, f"sample-{source}-{date.isoformat()}-{n}", cust, status, placed, lines))
    return out


def invoices(rnd, today):
    """Monthly receivables to Shopify/WhatsApp customers and payables to suppliers."""
    out = []
    for month in range(12, 0, -1):
        issued = (today.replace(day=1) - dt.timedelta(days=30 * month)).replace(day=rnd.randint(1, 25))
        for kind, n, lo, hi in (("ACCREC", 6, 80, 900), ("ACCPAY", 3, 300, 2500)):
            for i in range(n):
                total = round(rnd.uniform(lo, hi), 2)
                due = issued + dt.timedelta(days=30)
                paid = due < today - dt.timedelta(days=rnd.randint(0, 20))
                out.append({"id": f"sample-inv-{kind.lower()}-{month:02d}-{i}", "type": kind,
                            "number": f"{'INV' if kind == 'ACCREC' else 'BILL'}-{month:02d}{i:02d}",
                            "contact": f"sample-contact-{'c' if kind == 'ACCREC' else 's'}{i}",
                            "issued": issued, "due": due, "total": total,
                            "status": "PAID" if paid else "AUTHORISED",
                            "paid_on": due if paid else None})
    return out


def purchase_orders(rnd, skus, today):
    """Two received purchase orders per active SKU (lead times) and a few open ones."""
    out = []
    for k, (sku, _, _, cost, active) in enumerate(skus):
        if not active:
            continue
        for i in range(3):
            ordered = today - dt.timedelta(days=30 + 90 * i + k)
            lead = 7 + (k * 3 + i * 5) % 21
            received = ordered + dt.timedelta(days=lead) if i > 0 else None
            qty = 50 + (k * 13) % 150
            out.append((f"sample-po-{k:02d}-{i}", f"PO-S{k:02d}{i}", f"SUP{k % 3}",
                        f"Supplier {k % 3}", "Complete" if received else "Placed", ordered,
                        ordered + dt.timedelta(days=14), received, sku, qty, cost))
    return out


def load(conn, today):
    rnd = random.Random(SEED)
    skus = catalogue()
    cur = conn.cursor()
    for sku, name, price, cost, active in skus:
        cur.execute("INSERT INTO products (sku, name, unit_price, currency, active, avg_cost) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (sku) DO NOTHING",
                    (sku, name, price, CURRENCY, active, cost))
        cur.execute("INSERT INTO inventory (sku, location, on_hand, avg_cost) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (sku, location) DO NOTHING",
                    (sku, LOCATION, 40 + (len(sku) * 37 + int(price * 10)) % 300, cost))
    ids = []
    for wa_id, profile in customers(rnd):
        cur.execute("INSERT INTO customers (wa_id, phone, profile_name) VALUES (%s, %s, %s) "
                    "ON CONFLICT (wa_id) DO UPDATE SET wa_id = EXCLUDED.wa_id RETURNING id",
                    (wa_id, "+" + wa_id, profile))
        ids.append(cur.fetchone()[0])
    prices = {s[0]: s for s in skus}
    new_orders = 0
    for source, ext, cust, status, placed, lines in orders(rnd, skus, today):
        total = sum(prices[s][2] * q for s, q in lines)
        cur.execute("INSERT INTO orders (source, external_id, customer_id, status, currency, total, "
                    "placed_at, cancelled_at, external_status) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (source, account, external_id) DO NOTHING RETURNING id",
                    (source, ext, ids[cust] if cust is not None else None, status, CURRENCY,
                     round(total, 2), placed, placed if status == "cancelled" else None, "sample"))
        row = cur.fetchone()
        if row is None:
            continue
        new_orders += 1
        for n, (sku, qty) in enumerate(lines, 1):
            price = prices[sku][2]
            cur.execute("INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price, "
                        "line_total) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (row[0], n, sku, prices[sku][1], qty, price, round(price * qty, 2)))
    for side, n in (("c", 6), ("s", 3)):
        for i in range(n):
            cid = f"sample-contact-{side}{i}"
            name = f"{'Customer' if side == 'c' else 'Supplier'} {i}"
            cur.execute("INSERT INTO contacts (contact_id, name, is_customer, is_supplier, status, raw) "
                        "VALUES (%s, %s, %s, %s, 'ACTIVE', %s) ON CONFLICT (contact_id) DO NOTHING",
                        (cid, name, side == "c", side == "s", json.dumps({"ContactID": cid, "Name": name})))
    for inv in invoices(rnd, today):
        paid = inv["total"] if inv["status"] == "PAID" else 0
        cur.execute("INSERT INTO invoices (invoice_id, type, invoice_number, contact_id, status, issued_on, "
                    "due_on, fully_paid_on, currency, subtotal, total_tax, total, amount_due, amount_paid, raw) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (invoice_id) DO NOTHING",
                    (inv["id"], inv["type"], inv["number"], inv["contact"], inv["status"], inv["issued"],
                     inv["due"], inv["paid_on"], CURRENCY, round(inv["total"] / 1.2, 2),
                     round(inv["total"] - inv["total"] / 1.2, 2), inv["total"], inv["total"] - paid, paid,
                     json.dumps({"InvoiceID": inv["id"], "sample": True})))
    for (po, number, sup, sup_name, status, ordered, required, received, sku, qty, cost) in \
            purchase_orders(rnd, skus, today):
        cur.execute("INSERT INTO purchase_orders (po_id, order_number, supplier_code, supplier_name, status, "
                    "ordered_on, required_on, received_on, warehouse, currency, total, raw) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'MAIN', %s, %s, %s) "
                    "ON CONFLICT (po_id) DO NOTHING RETURNING po_id",
                    (po, number, sup, sup_name, status, ordered, required, received, CURRENCY,
                     round(qty * cost, 2), json.dumps({"Guid": po, "sample": True})))
        if cur.fetchone():
            cur.execute("INSERT INTO purchase_order_lines (po_id, line_no, sku, quantity, received_quantity, "
                        "unit_price, line_total, due_on) VALUES (%s, 1, %s, %s, %s, %s, %s, %s)",
                        (po, sku, qty, qty if received else 0, cost, round(qty * cost, 2), required))
    cur.execute("DELETE FROM credentials WHERE provider = 'xero'")
    return new_orders


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--first-sku", action="store_true", help="print an active SKU in stock and exit")
    ap.add_argument("--today", help="YYYY-MM-DD the year ends on (default: today, UTC)")
    args = ap.parse_args(argv)
    if args.first_sku:
        print(next(s[0] for s in catalogue() if s[4]))
        return 0
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("sample_data: DATABASE_URL is not set", file=sys.stderr)
        return 2
    import psycopg2
    today = dt.date.fromisoformat(args.today) if args.today else dt.datetime.now(dt.timezone.utc).date()
    conn = psycopg2.connect(url)
    with conn:
        n = load(conn, today)
    conn.close()
    print(f"dev: sample data: {len(catalogue())} products, {n} new orders over {DAYS} days, "
          f"invoices and purchase orders (idempotent; seed {SEED})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
