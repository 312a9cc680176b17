"""Helpers for the dashboard API tests (issue 10): sentia-api started with a
fake Clerk JWKS and a migrated database, Clerk session tokens signed with
python3-jwt (tests/fakes/jwks.py), API keys stored the way sentia-admin
stores them, and the contract check of every JSON body a test receives
(docs/openapi.yaml through test_openapi_doc.response_validator)."""
import hashlib
import json
import os
import re
import secrets
import sys

import pytest

from apiutil import start_api
from conftest import ROOT, database_url, pg

sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
import jwks as fake_jwks  # noqa: E402

ISSUER = "https://clerk.sentia.test"
PARTY = "https://app.sentia.test"
ROLES = ("viewer", "operator", "manager", "admin")


@pytest.fixture
def jwks():
    """The fake Clerk JWKS for one test (tests rotate its keys and take it down)."""
    j = fake_jwks.FakeJwks()
    yield j
    j.close()


def start_dash_api(services, prefix, database=None, jwks=None, **extra):
    """sentia-api with Clerk (the fake JWKS), the database (if any) and short
    caches for tests (the read micro-cache off); `extra` overrides any variable. Every answer of a
    dashboard route it gives the test is checked against the contract."""
    env = dict(CLERK_ISSUER=ISSUER, CLERK_AUTHORIZED_PARTIES=PARTY,
               CLERK_JWKS_REFETCH_INTERVAL_MS=1000, API_KEY_CACHE_TTL_MS=500, API_READ_CACHE_MS=0)
    if jwks is not None:
        env["CLERK_JWKS_URL"] = jwks.url
    if database is not None:
        env["DATABASE_URL"] = database_url(database)
    env.update(extra)
    api = start_api(services, prefix, **env)
    plain = api.request

    def checked(method, path, body=None, headers=None, timeout=10):
        status, h, data = plain(method, path, body, headers, timeout)
        validate_answer(method, path, status, h, data)
        return status, h, data

    api.request = checked
    return api


_templates = []


def _template_of(path):
    """The documented path template matching a concrete path, or None."""
    if not _templates:
        from test_openapi_doc import load_doc
        for t in load_doc()["paths"]:
            _templates.append((re.compile("^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(t)) + "$"), t))
    hits = [t for rx, t in _templates if rx.match(path)]
    literal = [t for t in hits if "{" not in t]
    return (literal or hits or [None])[0]


def validate_answer(method, path, status, headers, data):
    """A dashboard route's answer: its status documented, its JSON body valid
    against that answer's schema (webhooks, probes and OPTIONS are not ours)."""
    bare = path.split("?", 1)[0]
    if method in ("OPTIONS", "HEAD") or not (bare.startswith("/api/v1/") or bare == "/api/integrations/status"):
        return
    template = _template_of(bare)
    if template is None or "/webhooks/" in template or "/whatsapp/" in template or status in (404, 405):
        return
    if status == 304:
        assert data == b"", f"{method} {path}: 304 with a body"
        return
    if headers.get("content-type", "").startswith("application/json"):
        check_contract(method.lower(), template, status, data)


def token(jwks, role="viewer", key=None, headers=None, **claims):
    """A valid Clerk session token for `role` (None: no role claim) signed by the
    JWKS's newest key unless `key`; claims override the defaults."""
    claims.setdefault("azp", PARTY)
    c = fake_jwks.session_claims(ISSUER, role=role, **claims)
    return fake_jwks.sign(key or jwks.key, c, headers)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def create_api_key(dbname, role="viewer", name="test"):
    """A key stored as sentia-admin stores it (SHA-256 hex); returns (id, key)."""
    key = "sentia_" + secrets.token_urlsafe(32)[:43]
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO api_keys (name, role, key_hash, created_by) VALUES (%s, %s, %s, 'test')"
                    " RETURNING id", (name, role, hashlib.sha256(key.encode()).hexdigest()))
        kid = cur.fetchone()[0]
    conn.close()
    return kid, key


def revoke_api_key(dbname, kid):
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute("UPDATE api_keys SET revoked_at = now(), revoked_by = 'test' WHERE id = %s", (kid,))
    conn.close()


def ready_total(redis, prefix):
    """Jobs waiting in every ready and delayed structure of the prefix."""
    n = 0
    for k in redis.scan_iter(match=prefix + ":*", count=1000):
        t = redis.type(k)
        if k.endswith(":ready") and t == "list":
            n += redis.llen(k)
        elif k.endswith(":delayed") and t == "zset":
            n += redis.zcard(k)
    return n


def check_contract(method, template, status, body):
    """Validates a JSON body against its answer's schema in docs/openapi.yaml."""
    from test_openapi_doc import response_validator
    doc = json.loads(body) if isinstance(body, (bytes, str)) else body
    errors = sorted(response_validator(method, template, status).iter_errors(doc), key=str)
    assert not errors, f"{method} {template} {status}: {errors[0].message} in {json.dumps(doc)[:400]}"
    return doc


SEED_SQL = """
INSERT INTO products (sku, name, unit_price, currency, active, source, avg_cost)
SELECT 'SKU-' || g, 'Product ' || g, 10 + g, 'GBP', g % 5 <> 0, 'unleashed',
       CASE WHEN g % 2 = 0 THEN 4.25 END
  FROM generate_series(1, 20) g;
INSERT INTO inventory (sku, location, on_hand, allocated, source)
SELECT p.sku, v.loc, 10 + 3 * substr(p.sku, 5)::int, 6, 'unleashed'
  FROM products p, (VALUES ('main'), ('north')) v(loc);
INSERT INTO orders (source, external_id, status, currency, total, stock_location, placed_at)
SELECT (ARRAY['whatsapp', 'shopify', 'unleashed'])[1 + g % 3], 'ext-' || g,
       (ARRAY['pending', 'confirmed', 'cancelled'])[1 + (g / 3) % 3], 'GBP', 25.00,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'main' END,
       timestamptz '2026-01-01 00:00:00+00' + (g / 2) * interval '1 minute'
  FROM generate_series(1, {orders}) g;
INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price, line_total)
SELECT o.id, n, 'SKU-' || ((o.id + n * 7) % 20 + 1), 'Product', n, 10.00, 10.00 * n
  FROM orders o, generate_series(1, 2) n;
INSERT INTO forecast_runs (job_id, status, finished_at, as_of, bucket, period, horizon,
                           history_start, origin, skus_total, skus_ok, skus_failed, success_rate)
VALUES ('job-old', 'failed', now() - interval '2 days', current_date - 2, 'week', 52, 2,
        date_trunc('week', now())::date - 70, date_trunc('week', now())::date, 20, 0, 20, 0),
       ('job-cur', 'succeeded', now(), current_date, 'week', 52, 2,
        date_trunc('week', now())::date - 70, date_trunc('week', now())::date, 20, 20, 0, 1);
INSERT INTO forecasts (run_id, sku, step, period_start, method, model, point, lo80, hi80, lo95, hi95)
SELECT r.id, p.sku, s, r.origin + (s - 1) * 7, 'auto', 'ETS(A,N,N)', 12.5, 8, 17, 5, 20
  FROM forecast_runs r, products p, generate_series(1, 2) s WHERE r.job_id = 'job-cur';
INSERT INTO stock_recommendations (run_id, sku, location, lead_time_days, lead_time_source,
    lead_time_samples, demand_share, lead_time_demand, lead_time_sigma, safety_stock,
    reorder_point, review_period_days, review_demand, on_hand, allocated, on_order,
    inventory_position, suggested_order)
SELECT r.id, i.sku, i.location, 14, 'default', 0, 0.5, 20, 5, 8, 28, 7, 12, i.on_hand,
       i.allocated, 0, i.on_hand - i.allocated, CASE WHEN i.on_hand - i.allocated < 28 THEN 20 ELSE 0 END
  FROM forecast_runs r, inventory i WHERE r.job_id = 'job-cur';
INSERT INTO working_capital_snapshots (job_id, as_of, computed_at, days, base_currency, receivables,
    payables, inventory_value, revenue, cogs, dso, dio, dpo, ccc, notes)
SELECT 'wc-' || d || '-' || k, current_date - d, now() - d * interval '1 day' + k * interval '1 hour',
       90, 'GBP', 1000 + d, 500, 800, 41000, 23000, 27.44, 38.35, 25.04, 40.75 + k,
       ARRAY['note ' || d]
  FROM generate_series(0, 4) d, generate_series(0, 1) k;
"""


def seed(dbname, orders=300):
    """Products, inventory, orders with lines, a failed and a current forecast
    run with forecasts and recommendations, working-capital snapshots."""
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute(SEED_SQL.replace("{orders}", str(int(orders))))
    conn.close()


def query(dbname, sql, *params):
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute(sql, params)
        out = cur.fetchall()
    conn.close()
    return out
