"""sentia-api's HTTP behaviour, real binary: request ids, JSON errors,
security headers, CORS, maintenance mode, the per-IP rate limit, body and
header limits, slow clients, HTTP/2 cleartext, configuration errors.
"""
import json
import os
import socket
import subprocess
import time

import pytest

from apiutil import INBOUND, METRICS_AUTH, inbound_params, ready_jobs, start_api
from conftest import base_env, git_head, run


@pytest.fixture
def api(services, prefix):
    a = start_api(services, prefix)
    yield a
    a.stop()


SECURITY = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
            "content-security-policy": "default-src 'none'; frame-ancestors 'none'"}


def test_request_ids_security_headers_and_errors(api):
    status, h, body = api.get("/health", headers={"X-Request-Id": "abc.DEF-123_x"})
    assert status == 200 and json.loads(body)["status"] == "healthy"
    assert h["x-request-id"] == "abc.DEF-123_x"
    for k, v in SECURITY.items():
        assert h[k] == v
    assert "server" not in h and "strict-transport-security" not in h
    status, h, _ = api.get("/health", headers={"X-Request-Id": "bad id with spaces"})
    assert len(h["x-request-id"]) == 32 and h["x-request-id"] != "bad id with spaces"
    status, h, body = api.get("/nowhere")
    err = json.loads(body)["error"]
    assert status == 404 and err == {"code": "not_found", "message": "no such route",
                                     "request_id": h["x-request-id"]}
    status, h, body = api.request("GET", INBOUND)
    assert status == 405 and json.loads(body)["error"]["code"] == "method_not_allowed"
    assert "POST" in h["allow"]
    status, h, body = api.request("DELETE", "/health")
    assert status == 405


def test_hsts_when_enabled(services, prefix):
    api = start_api(services, prefix, ENABLE_HSTS="true")
    h = api.get("/health")[1]
    assert h["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    api.stop()


def test_hsts_max_age_on_every_answer(services, prefix):
    # render.yaml's HSTS_MAX_AGE (docs/OPERATIONS.md, "HSTS"): probes, errors, metrics.
    api = start_api(services, prefix, HSTS_MAX_AGE=600)
    for path, want in (("/health", 200), ("/nope", 404), ("/health/detailed", 401)):
        status, h, _ = api.get(path)
        assert status == want and h["strict-transport-security"] == "max-age=600; includeSubDomains"
    api.stop()


def test_cors_allowed_and_denied(services, prefix):
    api = start_api(services, prefix, CORS_ORIGINS="https://dash.example.com, http://localhost:3000")
    h = api.get("/api/status", headers={"Origin": "https://dash.example.com"})[1]
    assert h["access-control-allow-origin"] == "https://dash.example.com"
    assert "origin" in h["vary"].lower()
    h = api.get("/api/status", headers={"Origin": "https://evil.example.com"})[1]
    assert "access-control-allow-origin" not in h
    status, h, _ = api.request("OPTIONS", "/api/status", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"})
    assert status == 204 and h["access-control-allow-origin"] == "http://localhost:3000"
    assert "GET" in h["access-control-allow-methods"]
    status, h, body = api.request("OPTIONS", "/api/status", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"})
    assert status == 403 and json.loads(body)["error"]["code"] == "cors_denied"
    assert "access-control-allow-origin" not in h
    api.stop()


def test_maintenance_mode(services, prefix, redis):
    api = start_api(services, prefix, MAINTENANCE_MODE="true", MAINTENANCE_MESSAGE="back at 5")
    status, h, body = api.get("/api/status")
    assert status == 503 and json.loads(body)["error"] == {
        "code": "maintenance", "message": "back at 5", "request_id": h["x-request-id"]}
    assert "retry-after" in h
    assert api.get("/health")[0] == 200 and api.get("/health/ready")[0] == 200
    assert api.get("/metrics", METRICS_AUTH)[0] == 200
    # Webhooks are never refused for maintenance: the sender's event is kept.
    assert api.post_twilio(inbound_params("SM" + "m" * 32))[0] == 200
    assert len(ready_jobs(redis, prefix)) == 1
    api.stop()
    api = start_api(services, prefix, MAINTENANCE_MODE="true", MAINTENANCE_ALLOWED_IPS="10.0.0.1, 127.0.0.1")
    assert api.get("/api/status")[0] == 200
    api.stop()


def test_rate_limit_429_with_retry_after(services, prefix):
    api = start_api(services, prefix, RATE_LIMIT_PER_IP=60, RATE_LIMIT_BURST=5)
    codes = [api.get("/api/status")[0] for _ in range(5)]
    assert codes == [200] * 5
    status, h, body = api.get("/api/status")
    assert status == 429 and int(h["retry-after"]) >= 1
    assert json.loads(body)["error"]["code"] == "rate_limited"
    assert all(api.get("/health")[0] == 200 for _ in range(20))  # health is exempt
    time.sleep(1.1)
    assert api.get("/api/status")[0] == 200
    api.stop()


def test_verified_webhooks_are_never_rate_limited_but_bad_signatures_are(services, prefix, redis):
    """Twilio does not retry a 429: a verified delivery must never get one."""
    api = start_api(services, prefix, RATE_LIMIT_PER_IP=1, RATE_LIMIT_BURST=3)
    codes = [api.post_twilio(inbound_params(f"SMrate{i:030d}"))[0] for i in range(20)]
    assert codes == [200] * 20
    assert ready_jobs(redis, prefix) and len(ready_jobs(redis, prefix)) == 20
    bad = [api.post_twilio(inbound_params("SMbad"), sig="AAAAAAAAAAAAAAAAAAAAAAAAAAA=")[0]
           for _ in range(5)]
    assert bad[:3] == [403] * 3 and bad[3:] == [429, 429]
    assert api.get("/api/status")[0] == 429  # the address spent its budget on bad signatures
    api.stop()


def test_trusted_proxy_hops_pick_the_client_address(services, prefix):
    api = start_api(services, prefix, RATE_LIMIT_PER_IP=60, RATE_LIMIT_BURST=2, TRUST_PROXY_HOPS=1,
                    MAINTENANCE_MODE="true", MAINTENANCE_ALLOWED_IPS="203.0.113.7")
    a = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}  # the proxy appended the client last
    b = {"X-Forwarded-For": "203.0.113.8"}
    assert [api.get("/api/status", headers=a)[0] for _ in range(3)] == [200, 200, 429]
    assert api.get("/api/status", headers=b)[0] == 503  # another client: maintenance, own bucket
    assert api.get("/api/status", headers={"X-Forwarded-For": "not-an-ip"})[0] == 503
    api.stop()


def test_body_limit_413(services, prefix, redis):
    api = start_api(services, prefix, MAX_BODY_BYTES=2048)
    big = "x" * 4096
    status, h, body = api.request("POST", INBOUND, big, {"Content-Type": "application/x-www-form-urlencoded",
                                                          "X-Twilio-Signature": "x"})
    assert status == 413 and json.loads(body)["error"]["code"] == "body_too_large"
    assert "x-request-id" in h and h["x-content-type-options"] == "nosniff"
    # Chunked bodies are counted as they arrive.
    s = socket.create_connection(("127.0.0.1", api.port))
    # Three 1 KiB chunks and no last chunk: h2o must refuse while the body is still arriving.
    # (Nothing is written after the limit: a write after the server's close could reset the
    # connection and lose the answer.)
    s.sendall(b"POST /api/v1/webhooks/xero HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
              (b"400\r\n" + b"y" * 1024 + b"\r\n") * 3)
    s.settimeout(5)
    resp = s.recv(4096)
    s.close()
    assert resp.startswith(b"HTTP/1.1 413")
    assert ready_jobs(redis, prefix) == []
    api.stop()


def test_header_limits_431(services, prefix):
    api = start_api(services, prefix, MAX_HEADERS=10, MAX_HEADER_BYTES=2048)
    many = {f"X-H{i}": "v" for i in range(12)}
    status, _, body = api.request("GET", "/api/status", headers=many)
    assert status == 431 and json.loads(body)["error"]["code"] == "headers_too_large"
    status, _, _ = api.request("GET", "/api/status", headers={"X-Big": "v" * 3000})
    assert status == 431
    assert api.get("/api/status")[0] == 200
    api.stop()


def test_slowloris_dropped_others_unaffected(services, prefix):
    api = start_api(services, prefix, REQUEST_TIMEOUT_MS=1000)
    slow = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", api.port))
        s.sendall(b"POST /api/v1/webhooks/xero HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
        slow.append(s)
    t0 = time.time()
    for _ in range(10):
        assert api.get("/health")[0] == 200
    assert time.time() - t0 < 1.0
    for s in slow:
        s.sendall(b"X-Slow: 1\r\n")
    time.sleep(1.5)
    for s in slow:
        s.settimeout(2)
        try:
            data = s.recv(100)
        except OSError:
            data = b""
        assert data == b"", data  # closed by the server, no response
        s.close()
    assert api.get("/health")[0] == 200
    api.stop()


def test_http2_cleartext(services, prefix):
    if not os.path.exists("/usr/bin/curl"):
        pytest.skip("curl not installed")
    api = start_api(services, prefix, ENABLE_H2C="true")
    out = subprocess.run(["curl", "-s", "-i", "--http2-prior-knowledge",
                          f"http://127.0.0.1:{api.port}/health"], capture_output=True, text=True, timeout=10)
    assert out.stdout.startswith("HTTP/2 200"), out.stdout
    assert "x-request-id:" in out.stdout
    api.stop()


def test_api_status(api):
    status, doc = api.json("/api/status")
    assert status == 200
    assert doc["service"] == "sentia-api" and doc["environment"] == "test"
    assert doc["version"] and doc["commit"] and doc["uptime_s"] >= 0
    assert doc["commit"] == (git_head() or "unknown")  # this build's, never a stale one
    assert doc["components"]["redis"]["status"] == "up"
    assert doc["components"]["webhooks"] == {"twilio": "configured", "shopify": "configured",
                                             "xero": "configured"}


def test_config_errors_exit_78_with_one_message(prefix):
    env = base_env(prefix=prefix, APP_ENV="production", PORT="notaport", MAX_BODY_BYTES="-1",
                   CORS_ORIGINS="ftp://x", TWILIO_AUTH_TOKEN="s3cr3t-token")
    cp = run("sentia-api", env=env, timeout=30)
    assert cp.returncode == 78, cp.stderr
    lines = [l for l in cp.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, cp.stderr
    msg = lines[0]
    for name in ("PORT", "MAX_BODY_BYTES", "PUBLIC_BASE_URL", "SHOPIFY_WEBHOOK_SECRET", "XERO_WEBHOOK_KEY"):
        assert name in msg, msg
    assert "s3cr3t-token" not in msg + cp.stdout
    env = base_env(prefix=prefix, CORS_ORIGINS="https://ok.example, ftp://bad",
                   MAINTENANCE_ALLOWED_IPS="1.2.3.4, not-an-ip", PUBLIC_BASE_URL="https://x.example")
    cp = run("sentia-api", env=env, timeout=30)
    assert cp.returncode == 78
    lines = [l for l in cp.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "CORS_ORIGINS" in lines[0] and "MAINTENANCE_ALLOWED_IPS" in lines[0]


@pytest.mark.parametrize("redact", [True, False])
def test_access_log_line_and_redaction(services, prefix, redact):
    api = start_api(services, prefix, PII_REDACTION_ENABLED=str(redact).lower())
    rid = "14155550123"  # a client-chosen id that looks like a phone number
    api.get("/health", headers={"X-Request-Id": rid})
    line = api.service.wait_log(lambda r: r.get("msg") == "request" and r.get("route") == "/health")
    assert line["method"] == "GET" and line["status"] == 200 and line["duration_us"] >= 0
    assert line["level"] == "info" and line["service"] == "sentia-api"
    assert (line["request_id"] == rid) is (not redact)
    api.stop()
