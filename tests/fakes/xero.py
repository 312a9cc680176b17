#!/usr/bin/env python3
"""A fake Xero: the OAuth2 token endpoint with refresh-token rotation and the
Accounting API's Invoices and Contacts (shared/external-apis.md §5). Python
stdlib only.

    python3 tests/fakes/xero.py --client-id ID --client-secret S --tenant T
        [--refresh-token rt-initial] [--invoices 300] [--contacts 50]
        [--grace-ms 1800000] [--expires-in 1800] [--port 0]

Prints "ready <port>" ($FAKE_XERO_CLIENT_SECRET may replace --client-secret).
  POST /connect/token  Basic client_id:client_secret, form
       grant_type=refresh_token&refresh_token=R. R must be the current
       refresh token, or the one before it within the grace window (Xero's
       30 minutes); the answer rotates: {"access_token", "expires_in",
       "token_type": "Bearer", "refresh_token": <new>, "scope"}. Anything else
       → 400 {"error": "invalid_grant"}; bad client → 400 invalid_client.
  GET /api.xro/2.0/Invoices?page=N&pageSize=P&order=…  (If-Modified-Since)
  GET /api.xro/2.0/Invoices/{id}, /Contacts, /Contacts/{id}
       Authorization: Bearer <an unexpired issued access token>, else 401;
       xero-tenant-id must be the tenant, else 403. Pages of pageSize
       (default 100); records ordered by UpdatedDateUTC; dates are
       "/Date(ms+0000)/", amounts are JSON numbers.
Control API (besides fakebase's): GET /_fake/invoices, /_fake/contacts,
/_fake/tokens (current and previous refresh token, refresh count),
POST /_fake/token_delay {"ms": N} (the answer waits AFTER the rotation: a
worker killed meanwhile never learns the new refresh token), POST /_fake/invoices/touch {"ids": [...],
"updated_ms": N, "total": 12.5}, POST /_fake/expire_access (every issued
access token stops working).
"""
import argparse
import base64
import os
import random
import sys
import time
import urllib.parse

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fakebase  # noqa: E402

BASE_MS = 1704067200000


class Data(fakebase.SeededData):

    def reset(self):
        a = self.args
        rnd = random.Random(a.seed)
        with self.lock:
            self.refresh_current = a.refresh_token
            self.refresh_previous = None
            self.previous_until = 0
            self.refreshes = 0
            self.access = {}
            self.token_delay_ms = 0
            self.contacts = []
            for i in range(a.contacts):
                self.contacts.append({"ContactID": fakebase.guid(rnd), "Name": f"Contact {i}",
                                      "EmailAddress": f"c{i}@example.com", "ContactStatus": "ACTIVE",
                                      "IsCustomer": i % 2 == 0, "IsSupplier": i % 2 == 1,
                                      "updated_ms": BASE_MS + i * 1000})
            self.invoices = []
            for i in range(a.invoices):
                c = self.contacts[i % len(self.contacts)] if self.contacts else None
                sub = rnd.randint(100, 500000) / 100
                tax = round(sub * 0.2, 2)
                self.invoices.append({
                    "InvoiceID": fakebase.guid(rnd), "Type": "ACCREC" if i % 3 else "ACCPAY",
                    "InvoiceNumber": f"INV-{i:05d}", "Status": "AUTHORISED" if i % 4 else "PAID",
                    "Contact": {"ContactID": c["ContactID"], "Name": c["Name"]} if c else None,
                    "CurrencyCode": "GBP" if i % 5 else "EUR", "CurrencyRate": 1.0 if i % 5 else 1.1637254902,
                    "SubTotal": sub, "TotalTax": tax, "Total": round(sub + tax, 2),
                    "AmountDue": round(sub + tax, 2) if i % 4 else 0.0,
                    "AmountPaid": 0.0 if i % 4 else round(sub + tax, 2), "AmountCredited": 0.0,
                    "date_ms": BASE_MS - 86400000 * (i % 60), "updated_ms": BASE_MS + i * 1000,
                    "LineItems": [{"Description": "Goods", "Quantity": 1.0, "UnitAmount": sub}]})

    def render_invoice(self, inv):
        out = {k: v for k, v in inv.items() if not k.endswith("_ms")}
        out["Date"] = fakebase.ms_date(inv["date_ms"])
        out["DueDate"] = fakebase.ms_date(inv["date_ms"] + 30 * 86400000)
        out["DateString"] = time.strftime("%Y-%m-%dT00:00:00", time.gmtime(inv["date_ms"] / 1000))
        if inv["Status"] == "PAID":
            out["FullyPaidOnDate"] = fakebase.ms_date(inv["date_ms"] + 86400000)
        out["UpdatedDateUTC"] = fakebase.ms_date(inv["updated_ms"])
        return out

    def render_contact(self, c):
        out = {k: v for k, v in c.items() if not k.endswith("_ms")}
        out["UpdatedDateUTC"] = fakebase.ms_date(c["updated_ms"])
        return out


class Handler(fakebase.DataHandler):
    def control(self, method, path, doc, query):
        d = self.data
        with d.lock:
            if path == "/_fake/invoices":
                return [d.render_invoice(i) for i in d.invoices]
            if path == "/_fake/contacts":
                return [d.render_contact(c) for c in d.contacts]
            if path == "/_fake/tokens":
                return {"current": d.refresh_current, "previous": d.refresh_previous,
                        "refreshes": d.refreshes, "access_tokens": len(d.access)}
            if path == "/_fake/token_delay" and method == "POST":
                d.token_delay_ms = int(doc.get("ms", 0))
                return {"ok": True}
            if path == "/_fake/expire_access" and method == "POST":
                d.access.clear()
                return {"ok": True}
            if path == "/_fake/invoices/touch" and method == "POST":
                ids = set(doc.get("ids", []))
                for inv in d.invoices:
                    if inv["InvoiceID"] in ids:
                        inv["updated_ms"] = doc["updated_ms"]
                        if "total" in doc:
                            inv["Total"] = doc["total"]
                return {"ok": True}
        return None

    def dispatch(self, method):
        # the token endpoint is not an Accounting API call: no faults, no counting
        if urllib.parse.urlsplit(self.path).path == "/connect/token":
            self.token(self.read_body())
            return
        super().dispatch(method)

    def token(self, body):
        a, d = self.server.args, self.data
        auth = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(f"{a.client_id}:{a.client_secret}".encode()).decode()
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        if auth != want:
            self.send(400, {"error": "invalid_client"})
            return
        if form.get("grant_type") != "refresh_token":
            self.send(400, {"error": "unsupported_grant_type"})
            return
        rt = form.get("refresh_token")
        now = time.time() * 1000
        with d.lock:
            ok = rt == d.refresh_current or (rt == d.refresh_previous and now < d.previous_until)
            if not ok:
                self.send(400, {"error": "invalid_grant"})
                return
            d.refreshes += 1
            new_rt = f"rt-{d.refreshes}-{random.getrandbits(32):08x}"
            if rt == d.refresh_current:
                d.refresh_previous, d.previous_until = d.refresh_current, now + a.grace_ms
            d.refresh_current = new_rt
            at = f"at-{d.refreshes}-{random.getrandbits(64):016x}"
            d.access[at] = now + a.expires_in * 1000
            delay = d.token_delay_ms
        if delay:  # rotated already: a client killed now never learns the new token
            time.sleep(delay / 1000.0)
        self.send(200, {"access_token": at, "expires_in": a.expires_in, "token_type": "Bearer",
                        "refresh_token": new_rt, "scope": "accounting.transactions offline_access"})

    def answer(self, method, url, body):
        a, d = self.server.args, self.data
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with d.lock:
            valid = token is not None and d.access.get(token, 0) > time.time() * 1000
        if not valid:
            return 401, {"Type": None, "Title": "Unauthorized", "Status": 401,
                         "Detail": "AuthenticationUnsuccessful"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if self.headers.get("xero-tenant-id") != a.tenant:
            return 403, {"Type": None, "Title": "Forbidden", "Status": 403,
                         "Detail": "AuthorizationUnsuccessful"}, {}
        prefix = "/api.xro/2.0/"
        if method != "GET" or not url.path.startswith(prefix):
            return 404, {"Message": "The resource you're looking for cannot be found"}, {}
        parts = url.path[len(prefix):].split("/")
        kind = parts[0]
        if kind not in ("Invoices", "Contacts"):
            return 404, {"Message": "The resource you're looking for cannot be found"}, {}
        with d.lock:
            recs = d.invoices if kind == "Invoices" else d.contacts
            render = d.render_invoice if kind == "Invoices" else d.render_contact
            key = "InvoiceID" if kind == "Invoices" else "ContactID"
            if len(parts) == 2:
                for r in recs:
                    if r[key] == parts[1]:
                        return 200, {kind: [render(r)]}, {}
                return 404, {"Message": "The resource you're looking for cannot be found"}, {}
            q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
            page = int(q.get("page", "1"))
            size = int(q.get("pageSize", "100"))
            since = self.headers.get("If-Modified-Since")
            sel = list(recs)
            if since:
                sel = [r for r in sel if r["updated_ms"] >= fakebase.parse_iso_ms(since)]
            sel.sort(key=lambda r: (r["updated_ms"], r[key]))
            chunk = [render(r) for r in sel[(page - 1) * size: page * size]]
        d_served = self.server.served
        d_served[kind] = d_served.get(kind, 0) + len(chunk)
        doc = {"Id": "fake", "Status": "OK", "ProviderName": "Sentia", "DateTimeUTC": fakebase.ms_date(time.time() * 1000),
               "pagination": {"page": page, "pageSize": size, "pageCount": max(1, -(-len(sel) // size)),
                              "itemCount": len(sel)}, kind: chunk}
        return 200, doc, {"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "4999"}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--client-id", required=True)
    # the secret may come from $FAKE_XERO_CLIENT_SECRET instead: a command line is public
    ap.add_argument("--client-secret", default=os.environ.get("FAKE_XERO_CLIENT_SECRET"),
                    required="FAKE_XERO_CLIENT_SECRET" not in os.environ)
    ap.add_argument("--tenant", required=True)
    ap.add_argument("--refresh-token", default="rt-initial")
    ap.add_argument("--invoices", type=int, default=300)
    ap.add_argument("--contacts", type=int, default=50)
    ap.add_argument("--grace-ms", type=int, default=1800000)
    ap.add_argument("--expires-in", type=int, default=1800)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--window-ms", type=int, default=60000)
    args = ap.parse_args(argv)
    srv = fakebase.FakeServer(("127.0.0.1", args.port), Handler)
    srv.state, srv.data, srv.args, srv.served = fakebase.FakeState(args), Data(args), args, {}
    fakebase.serve(srv)


if __name__ == "__main__":
    main()
