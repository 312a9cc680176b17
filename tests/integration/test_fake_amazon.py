"""The fake Amazon SP-API itself (tests/fakes/amazon.py): the Amazon sync
tests are only as good as its fidelity to shared/external-apis.md §12.

Proves: LWA answers a refresh-token grant with an Atza| token and
expires_in, and refuses a wrong refresh token (400 invalid_grant) or client
(401 invalid_client), in form and JSON encodings; getOrders checks
x-amz-access-token, its required parameters and the two-minute rule, pages
with NextToken through every order exactly once in LastUpdateDate order,
keeps the first page's filters, and answers incremental LastUpdatedAfter
queries; getOrderItems pages with its own NextToken; per-operation token
buckets answer 429 with QuotaExceeded and x-amzn-RateLimit-Limit; scripted
faults hit only the operation they name; seeding is deterministic; calls
are counted.
"""
import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from sync_support import Fake

CLIENT_ID = "amzn1.application-oa2-client.test"
CLIENT_SECRET = "amzn-secret"
REFRESH = "Atzr|fake-refresh"
US, UK = "ATVPDKIKX0DER", "A1F83G8C2ARO7P"


@pytest.fixture
def fake():
    f = Fake("amazon", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
             "--orders", 250, "--marketplaces", f"{US},{UK}", "--base-ms", 1785542400000)
    yield f
    f.stop()


def call(fake, path, token=None, data=None, ctype=None):
    """(status, headers, json body) of one request."""
    headers = {}
    if token:
        headers["x-amz-access-token"] = token
    if ctype:
        headers["Content-Type"] = ctype
    req = urllib.request.Request(fake.url + path, data=data, headers=headers,
                                 method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"null")


def token(fake, refresh=REFRESH, client_id=CLIENT_ID, as_json=False):
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id,
            "client_secret": CLIENT_SECRET}
    if as_json:
        return call(fake, "/auth/o2/token", data=json.dumps(form).encode(),
                    ctype="application/json; charset=utf-8")
    return call(fake, "/auth/o2/token", data=urllib.parse.urlencode(form).encode(),
                ctype="application/x-www-form-urlencoded")


def access(fake):
    status, _, doc = token(fake)
    assert status == 200
    return doc["access_token"]


def orders_path(**q):
    return "/orders/v0/orders?" + urllib.parse.urlencode(q)


def test_lwa_token_endpoint(fake):
    status, _, doc = token(fake)
    assert status == 200
    assert doc["access_token"].startswith("Atza|") and len(doc["access_token"]) >= 350
    assert doc["token_type"] == "bearer" and doc["expires_in"] == 3600
    assert token(fake, as_json=True)[0] == 200
    status, _, doc = token(fake, refresh="Atzr|wrong")
    assert status == 400 and doc["error"] == "invalid_grant" and doc["error_description"]
    status, _, doc = token(fake, client_id="other")
    assert status == 401 and doc["error"] == "invalid_client"
    assert fake.get("/_fake/calls")["tokens_issued"] == 2


def test_orders_need_a_valid_access_token(fake):
    path = orders_path(MarketplaceIds=US, LastUpdatedAfter="2020-01-01T00:00:00Z")
    for tok in (None, "Atza|forged"):
        status, _, doc = call(fake, path, tok)
        assert status == 403 and doc["errors"][0]["code"] == "Unauthorized"
    tok = access(fake)
    assert call(fake, path, tok)[0] == 200
    fake.post("/_fake/expire_access")
    assert call(fake, path, tok)[0] == 403


def test_orders_parameters_are_checked(fake):
    tok = access(fake)
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30))
    bad = [dict(LastUpdatedAfter="2020-01-01T00:00:00Z"),
           dict(MarketplaceIds=US),
           dict(MarketplaceIds=US, LastUpdatedAfter="2020-01-01T00:00:00Z", CreatedAfter="2020-01-01T00:00:00Z"),
           dict(MarketplaceIds=US, LastUpdatedAfter="yesterday"),
           dict(MarketplaceIds=US, LastUpdatedAfter="2020-01-01T00:00:00Z", LastUpdatedBefore=soon),
           dict(MarketplaceIds=US, LastUpdatedAfter="2020-01-01T00:00:00Z", MaxResultsPerPage=101),
           dict(MarketplaceIds=US, NextToken="!!notatoken")]
    for q in bad:
        status, _, doc = call(fake, orders_path(**q), tok)
        assert status == 400, q
        assert doc["errors"][0]["code"] == "InvalidInput"


def test_orders_page_through_every_order_once(fake):
    tok = access(fake)
    q = dict(MarketplaceIds=f"{US},{UK}", LastUpdatedAfter="2020-01-01T00:00:00Z", MaxResultsPerPage=40)
    seen, pages, nxt = [], 0, None
    while True:
        status, headers, doc = call(fake, orders_path(**q, **({"NextToken": nxt} if nxt else {})), tok)
        assert status == 200
        assert headers["x-amzn-RateLimit-Limit"] == "0.0167" and headers["x-amzn-RequestId"]
        payload = doc["payload"]
        assert payload["LastUpdatedBefore"].endswith("Z")
        seen += payload["Orders"]
        pages += 1
        nxt = payload.get("NextToken")
        if not nxt:
            break
    assert pages == 7 and len(seen) == 250
    assert len({o["AmazonOrderId"] for o in seen}) == 250
    keys = [(o["LastUpdateDate"], o["AmazonOrderId"]) for o in seen]
    assert keys == sorted(keys)
    assert {o["MarketplaceId"] for o in seen} == {US, UK}
    statuses = {o["OrderStatus"] for o in seen}
    assert {"Shipped", "Unshipped", "Pending", "Canceled"} <= statuses
    for o in seen:
        assert ("OrderTotal" in o) == (o["OrderStatus"] != "Pending")
        if "OrderTotal" in o:
            assert o["OrderTotal"]["CurrencyCode"] == ("USD" if o["MarketplaceId"] == US else "GBP")
            assert isinstance(o["OrderTotal"]["Amount"], str)
    # one marketplace, incremental: only what changed since
    us = [o for o in seen if o["MarketplaceId"] == US]
    mark = us[-10]["LastUpdateDate"]
    status, _, doc = call(fake, orders_path(MarketplaceIds=US, LastUpdatedAfter=mark), tok)
    assert [o["AmazonOrderId"] for o in doc["payload"]["Orders"]] == [o["AmazonOrderId"] for o in us[-10:]]
    ids = [us[0]["AmazonOrderId"]]
    later = 1785542400000 + 400 * 60000
    assert fake.post("/_fake/orders/touch", {"ids": ids, "updated_ms": later, "status": "Canceled"})["touched"] == 1
    status, _, doc = call(fake, orders_path(MarketplaceIds=US, LastUpdatedAfter=us[-1]["LastUpdateDate"]), tok)
    last = doc["payload"]["Orders"][-1]
    assert last["AmazonOrderId"] == ids[0] and last["OrderStatus"] == "Canceled"


def test_next_token_keeps_the_first_filters(fake):
    tok = access(fake)
    q = dict(MarketplaceIds=UK, LastUpdatedAfter="2020-01-01T00:00:00Z", MaxResultsPerPage=100)
    doc = call(fake, orders_path(**q), tok)[2]
    nxt = doc["payload"]["NextToken"]
    # a different MarketplaceIds with the token still pages the first query
    doc2 = call(fake, orders_path(MarketplaceIds=US, NextToken=nxt), tok)[2]
    assert {o["MarketplaceId"] for o in doc2["payload"]["Orders"]} == {UK}
    assert len(doc["payload"]["Orders"]) + len(doc2["payload"]["Orders"]) == 125


def test_order_items_page_with_their_own_token(fake):
    tok = access(fake)
    orders = fake.get("/_fake/orders")
    five = next(o for o in orders if len(o["OrderItems"]) == 5 and o["OrderStatus"] == "Shipped")
    oid = five["AmazonOrderId"]
    status, headers, doc = call(fake, f"/orders/v0/orders/{oid}/orderItems", tok)
    assert status == 200 and headers["x-amzn-RateLimit-Limit"] == "0.5"
    first = doc["payload"]
    assert first["AmazonOrderId"] == oid and len(first["OrderItems"]) == 3
    path = f"/orders/v0/orders/{oid}/orderItems?" + urllib.parse.urlencode({"NextToken": first["NextToken"]})
    second = call(fake, path, tok)[2]["payload"]
    assert len(second["OrderItems"]) == 2 and "NextToken" not in second
    items = first["OrderItems"] + second["OrderItems"]
    assert items == five["OrderItems"]
    for it in items:
        assert {"ASIN", "OrderItemId", "QuantityOrdered", "ItemPrice"} <= set(it)
        assert isinstance(it["ItemPrice"]["Amount"], str)
    pending = next(o for o in orders if o["OrderStatus"] == "Pending")
    doc = call(fake, f"/orders/v0/orders/{pending['AmazonOrderId']}/orderItems", tok)[2]
    assert all("ItemPrice" not in it for it in doc["payload"]["OrderItems"])
    status, _, doc = call(fake, "/orders/v0/orders/999-0000000-0000000/orderItems", tok)
    assert status == 404 and doc["errors"][0]["code"] == "NotFound"


def test_rate_limits_per_operation(fake):
    tok = access(fake)
    fake.post("/_fake/limits", {"getOrders": {"rate": 0.0167, "burst": 2}})
    path = orders_path(MarketplaceIds=US, LastUpdatedAfter="2020-01-01T00:00:00Z", MaxResultsPerPage=1)
    assert call(fake, path, tok)[0] == 200
    assert call(fake, path, tok)[0] == 200
    status, headers, doc = call(fake, path, tok)
    assert status == 429
    assert headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert doc == {"errors": [{"code": "QuotaExceeded",
                               "message": "You exceeded your quota for the requested resource.",
                               "details": ""}]}
    oid = fake.get("/_fake/orders")[0]["AmazonOrderId"]
    assert call(fake, f"/orders/v0/orders/{oid}/orderItems", tok)[0] == 200
    fake.post("/_fake/limits", {"getOrderItems": {"rate": 20, "burst": 1}})
    assert call(fake, f"/orders/v0/orders/{oid}/orderItems", tok)[0] == 200
    assert call(fake, f"/orders/v0/orders/{oid}/orderItems", tok)[0] == 429
    time.sleep(0.1)
    assert call(fake, f"/orders/v0/orders/{oid}/orderItems", tok)[0] == 200
    calls = fake.get("/_fake/calls")
    assert calls["calls"]["getOrders"] == 3 and calls["calls"]["getOrderItems"] == 4
    assert calls["throttled"] == {"getOrders": 1, "getOrderItems": 1}


def test_faults_hit_the_operation_they_name(fake):
    tok = access(fake)
    oid = fake.get("/_fake/orders")[0]["AmazonOrderId"]
    items = f"/orders/v0/orders/{oid}/orderItems"
    path = orders_path(MarketplaceIds=US, LastUpdatedAfter="2020-01-01T00:00:00Z")
    fake.script({"op": "getOrderItems", "status": 500},
                {"op": "getOrders", "body": "{\"payload\":{\"Orders\":{}}}"},
                {"op": "getOrders", "status": 503})
    assert call(fake, path, tok)[2] == {"payload": {"Orders": {}}}
    status, _, doc = call(fake, path, tok)
    assert status == 503 and doc["errors"][0]["code"] == "ServiceUnavailable"
    assert call(fake, path, tok)[0] == 200
    status, _, doc = call(fake, items, tok)
    assert status == 500 and doc["errors"][0]["code"] == "InternalFailure"
    assert call(fake, items, tok)[0] == 200


def test_seeding_is_deterministic(fake):
    first = fake.get("/_fake/orders")
    assert fake.post("/_fake/seed", {"count": 2000, "seed": 7})["orders"] == 2000
    big = fake.get("/_fake/orders")
    fake.post("/_fake/seed", {"count": 2000, "seed": 7})
    assert fake.get("/_fake/orders") == big
    fake.post("/_fake/reset")
    assert fake.get("/_fake/orders") == first
    fake.post("/_fake/orders/add", {"count": 3, "marketplace": UK})
    assert len(fake.get("/_fake/orders")) == 253
