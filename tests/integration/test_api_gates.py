"""sentia-api's gates, real binary (api/gate.h, DESIGN.md §5, §8): probes stay
open, the metrics class opens with METRICS_TOKEN only (no authenticator is
installed yet), role routes answer 401 without an authenticator, refused
credentials spend rate tokens on metrics routes, and CORS preflights on
/api/v1/* list what the dashboard sends.
"""
import json

import pytest

from apiutil import METRICS_AUTH, METRICS_TOKEN, start_api

PROBES = ["/health", "/health/live", "/health/liveness", "/health/ready", "/health/readiness", "/ready"]
METRICS_ROUTES = ["/metrics", "/health/detailed"]


@pytest.fixture
def api(services, prefix):
    a = start_api(services, prefix)
    yield a
    a.stop()


def assert_401(status, h, body, sent=True):
    """401 unauthenticated; `sent`: the request carried a bearer or session cookie
    (else RFC 6750's bare `Bearer` challenge)."""
    assert status == 401, body
    assert h["www-authenticate"] == ('Bearer error="invalid_token"' if sent else "Bearer")
    assert h["content-type"] == "application/json"
    assert json.loads(body)["error"] == {"code": "unauthenticated",
                                         "message": "a valid bearer token or API key is required",
                                         "request_id": h["x-request-id"]}


def test_probes_are_open_and_aliases_answer(api):
    for path in PROBES:
        status, h, body = api.get(path)
        assert status == 200, (path, body)
        assert "www-authenticate" not in h
    assert json.loads(api.get("/health/liveness")[2])["status"] == "alive"
    assert json.loads(api.get("/health/readiness")[2])["status"] == "ready"


@pytest.mark.parametrize("path", METRICS_ROUTES, ids=["metrics", "detailed"])
def test_metrics_routes_need_the_token(api, path):
    assert_401(*api.get(path), sent=False)
    assert_401(*api.get(path, {"Authorization": "Bearer " + METRICS_TOKEN + "x"}))
    assert_401(*api.get(path, {"Authorization": "Bearer " + METRICS_TOKEN[:-1]}))
    assert_401(*api.get(path, {"Authorization": "Basic " + METRICS_TOKEN}), sent=False)
    assert_401(*api.get(path, {"Cookie": "__session=" + METRICS_TOKEN}))  # a bearer, not a cookie
    status, h, body = api.get(path, METRICS_AUTH)
    assert status == 200, body
    assert api.get(path, {"Authorization": "bearer  " + METRICS_TOKEN})[0] == 200
    # HEAD has the same gate.
    assert api.request("HEAD", path)[0] == 401
    assert api.request("HEAD", path, headers=METRICS_AUTH)[0] == 200


def test_refusals_are_logged_without_the_token(api):
    bad = "Bearer not-the-token-" + "s3cr3t"
    api.get("/metrics", {"Authorization": bad})
    line = api.service.wait_log(lambda r: r.get("msg") == "authentication refused")
    assert line["route"] == "/metrics" and line["reason"]
    with open(api.service.log_path) as f:
        assert "s3cr3t" not in f.read() + api.service.stderr()


def test_without_metrics_token_nothing_opens_metrics(services, prefix):
    api = start_api(services, prefix, METRICS_TOKEN="")
    for path in METRICS_ROUTES:
        assert_401(*api.get(path), sent=False)
        assert_401(*api.get(path, METRICS_AUTH))
    assert api.get("/health")[0] == 200
    api.stop()


def test_role_routes_without_clerk_or_database(api):
    """No Clerk key source and no DATABASE_URL: tokens are refused, API keys
    cannot be checked (503), nothing opens a role route."""
    assert_401(*api.get("/api/v1/me"), sent=False)
    for headers in (METRICS_AUTH, {"Cookie": "__session=a.b.c"}):
        assert_401(*api.get("/api/v1/me", headers))
    status, h, body = api.get("/api/v1/me", {"Authorization": "Bearer sentia_" + "A" * 43})
    assert status == 503 and json.loads(body)["error"]["code"] == "database_unavailable"
    # The metrics token opens only the metrics class, never a role route.
    status, h, body = api.request("POST", "/api/v1/me")
    assert status == 405 and "GET" in h["allow"]


def test_failed_metrics_auth_spends_rate_tokens(services, prefix):
    api = start_api(services, prefix, RATE_LIMIT_PER_IP=1, RATE_LIMIT_BURST=3)
    # A scraper with the token is never limited: its scrapes spend nothing.
    assert [api.get("/metrics", METRICS_AUTH)[0] for _ in range(10)] == [200] * 10
    codes = [api.get("/metrics", {"Authorization": "Bearer guess"})[0] for _ in range(5)]
    assert codes[:3] == [401] * 3 and codes[3:] == [429, 429]
    assert api.get("/api/status")[0] == 429  # the address spent its budget guessing
    assert api.get("/health")[0] == 200      # probes are never limited
    api.stop()


def test_metrics_served_in_maintenance_with_the_token(services, prefix):
    api = start_api(services, prefix, MAINTENANCE_MODE="true")
    assert api.get("/metrics", METRICS_AUTH)[0] == 200
    assert api.get("/health/detailed", METRICS_AUTH)[0] == 200
    assert_401(*api.get("/metrics"), sent=False)
    assert api.get("/api/v1/me")[0] == 503  # role routes are in maintenance like the rest
    api.stop()


def test_cors_preflight_on_api_v1(services, prefix):
    dash = "https://dash.example.com"
    api = start_api(services, prefix, CORS_ORIGINS=dash + ", http://localhost:3000")
    for path, methods in (("/api/v1/me", {"GET", "HEAD", "OPTIONS"}),
                          ("/api/v1/webhooks/shopify", {"POST", "OPTIONS"})):
        status, h, body = api.request("OPTIONS", path, headers={
            "Origin": dash, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, if-none-match"})
        assert status == 204, body
        assert h["access-control-allow-origin"] == dash
        assert "origin" in h["vary"].lower()
        allowed = {x.strip().lower() for x in h["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type", "idempotency-key", "if-none-match"} <= allowed
        assert {x.strip() for x in h["access-control-allow-methods"].split(",")} == methods
        assert int(h["access-control-max-age"]) > 0
        # Another origin: refused, and not one CORS header.
        status, h, body = api.request("OPTIONS", path, headers={
            "Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"})
        assert status == 403 and json.loads(body)["error"]["code"] == "cors_denied"
        assert not [k for k in h if k.startswith("access-control-")]
    # An allowed origin's real request gets the origin back, even on a 401.
    status, h, _ = api.get("/api/v1/me", {"Origin": dash})
    assert status == 401 and h["access-control-allow-origin"] == dash
    status, h, _ = api.get("/api/v1/me", {"Origin": "https://evil.example.com"})
    assert status == 401 and not [k for k in h if k.startswith("access-control-")]
    api.stop()


def test_cors_without_origins_configured(api):
    status, h, _ = api.request("OPTIONS", "/api/v1/me", headers={
        "Origin": "https://dash.example.com", "Access-Control-Request-Method": "GET"})
    assert status == 403 and not [k for k in h if k.startswith("access-control-")]
    # Not a browser preflight: Allow only.
    status, h, _ = api.request("OPTIONS", "/api/v1/me")
    assert status == 204 and h["allow"] == "GET, HEAD, OPTIONS"
