#!/usr/bin/env python3
"""A fake Shopify Admin REST API (shared/external-apis.md §4) for the sync
tests. Python stdlib only.

    python3 tests/fakes/shopify.py --token T [--port 0] [--orders 5000]
        [--products 40] [--seed 1] [--version 2025-07] [--currency USD]

One process is one shop: a test of several stores (SHOPIFY_STORES) runs
one per store, e.g. --currency GBP and --currency USD with the same seed
so that both shops hold the same order ids. Prints "ready <port>" ($FAKE_SHOPIFY_TOKEN may replace --token). API under
/admin/api/<version>/:
  orders.json    status=any|open|cancelled, limit (≤250, default 50),
                 updated_at_min, order=updated_at asc, page_info
  products.json  limit, updated_at_min, page_info
  locations.json
  inventory_levels.json  location_ids (required), limit, updated_at_min,
                 page_info
  orders/{id}.json
Paging is Shopify's: `Link: <…?page_info=X&limit=N>; rel="next"` (and
rel="previous"), absent on the last page; page_info is opaque (it carries
the filters) and only limit may accompany it. Every answer carries
X-Shopify-Shop-Api-Call-Limit: used/size. A wrong or missing
X-Shopify-Access-Token answers 401 {"errors": "[API] Invalid API key or
access token (unrecognized login or wrong password)"}. With a bucket
configured (/_fake/config {"bucket_size": 40, "leak_per_s": 2}) an
overflowing request answers 429 with Retry-After: 1.0, as Shopify does.

Data (deterministic from the seed): orders with ids above 2^53
(820982911946154508 + i), ISO-8601 times with a -05:00 offset, money as
strings, 1–3 lines per order (some without a SKU); products with variants
(every fifth variant without a SKU); two locations; a level per variant and
location.

Control API (besides fakebase's): GET /_fake/orders (the full data set),
GET /_fake/products, GET /_fake/levels, POST /_fake/orders/touch
{"ids": [...], "updated_at_ms": N, "total_price": "9.99"?, "cancel": bool}
(changes orders as a merchant would), POST /_fake/orders/add {"count": n},
GET /_fake/served (records returned per resource).
"""
import argparse
import base64
import json
import os
import random
import sys
import threading
import urllib.parse

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fakebase  # noqa: E402

BASE_ID = 820982911946154508
BASE_MS = 1704067200000  # 2024-01-01T00:00:00Z


class Data:
    def __init__(self, n_orders, n_products, seed, currency="USD"):
        self.lock = threading.Lock()
        self.currency = currency
        self.seed = seed
        self.n_orders = n_orders
        self.n_products = n_products
        self.reset()

    def reset(self):
        rnd = random.Random(self.seed)
        with self.lock:
            self.served = {}
            self.products, self.variants = [], []
            for p in range(self.n_products):
                pid = 632910392 + p
                variants = []
                for v in range(2):
                    k = p * 2 + v
                    vid = 39072856 + k
                    sku = None if k % 5 == 4 else f"SKU-{k:04d}"
                    variants.append({"id": vid, "product_id": pid, "title": "Default Title" if v == 0 else f"Size {v}",
                                     "price": f"{rnd.randint(100, 9999) / 100:.2f}", "sku": sku,
                                     "inventory_item_id": 808950810 + k,
                                     "updated_at": fakebase.iso(BASE_MS + k * 1000)})
                    self.variants.append(variants[-1])
                self.products.append({"id": pid, "title": f"Product {p}", "status": "active",
                                      "updated_at": fakebase.iso(BASE_MS + p * 2000 + 1000),
                                      "updated_ms": BASE_MS + p * 2000 + 1000, "variants": variants})
            self.locations = [{"id": 487838322, "name": "Main"}, {"id": 487838323, "name": "Overflow"}]
            self.levels = []
            for v in self.variants:
                for loc in self.locations:
                    self.levels.append({"inventory_item_id": v["inventory_item_id"], "location_id": loc["id"],
                                        "available": rnd.randint(-2, 200), "updated_ms": BASE_MS + 500,
                                        "updated_at": fakebase.iso(BASE_MS + 500)})
            self.orders = [self.make_order(i, rnd) for i in range(self.n_orders)]

    def make_order(self, i, rnd):
        lines = []
        total = 0
        for ln in range(1 + i % 3):
            v = self.variants[(i + ln * 7) % len(self.variants)] if self.variants else None
            qty = 1 + (i + ln) % 4
            price = v["price"] if v else "10.00"
            total += int(round(float(price) * 100)) * qty
            lines.append({"id": 466157049 + i * 10 + ln, "variant_id": v["id"] if v else None,
                          "sku": v["sku"] if v else None, "title": "Item", "name": f"Item {ln}",
                          "quantity": qty, "price": price, "total_discount": "0.00"})
        updated = BASE_MS + i * 1000
        return {"id": BASE_ID + i, "name": f"#{1001 + i}", "order_number": 1001 + i,
                "created_at": fakebase.iso(updated - 3600000), "updated_at": fakebase.iso(updated),
                "updated_ms": updated, "processed_at": fakebase.iso(updated - 3600000),
                "cancelled_at": None, "currency": self.currency, "total_price": f"{total / 100:.2f}",
                "subtotal_price": f"{total / 100:.2f}", "financial_status": "paid",
                "fulfillment_status": None, "line_items": lines,
                "customer": {"id": 207119551 + i, "email": f"c{i}@example.com"}}

    def public(self, rec):
        return {k: v for k, v in rec.items() if k != "updated_ms"}


def encode_cursor(doc):
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def decode_cursor(text):
    pad = "=" * (-len(text) % 4)
    return json.loads(base64.urlsafe_b64decode(text + pad))


class Handler(fakebase.DataHandler):
    def control(self, method, path, doc, query):
        d = self.data
        if path == "/_fake/orders":
            with d.lock:
                return [d.public(o) for o in d.orders]
        if path == "/_fake/products":
            with d.lock:
                return [d.public(p) for p in d.products]
        if path == "/_fake/levels":
            with d.lock:
                return [d.public(x) for x in d.levels]
        if path == "/_fake/served":
            with d.lock:
                return dict(d.served)
        if path == "/_fake/orders/touch" and method == "POST":
            with d.lock:
                ids = set(doc.get("ids", []))
                for o in d.orders:
                    if o["id"] in ids:
                        o["updated_ms"] = doc["updated_at_ms"]
                        o["updated_at"] = fakebase.iso(doc["updated_at_ms"])
                        if "total_price" in doc:
                            o["total_price"] = doc["total_price"]
                        if doc.get("cancel"):
                            o["cancelled_at"] = o["updated_at"]
                return {"ok": True}
        if path == "/_fake/orders/add" and method == "POST":
            with d.lock:
                rnd = random.Random(len(d.orders))
                for _ in range(int(doc.get("count", 1))):
                    o = d.make_order(len(d.orders), rnd)
                    if "updated_at_ms" in doc:
                        o["updated_ms"] = doc["updated_at_ms"]
                        o["updated_at"] = fakebase.iso(doc["updated_at_ms"])
                    d.orders.append(o)
                return {"ok": True, "orders": len(d.orders)}
        return None

    def answer(self, method, url, body):
        prefix = f"/admin/api/{self.server.version}/"
        st = self.state
        if self.headers.get("X-Shopify-Access-Token") != self.server.token:
            return 401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}, {}
        size = int(st.config.get("bucket_size") or 0)
        used = 1
        if size:
            ok, used = st.acct.bucket_take(size, float(st.config.get("leak_per_s") or 2))
            if not ok:
                return 429, {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}, {
                    "Retry-After": "1.0", "X-Shopify-Shop-Api-Call-Limit": f"{size}/{size}"}
        limit_header = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{size or 40}"}
        if method != "GET" or not url.path.startswith(prefix):
            return 404, {"errors": "Not Found"}, limit_header
        name = url.path[len(prefix):]
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        if name == "locations.json":
            return 200, {"locations": self.data.locations}, limit_header
        if name.startswith("orders/") and name.endswith(".json"):
            oid = int(name[len("orders/"):-len(".json")])
            with self.data.lock:
                for o in self.data.orders:
                    if o["id"] == oid:
                        return 200, {"order": self.data.public(o)}, limit_header
            return 404, {"errors": "Not Found"}, limit_header
        kinds = {"orders.json": "orders", "products.json": "products", "inventory_levels.json": "inventory_levels"}
        if name not in kinds:
            return 404, {"errors": "Not Found"}, limit_header
        return self.page(kinds[name], name, q, limit_header)

    def page(self, kind, name, q, headers):
        try:
            limit = int(q.get("limit", "50"))
        except ValueError:
            return 400, {"errors": {"limit": "invalid"}}, headers
        if limit < 1 or limit > 250:
            return 400, {"errors": {"limit": "must be between 1 and 250"}}, headers
        if "page_info" in q:
            extra = set(q) - {"page_info", "limit", "fields"}
            if extra:
                return 400, {"errors": {"page_info": "Only limit and fields may accompany page_info"}}, headers
            cur = decode_cursor(q["page_info"])
        else:
            cur = {"offset": 0, "since": None, "status": q.get("status", "open"),
                   "locations": q.get("location_ids")}
            if "updated_at_min" in q:
                cur["since"] = fakebase.parse_iso_ms(q["updated_at_min"])
            if kind == "inventory_levels" and not cur["locations"]:
                return 422, {"errors": {"base": ["inventory_item_ids or location_ids is required"]}}, headers
        d = self.data
        with d.lock:
            if kind == "orders":
                recs = [o for o in d.orders if cur["status"] in ("any",) or
                        (cur["status"] == "cancelled") == (o["cancelled_at"] is not None)]
            elif kind == "products":
                recs = list(d.products)
            else:
                locs = {int(x) for x in str(cur["locations"]).split(",")}
                recs = [x for x in d.levels if x["location_id"] in locs]
            if cur["since"] is not None:
                recs = [r for r in recs if r["updated_ms"] >= cur["since"]]
            recs.sort(key=lambda r: (r["updated_ms"], r.get("id", r.get("inventory_item_id", 0))))
            chunk = [d.public(r) for r in recs[cur["offset"]: cur["offset"] + limit]]
            d.served[kind] = d.served.get(kind, 0) + len(chunk)
        links = []
        host = f"http://127.0.0.1:{self.server.server_address[1]}/admin/api/{self.server.version}/{name}"
        if cur["offset"] + limit < len(recs):
            nxt = dict(cur, offset=cur["offset"] + limit)
            links.append(f'<{host}?limit={limit}&page_info={encode_cursor(nxt)}>; rel="next"')
        if cur["offset"] > 0:
            prv = dict(cur, offset=max(0, cur["offset"] - limit))
            links.insert(0, f'<{host}?limit={limit}&page_info={encode_cursor(prv)}>; rel="previous"')
        if links:
            headers = dict(headers, Link=", ".join(links))
        return 200, {kind: chunk}, headers


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    # the secret may come from $FAKE_SHOPIFY_TOKEN instead: a command line is public
    ap.add_argument("--token", default=os.environ.get("FAKE_SHOPIFY_TOKEN"),
                    required="FAKE_SHOPIFY_TOKEN" not in os.environ)
    ap.add_argument("--orders", type=int, default=5000)
    ap.add_argument("--products", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--version", default="2025-07")
    ap.add_argument("--window-ms", type=int, default=1000)
    ap.add_argument("--currency", default="USD", help="the shop's currency (its orders' currency)")
    args = ap.parse_args(argv)
    state = fakebase.FakeState(args)
    server_data = Data(args.orders, args.products, args.seed, args.currency)

    srv = fakebase.FakeServer(("127.0.0.1", args.port), Handler)
    srv.state, srv.data, srv.token, srv.version = state, server_data, args.token, args.version
    fakebase.serve(srv)


if __name__ == "__main__":
    main()
