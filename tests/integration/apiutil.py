"""Helpers for the sentia-api integration tests: start the real binary,
sign webhooks the way the providers do (external-apis.md), talk HTTP/1.1 and
raw sockets, parse the Prometheus exposition, run a private Redis."""
import base64
import hashlib
import hmac
import http.client
import json
import re
import socket
import urllib.parse

from conftest import base_env, free_port, wait_until

TWILIO_TOKEN = "test_auth_token"
SHOPIFY_SECRET = "test_secret_key"
XERO_KEY = "test_webhook_key"
METRICS_TOKEN = "test-metrics-token-0123456789"
METRICS_AUTH = {"Authorization": "Bearer " + METRICS_TOKEN}
INBOUND = "/api/v1/whatsapp/webhook"
STATUS = "/api/v1/whatsapp/status"
SHOPIFY = "/api/v1/webhooks/shopify"
XERO = "/api/v1/webhooks/xero"
FORM = "application/x-www-form-urlencoded"


class Api:
    """A running sentia-api and how to reach it."""

    def __init__(self, service, port, base_url):
        self.service = service
        self.port = port
        self.base_url = base_url

    def request(self, method, path, body=None, headers=None, timeout=10):
        """One request on a fresh connection → (status, headers dict (lower-case), body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode()
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def json(self, path, headers=None):
        status, _, body = self.get(path, headers=headers)
        return status, json.loads(body)

    def post_twilio(self, params, path=INBOUND, token=TWILIO_TOKEN, url=None, sig=None, headers=None):
        body = urllib.parse.urlencode(params)
        h = {"Content-Type": FORM}
        if sig is not False:
            h["X-Twilio-Signature"] = sig or twilio_signature(token, url or self.base_url + path, params)
        h.update(headers or {})
        return self.request("POST", path, body, h)

    def post_shopify(self, body, topic="orders/create", webhook_id="wh-1", secret=SHOPIFY_SECRET,
                     sig=None, extra=None):
        if isinstance(body, str):
            body = body.encode()
        h = {"Content-Type": "application/json", "X-Shopify-Topic": topic,
             "X-Shopify-Shop-Domain": "shop.myshopify.com", "X-Shopify-API-Version": "2025-07"}
        if webhook_id is not None:
            h["X-Shopify-Webhook-Id"] = webhook_id
        if sig is not False:
            h["X-Shopify-Hmac-Sha256"] = sig or hmac_b64(secret, body)
        h.update(extra or {})
        return self.request("POST", SHOPIFY, body, h)

    def post_xero(self, body, key=XERO_KEY, sig=None):
        if isinstance(body, str):
            body = body.encode()
        h = {"Content-Type": "application/json"}
        if sig is not False:
            h["x-xero-signature"] = sig or hmac_b64(key, body)
        return self.request("POST", XERO, body, h)

    def metrics(self):
        status, headers, body = self.get("/metrics", headers=METRICS_AUTH)
        assert status == 200, body
        assert headers["content-type"].startswith("text/plain; version=0.0.4")
        return parse_metrics(body.decode())

    def stop(self, **kw):
        return self.service.stop(**kw)


def twilio_signature(token, url, params):
    """external-apis.md §1.1: base64(HMAC-SHA1(token, url + sorted key+value))."""
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def hmac_b64(secret, body):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def inbound_params(sid, body="hello"):
    return {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32,
            "From": "whatsapp:+15551234567", "To": "whatsapp:+14155238886", "Body": body,
            "NumMedia": "0", "ProfileName": "Ana", "WaId": "15551234567", "ApiVersion": "2010-04-01"}


def start_api(services, prefix, redis_url=None, wait_redis=True, **extra):
    """Starts sentia-api on a free port with all three webhooks and METRICS_TOKEN configured."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(PORT=port, API_THREADS=2, PUBLIC_BASE_URL=base, TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
               SHOPIFY_WEBHOOK_SECRET=SHOPIFY_SECRET, XERO_WEBHOOK_KEY=XERO_KEY,
               RATE_LIMIT_PER_IP=0, METRICS_TOKEN=METRICS_TOKEN)
    env.update(extra)
    env = base_env(prefix=prefix, **env)
    if redis_url:
        env["REDIS_URL"] = redis_url
    svc = services("sentia-api", env=env)
    svc.wait_log(lambda r: r.get("msg") == "listening")
    if wait_redis:
        svc.wait_log(lambda r: r.get("msg") == "redis connected")
    wait_until(lambda: _connectable(port), what="api port")
    return Api(svc, port, env.get("PUBLIC_BASE_URL", base))


def _connectable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def ready_jobs(redis, prefix, queue="webhooks"):
    """Envelopes in ready, oldest first, decoded."""
    return [json.loads(e) for e in reversed(redis.lrange(f"{prefix}:{{{queue}}}:ready", 0, -1))]


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse_metrics(text):
    """Prometheus text 0.0.4 → {(name, frozenset(labels.items())): value}; checks syntax."""
    out = {}
    types = {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind
            continue
        m = _SAMPLE.match(line)
        assert m, f"bad sample line: {line!r}"
        name, _, labels, value = m.groups()
        pairs = {}
        if labels:
            consumed = "".join(x.group(0) for x in _LABEL.finditer(labels))
            assert consumed == labels, f"bad labels: {line!r}"
            pairs = {k: v.encode().decode("unicode_escape") for k, v in _LABEL.findall(labels)}
        key = (name, frozenset(pairs.items()))
        assert key not in out, f"duplicate series {line!r}"
        out[key] = float(value)
    return out


def metric(ms, name, **labels):
    return ms.get((name, frozenset(labels.items())), 0.0)


