"""Helpers for the dashboard API tests (issue 10): sentia-api started with a
fake Clerk JWKS and a migrated database, Clerk session tokens signed with
python3-jwt (tests/fakes/jwks.py), API keys stored the way sentia-admin
stores them, and the contract check of every JSON body a test receives
(docs/openapi.yaml through test_openapi_doc.response_validator)."""
import hashlib
import json
import os
import secrets
import sys

from apiutil import start_api
from conftest import ROOT, database_url, pg

sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
import jwks as fake_jwks  # noqa: E402

ISSUER = "https://clerk.sentia.test"
PARTY = "https://app.sentia.test"
ROLES = ("viewer", "operator", "manager", "admin")


def start_dash_api(services, prefix, database=None, jwks=None, **extra):
    """sentia-api with Clerk (the fake JWKS), the database (if any) and short
    caches for tests; `extra` overrides any variable."""
    env = dict(CLERK_ISSUER=ISSUER, CLERK_AUTHORIZED_PARTIES=PARTY,
               CLERK_JWKS_REFETCH_INTERVAL_MS=1000, API_KEY_CACHE_TTL_MS=500)
    if jwks is not None:
        env["CLERK_JWKS_URL"] = jwks.url
    if database is not None:
        env["DATABASE_URL"] = database_url(database)
    env.update(extra)
    return start_api(services, prefix, **env)


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
