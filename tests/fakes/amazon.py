#!/usr/bin/env python3
"""A fake Amazon SP-API (Orders v0) with its Login with Amazon token endpoint
(shared/external-apis.md §7, §12) for the Amazon sync tests. Python stdlib
only.

    python3 tests/fakes/amazon.py --client-id ID --client-secret S
        [--refresh-token 'Atzr|fake-refresh'] [--orders 2000]
        [--marketplaces ATVPDKIKX0DER,A1F83G8C2ARO7P] [--seed 1]
        [--base-ms N] [--expires-in 3600] [--items-per-page 3] [--port 0]

Prints "ready <port>".
  POST /auth/o2/token  form (or JSON) grant_type=refresh_token&refresh_token=R
       &client_id=…&client_secret=… → {"access_token": "Atza|…" (≥ 350 chars),
       "token_type": "bearer", "expires_in": N, "refresh_token": R}. A wrong
       refresh token → 400 {"error": "invalid_grant", "error_description":
       …}; a wrong client → 401 invalid_client; another grant type → 400
       unsupported_grant_type. Not an API call: no faults, not counted in
       /_fake/stats (counted in /_fake/calls).
  GET /orders/v0/orders  MarketplaceIds (required, comma-separated, ≤ 50),
       exactly one of LastUpdatedAfter / CreatedAfter (ISO 8601), optional
       LastUpdatedBefore / CreatedBefore (≥ 2 min before now), OrderStatuses,
       MaxResultsPerPage (1–100, default 100), NextToken (opaque; the filters
       of the first page stay in force) → {"payload": {"Orders": […],
       "NextToken"?: …, "LastUpdatedBefore" | "CreatedBefore": …}}. Orders in
       LastUpdateDate order (then id).
  GET /orders/v0/orders/{id}/orderItems[?NextToken=…] → {"payload":
       {"AmazonOrderId", "OrderItems": […] (items-per-page each),
       "NextToken"?}}; unknown order → 404 NotFound.
  Both need x-amz-access-token: an issued, unexpired token, else 403
  {"errors": [{"code": "Unauthorized", …}]}. Bad parameters → 400
  {"errors": [{"code": "InvalidInput", "message": …}]}. Every answer carries
  x-amzn-RequestId; a 200 carries x-amzn-RateLimit-Limit (the operation's
  rate).

Rate limits: a token bucket per operation, off until configured with
POST /_fake/limits {"getOrders": {"rate": 0.0167, "burst": 20},
"getOrderItems": {"rate": 0.5, "burst": 30}} (any subset; {} turns them
off). An empty bucket answers 429 {"errors": [{"code": "QuotaExceeded",
"message": "You exceeded your quota for the requested resource.",
"details": ""}]} with x-amzn-RateLimit-Limit.

Faults: fakebase's /_fake/script, each fault optionally limited to one
operation with "op": "getOrders" | "getOrderItems". A status fault answers
Amazon's error document for that status (500 InternalFailure, 503
ServiceUnavailable, 429 QuotaExceeded, …) unless it gives "error_body";
{"body": "…"} answers a malformed page; {"truncate": true} cuts the real
page in half.

Data (deterministic from the seed and base time): orders spread round-robin
over the marketplaces, ids 3-7-7 ("111-1000000-…"), PurchaseDate base + i
min, LastUpdateDate a few seconds later; statuses mostly Shipped, some
Unshipped, every 10th Pending (no OrderTotal, items without prices), every
17th Canceled; 1–5 items each, SellerSKU "SKU-0000".. (every 13th item has
none), money as decimal strings in the marketplace's currency.
The base time defaults to midnight UTC 30 days ago, so every order is in
SP-API's two-year window.

Control API (besides fakebase's): POST /_fake/seed {"count", "seed"?,
"marketplaces"?, "base_ms"?} (replaces the data), POST /_fake/orders/add
{"count", "updated_ms"?, "marketplace"?}, POST /_fake/orders/touch {"ids":
[…], "updated_ms": N, "status"?: "Canceled" | …}, GET /_fake/orders (every
order with its items), GET /_fake/calls (calls per operation, tokens issued,
429s per operation), POST /_fake/expire_access (every issued access token
stops working).
"""
import argparse
import base64
import json
import random
import secrets
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fakebase  # noqa: E402

CURRENCIES = {"ATVPDKIKX0DER": "USD", "A2EUQ1WTGCTBG2": "CAD", "A1F83G8C2ARO7P": "GBP",
              "A1PA6795UKMFR9": "EUR", "A13V1IB3VIYZZH": "EUR", "A1VC38T7YXB528": "JPY"}
RATES = {"getOrders": "0.0167", "getOrderItems": "0.5"}
QUOTA = {"errors": [{"code": "QuotaExceeded",
                     "message": "You exceeded your quota for the requested resource.", "details": ""}]}
ERRORS = {500: ("InternalFailure", "We encountered an internal error. Please try again."),
          503: ("ServiceUnavailable", "Temporary overloading or maintenance of the server."),
          400: ("InvalidInput", "Invalid Input"),
          403: ("Unauthorized", "Access to requested resource is denied."),
          404: ("NotFound", "The resource specified does not exist.")}
STATUSES = ["PendingAvailability", "Pending", "Unshipped", "PartiallyShipped", "Shipped",
            "InvoiceUnconfirmed", "Canceled", "Unfulfillable"]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000.0))


def money(currency, cents):
    return {"CurrencyCode": currency, "Amount": f"{cents // 100}.{cents % 100:02d}"}


def error_doc(status, message=None):
    if status == 429:
        return QUOTA
    code, text = ERRORS.get(status, ("InternalFailure", "We encountered an internal error."))
    return {"errors": [{"code": code, "message": message or text, "details": ""}]}


def default_base_ms():
    day = 86400000
    return (int(time.time() * 1000) // day - 30) * day


class Data:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = {}
        self.reset()

    def reset(self):
        a = self.args
        with self.lock:
            self.tokens.clear()
            self.calls = {"token": 0, "getOrders": 0, "getOrderItems": 0}
            self.throttled = {"getOrders": 0, "getOrderItems": 0}
            self.limits = {}
            self.buckets = {}
            self.seed_orders(a.orders, a.seed, a.marketplaces.split(","), a.base_ms)

    def seed_orders(self, count, seed, marketplaces, base_ms):
        self.seed, self.marketplaces = seed, [m for m in marketplaces if m]
        self.base_ms = base_ms if base_ms is not None else default_base_ms()
        self.orders = []
        self.by_id = {}
        for i in range(count):
            self.add_order(self.marketplaces[i % len(self.marketplaces)], None)

    def add_order(self, marketplace, updated_ms):
        i = len(self.orders)
        rnd = random.Random(self.seed * 1000003 + i)
        currency = CURRENCIES.get(marketplace, "USD")
        status = ("Canceled" if i % 17 == 16 else "Pending" if i % 10 == 9 else
                  "Unshipped" if i % 7 == 3 else "Shipped")
        placed = self.base_ms + i * 60000
        region = 111 + (self.marketplaces.index(marketplace) if marketplace in self.marketplaces else 88)
        oid = f"{region:03d}-{1000000 + i:07d}-{rnd.randint(0, 9999999):07d}"
        items, total = [], 0
        for k in range(1 + i % 5):
            qty, unit = 1 + (i + k) % 3, rnd.randint(199, 9999)
            item = {"ASIN": f"B0{(i * 7 + k) % 97:08d}", "OrderItemId": f"{(i + 1) * 100 + k:014d}",
                    "Title": f"Item {(i * 7 + k) % 97}", "QuantityOrdered": qty,
                    "QuantityShipped": qty if status == "Shipped" else 0,
                    "ProductInfo": {"NumberOfItems": "1"}, "IsGift": "false", "ConditionId": "New"}
            if (i + k) % 13 != 12:
                item["SellerSKU"] = f"SKU-{(i * 7 + k) % 97:04d}"
            if status != "Pending":
                tax = unit * qty // 5
                item.update(ItemPrice=money(currency, unit * qty), ItemTax=money(currency, tax),
                            PromotionDiscount=money(currency, 0))
                total += unit * qty + tax
            items.append(item)
        order = {"AmazonOrderId": oid, "PurchaseDate": iso(placed),
                 "OrderStatus": status, "FulfillmentChannel": "MFN" if i % 3 else "AFN",
                 "SalesChannel": "Amazon.com", "MarketplaceId": marketplace,
                 "NumberOfItemsShipped": 0, "NumberOfItemsUnshipped": len(items),
                 "OrderType": "StandardOrder", "IsBusinessOrder": False, "IsPrime": i % 2 == 0,
                 "IsReplacementOrder": False}
        if status != "Pending":
            order["OrderTotal"] = money(currency, total)
        rec = {"order": order, "items": items, "placed_ms": placed}
        self.set_updated(rec, updated_ms if updated_ms is not None else placed + (i % 5) * 10000)
        self.orders.append(rec)
        self.by_id[oid] = rec

    @staticmethod
    def set_updated(rec, ms):
        rec["updated_ms"] = ms
        rec["order"]["LastUpdateDate"] = iso(ms)

    def take(self, op):
        """Takes a token from the operation's bucket; False (429) when empty."""
        lim = self.limits.get(op)
        if not lim:
            return True
        now = time.monotonic()
        level, at = self.buckets.get(op, (float(lim["burst"]), now))
        level = min(float(lim["burst"]), level + (now - at) * float(lim["rate"]))
        ok = level >= 1.0
        self.buckets[op] = (level - 1.0 if ok else level, now)
        if not ok:
            self.throttled[op] += 1
        return ok


def encode_token(doc):
    return base64.b64encode(json.dumps(doc, sort_keys=True).encode()).decode()


def decode_token(text):
    try:
        doc = json.loads(base64.b64decode(text.encode(), validate=True))
        return doc if isinstance(doc, dict) else None
    except Exception:  # noqa: BLE001 - any undecodable token is InvalidInput
        return None


class State(fakebase.FakeState):
    """fakebase's faults, each optionally for one operation ("op")."""

    def __init__(self, args):
        super().__init__(args)
        self.local = threading.local()

    def script(self, doc):
        for f in doc.get("faults", []):
            if "status" in f and "error_body" not in f:
                f["error_body"] = error_doc(int(f["status"]))
        super().script(doc)

    def next_fault(self):
        op = getattr(self.local, "op", None)
        with self.lock:
            for i, f in enumerate(self.faults):
                if f.get("op") in (None, op):
                    return self.faults.pop(i)
        return None


class Handler(fakebase.DataHandler):
    def dispatch(self, method):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/auth/o2/token":
            self.token(method, self.read_body())
            return
        self.state.local.op = "getOrderItems" if path.endswith("/orderItems") else "getOrders"
        super().dispatch(method)

    # ---- control ---------------------------------------------------------

    def control(self, method, path, doc, query):
        d = self.data
        with d.lock:
            if path == "/_fake/orders":
                return [dict(r["order"], OrderItems=r["items"]) for r in d.orders]
            if path == "/_fake/calls":
                return {"calls": dict(d.calls), "throttled": dict(d.throttled),
                        "tokens_issued": len(d.tokens)}
            if path == "/_fake/limits" and method == "POST":
                d.limits = {k: v for k, v in doc.items() if k in RATES}
                d.buckets = {}
                return {"limits": d.limits}
            if path == "/_fake/expire_access" and method == "POST":
                d.tokens.clear()
                return {"ok": True}
            if path == "/_fake/seed" and method == "POST":
                mks = doc.get("marketplaces", d.marketplaces)
                d.seed_orders(int(doc["count"]), int(doc.get("seed", d.seed)), mks, doc.get("base_ms"))
                return {"ok": True, "orders": len(d.orders)}
            if path == "/_fake/orders/add" and method == "POST":
                for _ in range(int(doc.get("count", 1))):
                    d.add_order(doc.get("marketplace", d.marketplaces[0]), doc.get("updated_ms"))
                return {"ok": True, "orders": len(d.orders)}
            if path == "/_fake/orders/touch" and method == "POST":
                return self.touch(doc)
        return None

    def touch(self, doc):
        n = 0
        for oid in doc.get("ids", []):
            rec = self.data.by_id.get(oid)
            if rec is None:
                continue
            if "status" in doc:
                rec["order"]["OrderStatus"] = doc["status"]
            self.data.set_updated(rec, int(doc["updated_ms"]))
            n += 1
        return {"ok": True, "touched": n}

    # ---- LWA ---------------------------------------------------------------

    def token(self, method, body):
        d, a = self.data, self.server.args
        if method != "POST":
            self.send(405, {"error": "invalid_request", "error_description": "POST only"})
            return
        ctype = self.headers.get("Content-Type", "")
        try:
            form = json.loads(body) if ctype.startswith("application/json") else {
                k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        except (ValueError, UnicodeDecodeError):
            form = {}
        with d.lock:
            d.calls["token"] += 1
        if form.get("grant_type") != "refresh_token":
            self.send(400, {"error": "unsupported_grant_type",
                            "error_description": "The authorization grant type is not supported by the authorization server"})
        elif form.get("client_id") != a.client_id or form.get("client_secret") != a.client_secret:
            self.send(401, {"error": "invalid_client",
                            "error_description": "Client authentication failed"})
        elif form.get("refresh_token") != a.refresh_token:
            self.send(400, {"error": "invalid_grant",
                            "error_description": "The request has an invalid grant parameter : refresh_token"})
        else:
            at = "Atza|" + secrets.token_urlsafe(300)
            with d.lock:
                d.tokens[at] = time.time() + a.expires_in
            self.send(200, {"access_token": at, "token_type": "bearer", "expires_in": a.expires_in,
                            "refresh_token": a.refresh_token})

    # ---- SP-API --------------------------------------------------------------

    def answer(self, method, url, body):
        d = self.data
        op = self.state.local.op
        hdr = {"x-amzn-RequestId": secrets.token_hex(16)}
        with d.lock:
            d.calls[op] += 1
            expiry = d.tokens.get(self.headers.get("x-amz-access-token") or "")
        if expiry is None or expiry < time.time():
            return 403, error_doc(403), hdr
        with d.lock:
            if not d.take(op):
                return 429, QUOTA, dict(hdr, **{"x-amzn-RateLimit-Limit": RATES[op]})
        if method != "GET":
            return 404, error_doc(404), hdr
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if parts[:3] != ["orders", "v0", "orders"]:
            return 404, error_doc(404), hdr
        if len(parts) == 3:
            status, out = self.get_orders(q)
        elif len(parts) == 5 and parts[4] == "orderItems":
            status, out = self.get_items(parts[3], q)
        else:
            return 404, error_doc(404), hdr
        if status == 200:
            hdr["x-amzn-RateLimit-Limit"] = RATES[op]
        return status, out, hdr

    @staticmethod
    def parse_time(q, key):
        if key not in q:
            return None
        try:
            if "T" not in q[key]:
                raise ValueError
            return fakebase.parse_iso_ms(q[key])
        except ValueError:
            raise ValueError(f"Invalid date/time field [{key[0].lower() + key[1:]}]")

    def filters(self, q):
        """The first page's filters from the query; ValueError with Amazon's message."""
        mks = [m for m in q.get("MarketplaceIds", "").split(",") if m]
        if not mks:
            raise ValueError("Missing required 'MarketplaceIds'")
        if len(mks) > 50:
            raise ValueError("MarketplaceIds: maximum 50")
        by_update = "LastUpdatedAfter" in q
        if by_update == ("CreatedAfter" in q):
            raise ValueError("Exactly one of CreatedAfter and LastUpdatedAfter is required")
        if by_update and ("CreatedBefore" in q):
            raise ValueError("CreatedBefore may not be set with LastUpdatedAfter")
        after = self.parse_time(q, "LastUpdatedAfter" if by_update else "CreatedAfter")
        before = self.parse_time(q, "LastUpdatedBefore" if by_update else "CreatedBefore")
        latest = int(time.time() * 1000) - 120000
        if before is not None and before > latest:
            raise ValueError("LastUpdatedBefore must be at least two minutes before now"
                             if by_update else "CreatedBefore must be at least two minutes before now")
        statuses = [s for s in q.get("OrderStatuses", "").split(",") if s]
        if any(s not in STATUSES for s in statuses):
            raise ValueError("Invalid OrderStatuses")
        return {"mks": mks, "by_update": by_update, "after": after,
                "before": before if before is not None else latest, "statuses": statuses}

    def get_orders(self, q):
        try:
            size = int(q.get("MaxResultsPerPage", "100"))
            if not 1 <= size <= 100:
                raise ValueError("MaxResultsPerPage must be between 1 and 100")
            if "NextToken" in q:
                if "MarketplaceIds" not in q:
                    raise ValueError("Missing required 'MarketplaceIds'")
                tok = decode_token(q["NextToken"])
                if tok is None or "f" not in tok:
                    raise ValueError("Invalid NextToken")
                f, last = tok["f"], tok["last"]
            else:
                f, last = self.filters(q), None
        except ValueError as e:
            return 400, error_doc(400, str(e))
        key = "updated_ms" if f["by_update"] else "placed_ms"
        d = self.data
        with d.lock:
            recs = [r for r in d.orders if r["order"]["MarketplaceId"] in f["mks"]
                    and f["after"] <= r[key] < f["before"]
                    and (not f["statuses"] or r["order"]["OrderStatus"] in f["statuses"])]
            recs.sort(key=lambda r: (r[key], r["order"]["AmazonOrderId"]))
            if last is not None:
                recs = [r for r in recs if (r[key], r["order"]["AmazonOrderId"]) > tuple(last)]
            chunk = recs[:size]
            payload = {"Orders": [json.loads(json.dumps(r["order"])) for r in chunk]}
        if len(recs) > size:
            tail = chunk[-1]
            payload["NextToken"] = encode_token({"f": f, "last": [tail[key], tail["order"]["AmazonOrderId"]]})
        payload["LastUpdatedBefore" if f["by_update"] else "CreatedBefore"] = iso(f["before"])
        return 200, {"payload": payload}

    def get_items(self, oid, q):
        per = self.server.args.items_per_page
        offset = 0
        if "NextToken" in q:
            tok = decode_token(q["NextToken"])
            if tok is None or tok.get("order") != oid or not isinstance(tok.get("offset"), int):
                return 400, error_doc(400, "Invalid NextToken")
            offset = tok["offset"]
        with self.data.lock:
            rec = self.data.by_id.get(oid)
            if rec is None:
                return 404, error_doc(404, f"Order {oid} not found")
            items = json.loads(json.dumps(rec["items"][offset:offset + per]))
            more = offset + per < len(rec["items"])
        payload = {"AmazonOrderId": oid, "OrderItems": items}
        if more:
            payload["NextToken"] = encode_token({"order": oid, "offset": offset + per})
        return 200, {"payload": payload}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--refresh-token", default="Atzr|fake-refresh")
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--marketplaces", default="ATVPDKIKX0DER")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--base-ms", type=int, default=None)
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--items-per-page", type=int, default=3)
    ap.add_argument("--window-ms", type=int, default=1000)
    args = ap.parse_args(argv)
    srv = fakebase.FakeServer(("127.0.0.1", args.port), Handler)
    srv.state, srv.data, srv.args = State(args), Data(args), args
    fakebase.serve(srv)


if __name__ == "__main__":
    main()
