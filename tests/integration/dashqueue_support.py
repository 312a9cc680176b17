"""Shared fixtures of the dashboard queue and command tests (issue 10 §3 last
bullet, §4; issue 12 throughput): sentia-api with the fake Clerk JWKS and a
migrated database, tokens per role, envelopes written the way the queue
library writes them, and requests whose JSON bodies are checked against
docs/openapi.yaml (dashapi.check_contract)."""
import json
import secrets
import time

import pytest

from conftest import base_env, wait_until
from dashapi import bearer, check_contract, jwks, start_dash_api, token  # noqa: F401  (jwks: fixture)

RANK = {"viewer": 1, "operator": 2, "manager": 3, "admin": 4}


@pytest.fixture
def api(services, prefix, database, jwks):
    a = start_dash_api(services, prefix, database, jwks)
    # commands need the audit log: wait until every pool of every thread is connected
    # (API_THREADS=2, each with a read-only and a read-write pool: 4 "postgres up" lines)
    wait_until(lambda: sum(r.get("msg") == "postgres up" for r in a.service.logs()) >= 4,
               what="the API threads' Postgres pools")
    yield a
    a.stop()


def auth(jwks, role="admin", **extra):
    """A Bearer header for one fixed user per role (Idempotency-Keys are per caller)."""
    h = bearer(token(jwks, role=role, sub=f"user_{role}"))
    h.update(extra)
    return h


def call(api, jwks, method, path, template, body=None, role="admin", headers=None, check=True):
    """One request as `role` → (status, headers, parsed body or None); the
    body is validated against the contract of (method, template, status)."""
    h = auth(jwks, role)
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    h.update(headers or {})
    status, hdrs, raw = api.request(method, path, body, h)
    doc = None
    if raw:
        doc = check_contract(method.lower(), template, status, raw) if check else json.loads(raw)
    return status, hdrs, doc


def envelope(queue, type_="t.test", payload=None, **extra):
    """An envelope as queue/job.c writes it (id first)."""
    env = {"id": secrets.token_hex(16), "type": type_, "queue": queue, "attempt": 0,
           "max_attempts": 3, "created_ms": int(time.time() * 1000), "dedup_key": None,
           "request_id": None, "payload": payload or {}}
    env.update(extra)
    return env


def push(redis, prefix, queue, env, state="ready"):
    """Registers the queue and puts an envelope in `state` (ready or dead)."""
    redis.sadd(f"{prefix}:queues", queue)
    redis.lpush(f"{prefix}:{{{queue}}}:{state}", json.dumps(env, separators=(",", ":")))
    return env


def dead_job(redis, prefix, queue, text="boom"):
    return push(redis, prefix, queue,
                envelope(queue, payload={"text": text}, attempt=3, last_error="failed: " + text,
                         failed_ms=int(time.time() * 1000)), "dead")


def start_worker(services, prefix, database, queues, **extra):
    env = dict(WORKER_QUEUES=queues, DEFAULT_LEAD_TIME_DAYS=10, SERVICE_LEVEL="0.95",
               REVIEW_PERIOD_DAYS=7, BASE_CURRENCY="GBP")
    env.update(extra)
    w = services("sentia-worker", env=base_env(prefix=prefix, dbname=database, **env))
    w.wait_log(lambda r: r.get("msg") == "worker started")
    return w
