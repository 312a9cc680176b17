#!/usr/bin/env python3
"""A fake Unleashed inventory API (shared/external-apis.md §6). Python stdlib
only.

    python3 tests/fakes/unleashed.py --api-id ID --api-key KEY [--port 0]
        [--products 30] [--orders 40]

Prints "ready <port>" ($FAKE_UNLEASHED_API_KEY may replace --api-key). Paged
resources, the page number in the path:
  GET /StockOnHand/{page}, /Products/{page}, /PurchaseOrders/{page},
      /SalesOrders/{page}  (?pageSize=1..1000, default 200; modifiedSince=
      YYYY-MM-DD[THH:MM:SS])
Headers api-auth-id must be the API id and api-auth-signature must be
base64(HMAC-SHA256(API key, the query string as sent)) — "" when there is
none — else 403 (Unleashed answers a bad signature with a bare 403).
Answers {"Pagination": {"NumberOfItems", "PageSize", "PageNumber",
"NumberOfPages"}, "Items": [...]}, dates "/Date(ms)/", decimal quantities.
Control API (besides fakebase's): GET /_fake/data (every record),
GET /_fake/signatures (the last requests' query and whether they verified).
"""
import argparse
import base64
import hashlib
import hmac
import os
import random
import sys
import urllib.parse

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fakebase  # noqa: E402

BASE_MS = 1704067200000


def sign(key, query):
    return base64.b64encode(hmac.new(key.encode(), query.encode(), hashlib.sha256).digest()).decode()


class Data(fakebase.SeededData):

    def reset(self):
        a, rnd = self.args, random.Random(self.args.seed)
        D = fakebase.ms_date
        with self.lock:
            self.signatures = []
            self.products = [{"Guid": fakebase.guid(rnd), "ProductCode": f"UL-{i:04d}",
                              "ProductDescription": f"Widget {i}", "DefaultSellPrice": 10 + i * 0.25,
                              "AverageLandPrice": round(4 + i * 0.125, 4), "IsObsoleted": i % 10 == 9,
                              "LastModifiedOn": D(BASE_MS + i * 1000, False), "ms": BASE_MS + i * 1000}
                             for i in range(a.products)]
            self.stock = []
            for i, p in enumerate(self.products):
                for wh in ("MAIN", "WEST"):
                    self.stock.append({"Guid": fakebase.guid(rnd), "ProductGuid": p["Guid"], "ProductCode": p["ProductCode"],
                                       "ProductDescription": p["ProductDescription"], "Warehouse": wh.title(),
                                       "WarehouseCode": wh, "QtyOnHand": round(rnd.randint(0, 5000) / 10, 1),
                                       "AllocatedQty": 0.0, "AvailableQty": 0.0, "AvgCost": p["AverageLandPrice"],
                                       "LastModifiedOn": D(BASE_MS + i * 1000, False), "ms": BASE_MS + i * 1000})
            self.purchase_orders, self.sales_orders = [], []
            for i in range(a.orders):
                p = self.products[i % len(self.products)]
                qty = 5 + i % 7
                self.purchase_orders.append({
                    "Guid": fakebase.guid(rnd), "OrderNumber": f"PO-{i:05d}", "OrderStatus": "Complete" if i % 3 == 0 else "Placed",
                    "OrderDate": D(BASE_MS - i * 86400000, False), "RequiredDate": D(BASE_MS + 7 * 86400000, False),
                    "CompletedDate": D(BASE_MS, False) if i % 3 == 0 else None,
                    "Supplier": {"SupplierCode": f"SUP{i % 4}", "SupplierName": f"Supplier {i % 4}"},
                    "Warehouse": {"WarehouseCode": "MAIN"}, "Currency": {"CurrencyCode": "GBP"}, "ExchangeRate": 1.0,
                    "SubTotal": qty * 4.5, "TaxTotal": round(qty * 0.9, 2), "Total": round(qty * 5.4, 2),
                    "PurchaseOrderLines": [{"LineNumber": 1, "Product": {"ProductCode": p["ProductCode"], "Guid": p["Guid"]},
                                            "OrderQuantity": qty, "ReceiptQuantity": qty if i % 3 == 0 else 0,
                                            "UnitPrice": 4.5, "LineTotal": qty * 4.5,
                                            "DueDate": D(BASE_MS + 7 * 86400000, False)}],
                    "LastModifiedOn": D(BASE_MS + i * 1000, False), "ms": BASE_MS + i * 1000})
                self.sales_orders.append({
                    "Guid": fakebase.guid(rnd), "OrderNumber": f"SO-{i:05d}",
                    "OrderStatus": ["Placed", "Completed", "Parked", "Deleted"][i % 4],
                    "OrderDate": D(BASE_MS - i * 3600000, False), "Customer": {"CustomerCode": f"CUST{i % 5}"},
                    "Currency": {"CurrencyCode": "GBP"}, "SubTotal": 12.5, "TaxTotal": 2.5, "Total": 15.0,
                    "SalesOrderLines": [{"LineNumber": 1, "Product": {"ProductCode": p["ProductCode"], "Guid": p["Guid"],
                                                                      "ProductDescription": p["ProductDescription"]},
                                         "OrderQuantity": 2.5, "UnitPrice": 5.0, "LineTotal": 12.5}],
                    "LastModifiedOn": D(BASE_MS + i * 1000, False), "ms": BASE_MS + i * 1000})

    def table(self, name):
        return {"StockOnHand": self.stock, "Products": self.products,
                "PurchaseOrders": self.purchase_orders, "SalesOrders": self.sales_orders}.get(name)


class Handler(fakebase.DataHandler):
    def control(self, method, path, doc, query):
        d = self.data
        with d.lock:
            if path == "/_fake/data":
                strip = lambda rs: [{k: v for k, v in r.items() if k != "ms"} for r in rs]  # noqa: E731
                return {"StockOnHand": strip(d.stock), "Products": strip(d.products),
                        "PurchaseOrders": strip(d.purchase_orders), "SalesOrders": strip(d.sales_orders)}
            if path == "/_fake/signatures":
                return list(d.signatures)
        return None

    def answer(self, method, url, body):
        a, d = self.server.args, self.data
        query = url.query
        # Unleashed verifies the decoded query string (external-apis §6)
        decoded = urllib.parse.unquote(query)
        ok = (self.headers.get("api-auth-id") == a.api_id and
              hmac.compare_digest(self.headers.get("api-auth-signature", ""), sign(a.api_key, decoded)))
        with d.lock:
            d.signatures.append({"query": decoded, "ok": ok})
        if not ok:
            return 403, b"", {}
        parts = [p for p in url.path.split("/") if p]
        if method != "GET" or not parts:
            return 404, {"description": "Not found"}, {}
        page = 1
        if len(parts) == 2 and parts[1].isdigit():
            page = int(parts[1])
        elif len(parts) != 1:
            return 404, {"description": "Not found"}, {}
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        size = int(q.get("pageSize", "200"))
        if size < 1 or size > 1000:
            return 400, {"description": "pageSize must be 1-1000"}, {}
        with d.lock:
            recs = d.table(parts[0])
            if recs is None:
                return 404, {"description": "Not found"}, {}
            sel = list(recs)
            if "modifiedSince" in q:
                since = fakebase.parse_iso_ms(q["modifiedSince"])
                sel = [r for r in sel if r["ms"] >= since]
            n = len(sel)
            pages = -(-n // size) if n else 0
            items = [{k: v for k, v in r.items() if k != "ms"} for r in sel[(page - 1) * size: page * size]]
        return 200, {"Pagination": {"NumberOfItems": n, "PageSize": size, "PageNumber": page,
                                    "NumberOfPages": pages}, "Items": items}, {}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-id", required=True)
    # the secret may come from $FAKE_UNLEASHED_API_KEY instead: a command line is public
    ap.add_argument("--api-key", default=os.environ.get("FAKE_UNLEASHED_API_KEY"),
                    required="FAKE_UNLEASHED_API_KEY" not in os.environ)
    ap.add_argument("--products", type=int, default=30)
    ap.add_argument("--orders", type=int, default=40)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--window-ms", type=int, default=60000)
    args = ap.parse_args(argv)
    srv = fakebase.FakeServer(("127.0.0.1", args.port), Handler)
    srv.state, srv.data, srv.args = fakebase.FakeState(args), Data(args), args
    fakebase.serve(srv)


if __name__ == "__main__":
    main()
