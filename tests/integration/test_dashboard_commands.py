"""Dashboard commands (issue 10 §4), real binaries: an Idempotency-Key
repeated gives the first answer and one job; a stale `confirm` is refused
409 with nothing touched; every command writes its audit_log row; a
command's job is followed at its status_url to the end with a real worker
(forecast.run honouring skus and horizon); without Postgres a command is
refused 503 and does nothing. Every JSON body is validated against
docs/openapi.yaml."""
import json

from conftest import pg, wait_until
from dashapi import start_dash_api
from dashqueue_support import api, call, dead_job, envelope, jwks, push, start_worker  # noqa: F401

WC = "/api/v1/working-capital/compute"
Q = "/api/v1/queues/{queue}"


def audit_rows(database, request_id):
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute("SELECT action, target, outcome, auth_kind, role, detail FROM audit_log"
                    " WHERE request_id = %s", (request_id,))
        rows = cur.fetchall()
    conn.close()
    return rows


def test_idempotency_key_repeated_gives_one_job(api, jwks, redis, prefix):
    key = {"Idempotency-Key": "wc-2026-12-04"}
    s1, h1, d1 = call(api, jwks, "POST", WC, WC, {}, role="manager", headers=key)
    s2, h2, d2 = call(api, jwks, "POST", WC, WC, {}, role="manager", headers=key)
    assert s1 == s2 == 202 and d1 == d2
    assert h1["location"] == d1["status_url"] and "x-sentia-duplicate" not in h1
    assert h2["x-sentia-duplicate"] == "1"
    assert redis.llen(f"{prefix}:{{forecast}}:ready") == 1
    # same key, other request → 422, nothing enqueued
    s3, _, d3 = call(api, jwks, "POST", "/api/v1/forecasts/run", "/api/v1/forecasts/run", {},
                     role="manager", headers=key)
    assert s3 == 422 and d3["error"]["code"] == "idempotency_key_reused"
    assert redis.llen(f"{prefix}:{{forecast}}:ready") == 1
    s4, _, d4 = call(api, jwks, "POST", WC, WC, {}, role="manager",
                     headers={"Idempotency-Key": "bad key with spaces"})
    assert s4 == 400 and d4["error"]["code"] == "invalid_idempotency_key"


def test_confirm_mismatch_is_refused_and_touches_nothing(api, jwks, redis, prefix):
    for i in range(3):
        dead_job(redis, prefix, "cq", f"failure {i}")
    dead = f"{prefix}:{{cq}}:dead"
    before = redis.lrange(dead, 0, -1)
    for method, path, template in (("DELETE", "/api/v1/queues/cq/dead", Q + "/dead"),
                                   ("POST", "/api/v1/queues/cq/dead/retry", Q + "/dead/retry")):
        for wrong in (2, 4, 0):
            status, _, doc = call(api, jwks, method, path, template, {"confirm": wrong})
            assert status == 409 and doc["error"]["code"] == "confirm_mismatch", doc
            assert redis.lrange(dead, 0, -1) == before
        status, _, doc = call(api, jwks, method, path, template, {})
        assert status == 400 and doc["error"]["code"] == "missing_field"
        status, _, doc = call(api, jwks, method, path, template, {"confirm": "3"})
        assert status == 400 and doc["error"]["code"] == "invalid_field"
        status, _, doc = call(api, jwks, method, path, template, {"confirm": 3, "all": True})
        assert status == 400 and doc["error"]["code"] == "unknown_field"
    # retry all: the three move to ready (oldest first), attempt 0; a malformed one stays
    redis.rpush(dead, "not json")
    status, _, doc = call(api, jwks, "POST", "/api/v1/queues/cq/dead/retry", Q + "/dead/retry",
                          {"confirm": 4})
    assert status == 200 and doc == {"queue": "cq", "action": "retry", "touched": 3,
                                     "skipped_malformed": 1}
    assert redis.lrange(dead, 0, -1) == ["not json"]
    ready = [json.loads(e) for e in redis.lrange(f"{prefix}:{{cq}}:ready", 0, -1)]
    assert sorted(e["id"] for e in ready) == sorted(json.loads(e)["id"] for e in before)
    assert all(e["attempt"] == 0 for e in ready)
    status, _, doc = call(api, jwks, "DELETE", "/api/v1/queues/cq/dead", Q + "/dead", {"confirm": 1})
    assert status == 200 and doc["touched"] == 1 and redis.llen(dead) == 0


def test_every_command_writes_its_audit_row(api, jwks, redis, prefix, database):
    job = push(redis, prefix, "aq", envelope("aq"))
    dead = dead_job(redis, prefix, "aq")
    commands = [
        ("POST", "/api/v1/queues/aq/pause", Q + "/pause", {}, "queue.pause", "done"),
        ("POST", "/api/v1/queues/aq/resume", Q + "/resume", {}, "queue.resume", "done"),
        ("POST", f"/api/v1/queues/aq/jobs/{dead['id']}/retry", Q + "/jobs/{id}/retry", {},
         "job.retry", "done"),
        ("DELETE", f"/api/v1/queues/aq/jobs/{job['id']}", Q + "/jobs/{id}", None, "job.delete",
         "done"),
        ("POST", "/api/v1/queues/aq/dead/retry", Q + "/dead/retry", {"confirm": 5}, "dead.retry",
         "refused"),
        ("DELETE", "/api/v1/queues/aq/dead", Q + "/dead", {"confirm": 0}, "dead.delete", "done"),
        ("POST", "/api/v1/sync/xero/invoices", "/api/v1/sync/{provider}/{resource}", {},
         "sync.start", "accepted"),
        ("POST", "/api/v1/forecasts/run", "/api/v1/forecasts/run", {"skus": ["A"]},
         "forecast.run", "accepted"),
        ("POST", WC, WC, {}, "working_capital.compute", "accepted"),
    ]
    for method, path, template, body, action, outcome in commands:
        status, hdrs, doc = call(api, jwks, method, path, template, body)
        rid = hdrs["x-request-id"]
        wait_until(lambda: len(audit_rows(database, rid)) == 1, what=f"audit row of {action}")
        row = audit_rows(database, rid)[0]
        assert row[0] == action and row[2] == outcome, (row, status, doc)
        assert row[3] == "clerk" and row[4] == "admin" and row[5]["status"] == status
    # a replay is audited as such
    key = {"Idempotency-Key": "audit-replay"}
    call(api, jwks, "POST", "/api/v1/queues/aq/pause", Q + "/pause", {}, headers=key)
    _, hdrs, _ = call(api, jwks, "POST", "/api/v1/queues/aq/pause", Q + "/pause", {}, headers=key)
    wait_until(lambda: len(audit_rows(database, hdrs["x-request-id"])) == 1, what="replay row")
    assert audit_rows(database, hdrs["x-request-id"])[0][2] == "replayed"


def test_status_url_follows_command_jobs_to_the_end(api, jwks, redis, prefix, services, database):
    start_worker(services, prefix, database, "forecast:1")
    status, hdrs, doc = call(api, jwks, "POST", WC, WC, {}, role="manager")
    assert status == 202 and doc["queue"] == "forecast" and doc["type"] == "working_capital.compute"
    url = doc["status_url"]

    def state():
        s, _, d = call(api, jwks, "GET", url, "/api/v1/jobs/{id}", role="operator")
        assert s == 200
        return d

    wait_until(lambda: state()["state"] == "succeeded", timeout=30, what="wc job succeeded")
    d = state()
    assert d["attempts"] == 1 and d["finished_at"] and d["started_at"] and d["last_error"] is None
    assert d["request_id"] == hdrs["x-request-id"] and d["requested_by"]
    ttl = redis.ttl(f"{prefix}:{{forecast}}:track:{doc['job_id']}")
    assert 3500 < ttl <= 3600
    # forecast.run with skus and horizon: the run honours both
    body = {"skus": ["NOPE-1"], "horizon": 3}
    status, _, doc = call(api, jwks, "POST", "/api/v1/forecasts/run", "/api/v1/forecasts/run", body,
                          role="manager")
    url = doc["status_url"]
    wait_until(lambda: state()["state"] in ("succeeded", "dead"), timeout=60, what="forecast run")
    assert state()["state"] == "succeeded", state()
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute("SELECT horizon, skus_total FROM forecast_runs WHERE job_id = %s",
                    (doc["job_id"],))
        horizon, skus = cur.fetchone()
    conn.close()
    assert horizon == 3 and skus == 0
    status, _, _ = call(api, jwks, "GET", "/api/v1/jobs/" + "f" * 32, "/api/v1/jobs/{id}",
                        role="operator")
    assert status == 404


def test_sync_checks_provider_and_resource(api, jwks, redis, prefix):
    path = "/api/v1/sync/{provider}/{resource}"
    status, _, doc = call(api, jwks, "POST", "/api/v1/sync/shopify/invoices", path, {},
                          role="operator", check=False)
    assert status == 404
    redis.hset(f"{prefix}:sync:providers", "xero", '{"configured":false,"missing":"XERO_CLIENT_ID"}')
    status, _, doc = call(api, jwks, "POST", "/api/v1/sync/xero/contacts", path, {}, role="operator")
    assert status == 422 and doc["error"]["code"] == "provider_not_configured"
    assert redis.llen(f"{prefix}:{{sync}}:ready") == 0
    status, _, doc = call(api, jwks, "POST", "/api/v1/sync/unleashed/stock", path, {}, role="operator")
    assert status == 202 and doc["type"] == "unleashed.sync_stock" and doc["queue"] == "sync"
    env = json.loads(redis.lindex(f"{prefix}:{{sync}}:ready", 0))
    assert env["type"] == "unleashed.sync_stock" and env["track"] is True


def test_without_postgres_commands_are_refused_and_do_nothing(services, prefix, jwks, redis):
    a = start_dash_api(services, prefix, None, jwks,
                       DATABASE_URL="postgresql://sentia:sentia@127.0.0.1:1/sentia")
    try:
        status, _, doc = call(a, jwks, "POST", WC, WC, {}, role="manager")
        assert status == 503 and doc["error"]["code"] == "database_unavailable"
        assert redis.llen(f"{prefix}:{{forecast}}:ready") == 0
        # Redis-only reads still answer
        status, _, doc = call(a, jwks, "GET", "/api/v1/queues", "/api/v1/queues", role="operator")
        assert status == 200
        # the refusal's audit row waits in Redis for Postgres
        assert redis.llen(f"{prefix}:audit:pending") == 1
    finally:
        a.stop()


def test_admin_api_keys_and_audit(api, jwks, redis, prefix, database):
    keys = "/api/v1/admin/api-keys"
    status, _, doc = call(api, jwks, "POST", keys, keys, {"name": "prometheus", "role": "operator"},
                          headers={"Idempotency-Key": "ignored"})
    assert status == 201 and doc["key"].startswith("sentia_") and doc["revoked_at"] is None
    key, kid = doc["key"], doc["id"]
    # the new key works, and is stored only as its hash
    status, _, me = call(api, jwks, "GET", "/api/v1/queues", "/api/v1/queues", role="operator")
    s, _, raw = api.request("GET", "/api/v1/queues", None, {"Authorization": "Bearer " + key})
    assert s == 200
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM api_keys WHERE key_hash LIKE %s", ("%" + key[7:15] + "%",))
        assert cur.fetchone()[0] == 0
    conn.close()
    status, _, doc = call(api, jwks, "POST", keys, keys, {"name": "x", "role": "root"})
    assert status == 400 and doc["error"]["code"] == "invalid_field"
    status, _, page = call(api, jwks, "GET", keys + "?limit=1", keys)
    assert status == 200 and [k["id"] for k in page["items"]] == [kid] and "key" not in page["items"][0]
    # revoke: effective at once in this process, idempotent
    path = f"{keys}/{kid}"
    status, _, doc = call(api, jwks, "DELETE", path, keys + "/{id}")
    assert status == 200 and doc["revoked_at"] and doc["revoked_by"] == "user_admin"
    s, _, _ = api.request("GET", "/api/v1/queues", None, {"Authorization": "Bearer " + key})
    assert s == 401
    status, _, again = call(api, jwks, "DELETE", path, keys + "/{id}")
    assert status == 200 and again["revoked_at"] == doc["revoked_at"]
    status, _, doc = call(api, jwks, "DELETE", keys + "/999999", keys + "/{id}")
    assert status == 404
    status, _, page = call(api, jwks, "GET", keys + "?revoked=false", keys)
    assert page["items"] == []
    # the audit log lists these commands, newest first, filtered
    audit = "/api/v1/admin/audit"
    wait_until(lambda: len(call(api, jwks, "GET", audit + "?action=api_key.revoke", audit)[2]["items"]) == 3,
               what="revoke rows")
    status, _, page = call(api, jwks, "GET", audit + "?action=api_key.create&limit=1", audit)
    assert status == 200 and page["items"][0]["outcome"] == "refused" and page["next_cursor"]
    status, _, more = call(api, jwks, "GET", f"{audit}?action=api_key.create&cursor={page['next_cursor']}",
                           audit)
    assert [e["outcome"] for e in more["items"]] == ["done"] and more["next_cursor"] is None
    assert more["items"][0]["target"] == f"api_key:{kid}"
    # both pages read their query string and paging alike: each bad one named
    for t, q, code, message in (
            (keys, "?limit=0", "invalid_parameter", "limit must be an integer from 1 to 200"),
            (audit, "?limit=201", "invalid_parameter", "limit must be an integer from 1 to 200"),
            (keys, "?cursor=12a", "invalid_parameter", "cursor is malformed"),
            (audit, "?cursor=", "invalid_parameter", "cursor is malformed"),
            (keys, "?revoked=maybe", "invalid_parameter", "revoked must be true or false"),
            (keys, "?revoked=maybe&limit=x", "invalid_parameter", "limit must be an integer from 1 to 200"),
            (audit, "?revoked=true", "unknown_parameter", 'unknown parameter "revoked"'),
            (keys, "?limit=1&limit=2", "invalid_parameter", "parameter limit is malformed or repeated")):
        status, _, doc = call(api, jwks, "GET", t + q, t)
        assert (status, doc["error"]["code"], doc["error"]["message"]) == (400, code, message), q
    for role in ("viewer", "operator", "manager"):
        for method, p, t in (("GET", keys, keys), ("GET", audit, audit), ("POST", keys, keys),
                             ("DELETE", path, keys + "/{id}")):
            s, _, d = call(api, jwks, method, p, t, {"name": "n", "role": "viewer"} if method == "POST"
                           else None, role=role)
            assert s == 403, (method, p, role, s)
