"""sentia-api webhooks through the real HTTP path against real Redis
(DESIGN.md §5, external-apis.md §1-3, §5.4): every provider's happy path and
job shape, the published vectors (Shopify, Xero) end to end, tampering and
missing headers answered with the documented status and nothing queued,
duplicates answered 200 with X-Sentia-Duplicate and queued once (also when
100 arrive at once), unconfigured sources refused with 503.
"""
import concurrent.futures
import hashlib
import json
import urllib.parse

import pytest

from apiutil import (FORM, INBOUND, SHOPIFY_SECRET, STATUS, TWILIO_TOKEN, hmac_b64, inbound_params, metric, ready_jobs,
                     start_api, twilio_signature)


@pytest.fixture
def api(services, prefix):
    a = start_api(services, prefix)
    yield a
    a.stop()


def test_signer_reproduces_published_twilio_vectors():
    """The signer every Twilio test here uses is the published algorithm: it
    reproduces twilio-node's vectors (external-apis.md §1.1). The vectors'
    own URL path (/myapp.php) is not a route of ours, so through the real
    server they run as unit tests (tests/api/test_twilio.c)."""
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature("12345", url.replace(".com/", ".com:443/"), params) == "kvajT1Ptam85bY51eRf/AJRuM3w="
    assert twilio_signature("12345", "http://mycompany.com:80/myapp.php?foo=1&bar=2", params) == \
        "0ZXoZLH/DfblKGATFgpif+LLRf4="
    assert twilio_signature("12345", "http://mycompany.com:1234/myapp.php?foo=1&bar=2", params) == \
        "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
    body = b'{"property": "value", "boolean": true}'
    assert hashlib.sha256(body).hexdigest() == "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    assert twilio_signature("12345", url + "&bodySHA256=" + hashlib.sha256(body).hexdigest(), {}) == \
        "a9nBmqA0ju/hNViExpshrM61xv4="


def test_twilio_inbound_queues_every_field(api, redis, prefix):
    params = inbound_params("SM" + "a" * 32, body="Olá  spaced  ")
    params["Extra+Key"] = "x&y=z"
    status, headers, body = api.post_twilio(params, headers={"X-Request-Id": "req-twilio-1"})
    assert status == 200, body
    assert headers["content-type"].startswith("text/xml")
    assert body == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert "x-sentia-duplicate" not in headers
    [job] = ready_jobs(redis, prefix)
    assert job["type"] == "whatsapp.inbound" and job["queue"] == "webhooks"
    assert job["dedup_key"] == "twilio:SM" + "a" * 32
    assert job["request_id"] == "req-twilio-1" and headers["x-request-id"] == "req-twilio-1"
    assert job["payload"] == params  # decoded, untrimmed, all fields as strings
    assert job["max_attempts"] == 20 and job["attempt"] == 0
    assert "webhooks" in redis.smembers(f"{prefix}:queues")


def test_twilio_status_callback(api, redis, prefix):
    sid = "SM" + "b" * 32
    p = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC1", "To": "whatsapp:+1555"}
    assert api.post_twilio(p, path=STATUS)[0] == 200
    p2 = dict(p, MessageStatus="read")
    assert api.post_twilio(p2, path=STATUS)[0] == 200
    status, headers, _ = api.post_twilio(p, path=STATUS)
    assert status == 200 and headers["x-sentia-duplicate"] == "1"
    jobs = ready_jobs(redis, prefix)
    assert [j["dedup_key"] for j in jobs] == [f"twilio-status:{sid}:delivered", f"twilio-status:{sid}:read"]
    assert all(j["type"] == "whatsapp.status" for j in jobs)
    missing = {"MessageSid": sid}
    assert api.post_twilio(missing, path=STATUS)[0] == 400


def test_twilio_duplicate_answers_200_and_queues_once(api, redis, prefix):
    p = inbound_params("SM" + "c" * 32)
    first = api.post_twilio(p)
    second = api.post_twilio(p)
    assert first[0] == second[0] == 200
    assert second[1]["x-sentia-duplicate"] == "1" and second[2] == first[2]
    assert len(ready_jobs(redis, prefix)) == 1


def test_twilio_rejections_queue_nothing(api, redis, prefix):
    p = inbound_params("SM" + "d" * 32)
    body = urllib.parse.urlencode(p)
    good = twilio_signature(TWILIO_TOKEN, api.base_url + INBOUND, p)
    cases = [
        # missing signature → 400
        ({"Content-Type": FORM}, body, INBOUND, 400, "missing_signature"),
        # wrong secret → 403
        ({"Content-Type": FORM, "X-Twilio-Signature": twilio_signature("other", api.base_url + INBOUND, p)},
         body, INBOUND, 403, "invalid_signature"),
        # tampered body → 403
        ({"Content-Type": FORM, "X-Twilio-Signature": good}, body.replace("hello", "hellO"), INBOUND,
         403, "invalid_signature"),
        # tampered URL (query added after signing) → 403
        ({"Content-Type": FORM, "X-Twilio-Signature": good}, body, INBOUND + "?x=1", 403,
         "invalid_signature"),
        # wrong content type → 415
        ({"Content-Type": "text/plain", "X-Twilio-Signature": good}, body, INBOUND, 415,
         "unsupported_media_type"),
        # malformed escape → 400
        ({"Content-Type": FORM, "X-Twilio-Signature": good}, body + "&x=%zz", INBOUND, 400,
         "invalid_body"),
    ]
    for headers, b, path, want, code in cases:
        status, h, resp = api.request("POST", path, b, headers)
        assert status == want, (code, resp)
        err = json.loads(resp)["error"]
        assert err["code"] == code and err["request_id"] == h["x-request-id"] and err["message"]
    no_sid = {k: v for k, v in p.items() if k != "MessageSid"}
    assert api.post_twilio(no_sid)[0] == 400
    assert ready_jobs(redis, prefix) == []
    ms = api.metrics()
    assert metric(ms, "sentia_webhook_rejections_total", source="twilio", reason="invalid_signature") == 3
    assert metric(ms, "sentia_webhook_rejections_total", source="twilio", reason="missing_signature") == 1
    logs = "\n".join(json.dumps(r) for r in api.service.logs())
    assert TWILIO_TOKEN not in logs and "hellO" not in logs


def test_twilio_port_variants_and_query(api, redis, prefix):
    """Signed with the port stripped, or with the query string: both accepted."""
    p = inbound_params("SM" + "e" * 32)
    no_port = api.base_url.replace(f":{api.port}", "") + INBOUND
    assert api.post_twilio(p, url=no_port)[0] == 200
    p2 = inbound_params("SM" + "f" * 32)
    path = INBOUND + "?channel=wa&x=%27q%27"
    status, _, _ = api.post_twilio(p2, path=path, url=api.base_url + path)
    assert status == 200
    assert len(ready_jobs(redis, prefix)) == 2


def test_twilio_json_body_with_body_sha256(api, redis, prefix):
    raw = json.dumps({"MessageSid": "SM" + "9" * 32, "Body": "json"}).encode()
    digest = hashlib.sha256(raw).hexdigest()
    path = f"{INBOUND}?bodySHA256={digest}"
    sig = twilio_signature(TWILIO_TOKEN, api.base_url + path, {})
    h = {"Content-Type": "application/json", "X-Twilio-Signature": sig}
    assert api.request("POST", path, raw, h)[0] == 200
    assert api.request("POST", path, raw.replace(b"json", b"JSON"), h)[0] == 403
    [job] = ready_jobs(redis, prefix)
    assert job["payload"] == {"MessageSid": "SM" + "9" * 32, "Body": "json"}


def test_same_message_sid_100_concurrent_gives_one_job(api, redis, prefix):
    p = inbound_params("SM" + "1" * 32)
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        results = list(ex.map(lambda _: api.post_twilio(p), range(100)))
    assert all(r[0] == 200 for r in results)
    assert sum(1 for r in results if "x-sentia-duplicate" not in r[1]) == 1
    assert len(ready_jobs(redis, prefix)) == 1
    assert int(redis.hget(f"{prefix}:{{webhooks}}:stats", "deduped")) == 99


def test_shopify_published_vector_end_to_end(api, redis, prefix):
    """external-apis.md §3.2: secret test_secret_key, body {"foo": "bar"}."""
    body = '{"foo": "bar"}'
    status, headers, resp = api.post_shopify(body, sig="B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=",
                                             extra={"X-Shopify-Event-Id": "ev-1",
                                                    "X-Shopify-Triggered-At": "2025-01-01T00:00:00Z"})
    assert status == 200, resp
    doc = json.loads(resp)
    assert doc["status"] == "queued"
    [job] = ready_jobs(redis, prefix)
    assert job["id"] == doc["ids"][0]
    content = hashlib.sha256(b"orders/create\0shop.myshopify.com\0" + body.encode()).hexdigest()
    assert job["type"] == "shopify.orders_create" and job["dedup_key"] == "shopify:default:" + content
    assert job["payload"] == {"store": "default", "raw": body, "shop_domain": "shop.myshopify.com", "topic": "orders/create",
                              "webhook_id": "wh-1", "event_id": "ev-1",
                              "triggered_at": "2025-01-01T00:00:00Z", "api_version": "2025-07"}


def test_shopify_keeps_raw_body_and_nulls(api, redis, prefix):
    body = '{"id": 820982911946154508, "total_price": "598.94", "note": "h\\u00e9"}'
    status, _, _ = api.post_shopify(body, topic="inventory_levels/update", webhook_id="wh-big",
                                    extra={"X-Shopify-API-Version": "2025-07"})
    assert status == 200
    [job] = ready_jobs(redis, prefix)
    assert job["type"] == "shopify.inventory_levels_update"
    assert job["payload"]["raw"] == body
    assert job["payload"]["event_id"] is None and job["payload"]["triggered_at"] is None
    status, headers, resp = api.post_shopify(body, topic="inventory_levels/update", webhook_id="wh-big")
    assert status == 200 and headers["x-sentia-duplicate"] == "1"
    assert json.loads(resp)["status"] == "duplicate"
    assert len(ready_jobs(redis, prefix)) == 1


def test_shopify_rejections_queue_nothing(api, redis, prefix):
    body = '{"id": 1}'
    assert api.post_shopify(body, sig=False)[0] == 401
    assert api.post_shopify(body, secret="wrong")[0] == 401
    assert api.post_shopify(body, sig="not base64 at all")[0] == 401
    tampered_sig = hmac_b64(SHOPIFY_SECRET, b'{"id": 2}')
    assert api.post_shopify(body, sig=tampered_sig)[0] == 401
    assert api.post_shopify(body, topic="orders")[0] == 400
    assert api.post_shopify(body, topic="Orders/Create")[0] == 400
    assert api.post_shopify(body, webhook_id="")[0] == 400
    assert api.post_shopify(body, webhook_id="w" * 300)[0] == 400
    status, _, resp = api.post_shopify('{"id": 1,')
    assert status == 400 and json.loads(resp)["error"]["code"] == "invalid_body"
    assert api.post_shopify("[1,2]")[0] == 400
    assert ready_jobs(redis, prefix) == []
    ms = api.metrics()
    assert metric(ms, "sentia_webhook_rejections_total", source="shopify", reason="invalid_signature") == 3


def test_shopify_delivery_without_webhook_id_is_queued(api, redis, prefix):
    # external-apis §11.6: a compliance delivery may come without X-Shopify-Webhook-Id;
    # the HMAC and the topic are what a verifier requires, dedup is by content.
    body = '{"shop_id": 1, "shop_domain": "shop.myshopify.com"}'
    status, headers, _ = api.post_shopify(body, topic="shop/redact", webhook_id=None)
    assert status == 200
    jobs = ready_jobs(redis, prefix)
    assert len(jobs) == 1 and jobs[0]["type"] == "privacy.shop_redact"
    assert jobs[0]["payload"]["webhook_id"] is None
    status, headers, _ = api.post_shopify(body, topic="shop/redact", webhook_id=None)
    assert status == 200 and len(ready_jobs(redis, prefix)) == 1


def test_xero_intent_to_receive_vector(api, redis, prefix):
    """external-apis.md §5.4 vector: key test_webhook_key → 200, empty body."""
    body = '{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'
    status, headers, resp = api.post_xero(body, sig="kag72VflOGCsBmRZ81S1v8c36JlXM42Ff/0ooktu2oE=")
    assert (status, resp) == (200, b"")
    assert headers.get("content-length") == "0"
    status, _, resp = api.post_xero(body, sig="kag72VflOGCsBmRZ81S1v8c36JlXM42Ff/0ooktu2oF=")
    assert status == 401
    assert api.post_xero(body, sig=False)[0] == 401
    assert api.post_xero(body, key="other")[0] == 401
    assert ready_jobs(redis, prefix) == []


def xero_event(resource, etype="UPDATE"):
    return {"resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource}", "resourceId": resource,
            "eventDateUtc": "2017-06-21T01:15:39.902", "eventType": etype, "eventCategory": "INVOICE",
            "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f", "tenantType": "ORGANISATION"}


def test_xero_events_become_jobs(api, redis, prefix):
    events = [xero_event("r1"), xero_event("r2"), xero_event("r1", "CREATE")]
    body = json.dumps({"events": events, "firstEventSequence": 7, "lastEventSequence": 9, "entropy": "x"})
    status, headers, resp = api.post_xero(body)
    assert (status, resp) == (200, b"")
    jobs = ready_jobs(redis, prefix)
    assert [j["type"] for j in jobs] == ["xero.event"] * 3
    assert jobs[0]["dedup_key"] == ("xero:c2cc9b6e-9458-4c7d-93cc-f02b81b0594f:INVOICE:r1:"
                                    "2017-06-21T01:15:39.902:UPDATE")
    assert jobs[0]["payload"] == dict(events[0], first_event_sequence=7, last_event_sequence=9)
    status, headers, _ = api.post_xero(body)
    assert status == 200 and headers["x-sentia-duplicate"] == "1"
    partial = json.dumps({"events": [xero_event("r2"), xero_event("r3")], "firstEventSequence": 10,
                          "lastEventSequence": 11})
    status, headers, _ = api.post_xero(partial)
    assert status == 200 and "x-sentia-duplicate" not in headers
    assert len(ready_jobs(redis, prefix)) == 4
    bad = json.dumps({"events": [xero_event("r4"), {"resourceId": "r5"}]})
    assert api.post_xero(bad)[0] == 400
    assert api.post_xero("not json")[0] == 400
    assert len(ready_jobs(redis, prefix)) == 4


def test_unconfigured_sources_answer_503(services, prefix, redis):
    api = start_api(services, prefix, TWILIO_AUTH_TOKEN="", SHOPIFY_WEBHOOK_SECRET="", XERO_WEBHOOK_KEY="")
    p = inbound_params("SM" + "2" * 32)
    for status, _, body in (api.post_twilio(p), api.post_shopify('{"a":1}'), api.post_xero('{"events":[]}')):
        assert status == 503 and json.loads(body)["error"]["code"] == "not_configured"
    assert ready_jobs(redis, prefix) == []
    api.stop()
