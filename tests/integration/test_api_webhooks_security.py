"""Webhook findings of issues 17 and 14 through the real binary and Redis:
X-Forwarded-For over several lines, Shopify's topic table, content dedup and
stores, the queue-depth guard, NUL bytes refused everywhere, secret
rotation, verify-then-count rate limiting, and MAX_BODY_BYTES checked at
start-up."""
import hashlib
import http.client
import json
import os
import subprocess
import time
import urllib.parse

import pytest

from apiutil import (FORM, INBOUND, SHOPIFY, SHOPIFY_SECRET, STATUS, TWILIO_TOKEN, XERO_KEY, hmac_b64,
                     inbound_params, metric, ready_jobs, start_api, twilio_signature)
from conftest import BUILD, base_env


def request_lines(api, method, path, headers, body=b""):
    """One request with headers as a list of (name, value): repeated lines stay separate."""
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


# ---- X-Forwarded-For (issue 17 §2) ----------------------------------------

@pytest.mark.parametrize("hops", [0, 1, 2])
def test_xff_lines_are_one_list(services, prefix, hops):
    """hops 0: the peer; 1: the last address the proxy appended; 2: the one before.
    A forged first line and the same list merged on one line give one address."""
    api = start_api(services, prefix, TRUST_PROXY_HOPS=hops, MAINTENANCE_MODE="true",
                    MAINTENANCE_ALLOWED_IPS="198.51.100.9" if hops == 1 else
                    "203.0.113.5" if hops == 2 else "127.0.0.1")
    forged = [("Host", "x"), ("X-Forwarded-For", "127.0.0.1, 203.0.113.5"), ("X-Forwarded-For", "198.51.100.9")]
    merged = [("Host", "x"), ("X-Forwarded-For", "127.0.0.1, 203.0.113.5, 198.51.100.9")]
    assert request_lines(api, "GET", "/api/status", forged)[0] == 200
    assert request_lines(api, "GET", "/api/status", merged)[0] == 200
    if hops == 1:  # the forged line alone must not pass as the client
        spoof = [("Host", "x"), ("X-Forwarded-For", "203.0.113.5"), ("X-Forwarded-For", "10.9.9.9")]
        assert request_lines(api, "GET", "/api/status", spoof)[0] == 503
    api.stop()


def test_xff_forged_first_line_does_not_choose_the_rate_bucket(services, prefix):
    api = start_api(services, prefix, TRUST_PROXY_HOPS=1, RATE_LIMIT_PER_IP=60, RATE_LIMIT_BURST=2)
    codes = [request_lines(api, "GET", "/api/status",
                           [("Host", "x"), ("X-Forwarded-For", f"10.0.0.{i}"), ("X-Forwarded-For", "198.51.100.9")])[0]
             for i in range(4)]
    assert codes == [200, 200, 429, 429]  # one client, whatever it forged ahead
    api.stop()


# ---- Shopify: topics, content dedup, stores (issue 17 §3, issue 14) ------

@pytest.fixture
def api(services, prefix):
    a = start_api(services, prefix)
    yield a
    a.stop()


def test_shopify_unhandled_topic_is_200_and_queues_nothing(api, redis, prefix):
    for topic in ("sync/orders", "carts/update", "app/uninstalled"):
        status, headers, body = api.post_shopify('{"id": 1}', topic=topic, webhook_id="wh-" + topic)
        assert status == 200 and json.loads(body) == {"status": "ignored", "ids": []}
    assert ready_jobs(redis, prefix) == []
    assert metric(api.metrics(), "sentia_webhook_ignored_total", source="shopify") == 3


def test_shopify_compliance_topics_map_to_privacy_jobs(api, redis, prefix):
    expected = {"customers/data_request": "privacy.customer_data_request",
                "customers/redact": "privacy.customer_redact", "shop/redact": "privacy.shop_redact"}
    for i, topic in enumerate(expected):
        assert api.post_shopify('{"shop_id": %d}' % i, topic=topic, webhook_id=f"gdpr-{i}")[0] == 200
    jobs = ready_jobs(redis, prefix)
    assert sorted(j["type"] for j in jobs) == sorted(expected.values())
    assert all(j["queue"] == "webhooks" and j["payload"]["store"] == "default" for j in jobs)


def test_shopify_replay_under_new_webhook_id_is_duplicate(api, redis, prefix):
    body = '{"id": 4242, "total_price": "10.00"}'
    assert api.post_shopify(body, webhook_id="wh-a")[0] == 200
    status, headers, resp = api.post_shopify(body, webhook_id="wh-b")  # leaked body, new id
    assert status == 200 and headers["x-sentia-duplicate"] == "1"
    assert api.post_shopify(body, webhook_id="wh-a")[1]["x-sentia-duplicate"] == "1"  # Shopify's retry
    assert api.post_shopify(body, topic="orders/updated", webhook_id="wh-c")[0] == 200  # another topic
    assert len(ready_jobs(redis, prefix)) == 2


STORES = dict(SHOPIFY_STORES="uk,us", SHOPIFY_UK_SHOP="sentia-uk.myshopify.com",
              SHOPIFY_US_SHOP="sentia-us.myshopify.com", SHOPIFY_US_CURRENCY="USD",
              SHOPIFY_US_WEBHOOK_SECRET="us-secret")


def test_shopify_stores_found_by_shop_domain(services, prefix, redis):
    api = start_api(services, prefix, **STORES)
    body = '{"id": 1001}'
    uk = {"X-Shopify-Shop-Domain": "sentia-uk.myshopify.com"}
    us = {"X-Shopify-Shop-Domain": "sentia-us.myshopify.com"}
    assert api.post_shopify(body, extra=uk)[0] == 200  # the shared SHOPIFY_WEBHOOK_SECRET
    assert api.post_shopify(body, secret="us-secret", extra=us)[0] == 200
    assert api.post_shopify(body, extra=us)[0] == 401  # the US store has its own secret
    status, _, resp = api.post_shopify(body, extra={"X-Shopify-Shop-Domain": "evil.myshopify.com"})
    assert status == 401 and json.loads(resp)["error"]["code"] == "unknown_shop"  # valid HMAC, unknown shop
    jobs = {j["payload"]["store"]: j for j in ready_jobs(redis, prefix)}
    assert set(jobs) == {"uk", "us"}  # same body, two stores: two jobs
    assert jobs["us"]["dedup_key"].startswith("shopify:us:") and jobs["uk"]["dedup_key"].startswith("shopify:uk:")
    assert jobs["us"]["payload"]["shop_domain"] == "sentia-us.myshopify.com"
    api.stop()


def test_shopify_stores_misconfigured_refuse_to_start(services, prefix):
    env = base_env(prefix=prefix, PORT=1, SHOPIFY_STORES="uk", SHOPIFY_UK_SHOP="example.com")
    out = subprocess.run([os.path.join(BUILD, "api", "sentia-api")], env=env,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 78 and "*.myshopify.com" in out.stderr


# ---- the queue-depth guard (issue 17 §3) ----------------------------------

def test_queue_depth_guard_503_with_retry_after(services, prefix, redis):
    api = start_api(services, prefix, API_THREADS=1, MAX_QUEUE_DEPTH=3)
    codes = []
    for i in range(8):
        status, headers, body = api.post_shopify('{"id": %d}' % i, webhook_id=f"d{i}")
        codes.append(status)
        if status == 503:
            assert json.loads(body)["error"]["code"] == "queue_full" and headers["retry-after"] == "30"
        time.sleep(0.3)  # longer than the depth cache's refresh
    assert 503 in codes and codes[:3] == [200] * 3
    assert len(ready_jobs(redis, prefix)) <= 4  # the bound, overshot by at most one refresh period
    assert metric(api.metrics(), "sentia_webhook_queue_full_total", source="shopify") >= 1
    # Twilio is guarded too (same queue), and drains reopen it.
    assert api.post_twilio(inbound_params("SM" + "q" * 32))[0] == 503
    redis.delete(f"{prefix}:{{webhooks}}:ready")
    time.sleep(0.3)
    api.post_twilio(inbound_params("SM" + "r" * 32))  # refreshes the cached depth
    time.sleep(0.3)
    assert api.post_twilio(inbound_params("SM" + "s" * 32))[0] == 200
    api.stop()


# ---- NUL bytes (issue 17 §4) ----------------------------------------------

@pytest.mark.parametrize("field", ["MessageSid", "From", "Body", "ProfileName", "WaId", "key"])
def test_twilio_form_nul_refused_before_storing(api, redis, prefix, field):
    params = inbound_params("SM" + "n" * 32)
    if field == "key":
        params["Ext\x00ra"] = "x"
    else:
        params[field] = params[field][:3] + "\x00" + params[field][3:]
    status, _, body = api.post_twilio(params)
    assert status == 400 and json.loads(body)["error"]["code"] in ("invalid_body", "missing_field")
    assert ready_jobs(redis, prefix) == []
    assert redis.keys(f"{prefix}:*dedup*") == []
    clean = inbound_params("SM" + "n" * 32)
    assert api.post_twilio(clean)[0] == 200  # the retry without NUL is not a duplicate


def test_twilio_status_nul_refused(api, redis, prefix):
    p = {"MessageSid": "SM" + "m" * 32, "MessageStatus": "deliv\x00ered"}
    assert api.post_twilio(p, path=STATUS)[0] == 400
    assert ready_jobs(redis, prefix) == []


def test_twilio_json_nul_refused(api, redis, prefix):
    body = b'{"MessageSid": "SM' + b"j" * 32 + b'", "Body": "a\\u0000b"}'
    url = api.base_url + INBOUND + "?bodySHA256=" + hashlib.sha256(body).hexdigest()
    sig = twilio_signature(TWILIO_TOKEN, url, {})
    path = INBOUND + "?bodySHA256=" + hashlib.sha256(body).hexdigest()
    status, _, resp = api.request("POST", path, body, {"Content-Type": "application/json",
                                                       "X-Twilio-Signature": sig})
    assert status == 400 and json.loads(resp)["error"]["code"] == "invalid_body"
    assert ready_jobs(redis, prefix) == []


@pytest.mark.parametrize("body", ['{"note": "a\\u0000b"}', '{"a\\u0000": 1}', '{"x": ["\\u0000"]}', '{"x": 1}\x00'])
def test_shopify_nul_refused(api, redis, prefix, body):
    status, _, resp = api.post_shopify(body)
    assert status == 400 and json.loads(resp)["error"]["code"] == "invalid_body"
    assert ready_jobs(redis, prefix) == []


@pytest.mark.parametrize("where", ["tenantId", "resourceId", "extra"])
def test_xero_nul_refused(api, redis, prefix, where):
    ev = {"resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/1", "resourceId": "r1",
          "eventDateUtc": "2025-01-01T00:00:00.000", "eventType": "UPDATE", "eventCategory": "INVOICE",
          "tenantId": "t1", "tenantType": "ORGANISATION"}
    ev[where] = "a\x00b"
    body = json.dumps({"events": [ev], "firstEventSequence": 1, "lastEventSequence": 1})
    assert "\\u0000" in body
    status, _, resp = api.post_xero(body)
    assert status == 400 and json.loads(resp)["error"]["code"] == "invalid_body"
    assert ready_jobs(redis, prefix) == []


# ---- secret rotation (issue 14) --------------------------------------------

def test_secret_rotation_both_then_old_removed(services, prefix, redis):
    api = start_api(services, prefix, TWILIO_AUTH_TOKEN="tw-new, tw-old", SHOPIFY_WEBHOOK_SECRET="sh-new,sh-old",
                    XERO_WEBHOOK_KEY="xe-new,xe-old")
    xero_body = '{"events":[],"firstEventSequence":0,"lastEventSequence":0}'
    for token in ("tw-new", "tw-old"):
        assert api.post_twilio(inbound_params("SM" + token[-3:] * 10 + "12"), token=token)[0] == 200
    assert api.post_twilio(inbound_params("SM" + "z" * 32), token="tw-other")[0] == 403
    for n, secret in enumerate(("sh-new", "sh-old", "sh-old")):
        assert api.post_shopify('{"id": %d}' % n, secret=secret, webhook_id=f"r{n}")[0] == 200
    assert api.post_shopify('{"id": 9}', secret="sh-other")[0] == 401
    assert api.post_xero(xero_body, key="xe-new")[0] == 200 and api.post_xero(xero_body, key="xe-old")[0] == 200
    ms = api.metrics()
    assert metric(ms, "sentia_webhook_secret_matches_total", source="twilio", slot="0") == 1
    assert metric(ms, "sentia_webhook_secret_matches_total", source="twilio", slot="1") == 1
    assert metric(ms, "sentia_webhook_secret_matches_total", source="shopify", slot="0") == 1
    assert metric(ms, "sentia_webhook_secret_matches_total", source="shopify", slot="1") == 2
    assert metric(ms, "sentia_webhook_secret_matches_total", source="xero", slot="1") == 1
    api.stop()
    # The old secrets removed: the new ones still work, the old ones are refused.
    api = start_api(services, prefix, TWILIO_AUTH_TOKEN="tw-new", SHOPIFY_WEBHOOK_SECRET="sh-new",
                    XERO_WEBHOOK_KEY="xe-new")
    assert api.post_twilio(inbound_params("SM" + "y" * 32), token="tw-old")[0] == 403
    assert api.post_twilio(inbound_params("SM" + "y" * 32), token="tw-new")[0] == 200
    assert api.post_shopify('{"id": 20}', secret="sh-old", webhook_id="o1")[0] == 401
    assert api.post_shopify('{"id": 20}', secret="sh-new", webhook_id="o1")[0] == 200
    assert api.post_xero(xero_body, key="xe-old")[0] == 401
    assert api.post_xero(xero_body, key="xe-new")[0] == 200
    api.stop()


def test_three_secrets_refused_at_start(services, prefix):
    env = base_env(prefix=prefix, PORT=1, TWILIO_AUTH_TOKEN="a,b,c")
    out = subprocess.run([os.path.join(BUILD, "api", "sentia-api")], env=env,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 78 and "TWILIO_AUTH_TOKEN holds more than 2" in out.stderr
    assert "a,b,c" not in out.stderr


# ---- verify first, then count (issue 14) -----------------------------------

def test_thousand_bad_signatures_then_valid_webhooks_are_200(services, prefix, redis):
    api = start_api(services, prefix, RATE_LIMIT_PER_IP=1, RATE_LIMIT_BURST=10)
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    bad_body = urllib.parse.urlencode(inbound_params("SMbad"))
    codes = []
    for _ in range(1000):
        conn.request("POST", INBOUND, bad_body, {"Content-Type": FORM, "X-Twilio-Signature": "AAAA"})
        r = conn.getresponse()
        r.read()
        codes.append(r.status)
    conn.close()
    assert codes[:10] == [403] * 10 and set(codes[10:]) == {429}
    for i in range(5):
        assert api.post_twilio(inbound_params(f"SMgood{i:028d}"))[0] == 200
        assert api.post_shopify('{"id": %d}' % i, webhook_id=f"g{i}")[0] == 200
    assert api.post_xero('{"events":[],"firstEventSequence":0,"lastEventSequence":0}')[0] == 200
    assert api.post_twilio(inbound_params("SMbad"), sig="AAAA")[0] == 429
    assert api.post_shopify('{"id": 1}', secret="wrong")[0] == 429
    assert api.post_xero('{"events":[]}', key="wrong")[0] == 429
    assert len(ready_jobs(redis, prefix)) == 10
    api.stop()


# ---- MAX_BODY_BYTES against the envelope (issue 17 §7) ---------------------

def test_max_body_bytes_beyond_an_envelope_refused_at_start(services, prefix):
    binary = os.path.join(BUILD, "api", "sentia-api")
    env = base_env(prefix=prefix, PORT=1, MAX_BODY_BYTES=8 * 1024 * 1024)
    out = subprocess.run([binary], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 78
    assert "MAX_BODY_BYTES=8388608 cannot fit a queue envelope of 16 MiB" in out.stderr
    api = start_api(services, prefix, MAX_BODY_BYTES=2785280)  # the ceiling itself starts
    assert api.get("/health")[0] == 200
    api.stop()
