"""The operator side of the dashboard API over Redis (issue 10 §3 last
bullet, §4; issue 12 throughput), real binaries: the role matrix of every
queue route, listing by state with paging, search and type, one job with its
envelope, retry and delete of one job, ETag round trips, live workers, and
per-minute throughput that matches what a real worker processed. Every JSON
body is validated against docs/openapi.yaml."""
import json

from conftest import wait_until
from dashqueue_support import (RANK, api, call, dead_job, envelope, jwks, push,  # noqa: F401
                               start_worker)

Q = "/api/v1/queues/{queue}"


def matrix_routes(prefix_queue, job_id):
    """(method, path, template, body, least role) of every route of this file's kind."""
    q = prefix_queue
    return [
        ("GET", "/api/v1/queues", "/api/v1/queues", None, "operator"),
        ("GET", f"/api/v1/queues/{q}/jobs?state=ready", Q + "/jobs", None, "operator"),
        ("GET", f"/api/v1/queues/{q}/jobs/{job_id}", Q + "/jobs/{id}", None, "operator"),
        ("GET", f"/api/v1/queues/{q}/throughput", Q + "/throughput", None, "operator"),
        ("GET", "/api/v1/workers", "/api/v1/workers", None, "operator"),
        ("GET", f"/api/v1/jobs/{job_id}", "/api/v1/jobs/{id}", None, "operator"),
        ("POST", f"/api/v1/queues/{q}/pause", Q + "/pause", {}, "operator"),
        ("POST", f"/api/v1/queues/{q}/resume", Q + "/resume", {}, "operator"),
        ("POST", f"/api/v1/queues/{q}/jobs/{job_id}/retry", Q + "/jobs/{id}/retry", {}, "operator"),
        ("DELETE", f"/api/v1/queues/{q}/jobs/{job_id}", Q + "/jobs/{id}", None, "operator"),
        ("POST", "/api/v1/sync/shopify/orders", "/api/v1/sync/{provider}/{resource}", {}, "operator"),
        ("POST", "/api/v1/forecasts/run", "/api/v1/forecasts/run", {"horizon": 4}, "manager"),
        ("POST", "/api/v1/working-capital/compute", "/api/v1/working-capital/compute", {}, "manager"),
        ("POST", f"/api/v1/queues/{q}/dead/retry", Q + "/dead/retry", {"confirm": 999}, "admin"),
        ("DELETE", f"/api/v1/queues/{q}/dead", Q + "/dead", {"confirm": 999}, "admin"),
    ]


def test_role_matrix_of_queue_routes(api, jwks, redis, prefix):
    push(redis, prefix, "mq", envelope("mq"))
    for method, path, template, body, least in matrix_routes("mq", "0" * 32):
        for role in RANK:
            status, _, doc = call(api, jwks, method, path, template, body, role=role)
            if RANK[role] < RANK[least]:
                assert status == 403, (method, path, role, status, doc)
                assert doc["error"]["code"] == "forbidden"
            else:
                assert status not in (401, 403), (method, path, role, status, doc)
                assert status < 500, (method, path, role, status, doc)
    # no role at all: refused everywhere
    status, _, _ = call(api, jwks, "GET", "/api/v1/queues", "/api/v1/queues", role=None)
    assert status == 403


def test_list_pages_by_state_with_cursor_and_etag(api, jwks, redis, prefix):
    envs = [push(redis, prefix, "lq", envelope("lq", "t.a" if i % 2 else "t.b", {"n": i}))
            for i in range(7)]
    seen, cursor = [], None
    while True:
        path = "/api/v1/queues/lq/jobs?state=ready&limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, hdrs, doc = call(api, jwks, "GET", path, Q + "/jobs", role="operator")
        assert status == 200 and doc["total"] == 7
        assert hdrs["cache-control"] == "private, max-age=0"
        seen += [j["id"] for j in doc["items"]]
        cursor = doc["next_cursor"]
        if cursor is None:
            break
    # next to run first: the oldest push runs first
    assert seen == [e["id"] for e in envs]
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues/lq/jobs?state=ready&type=t.a",
                          Q + "/jobs", role="operator")
    assert sorted(j["id"] for j in doc["items"]) == sorted(e["id"] for e in envs[1::2])
    # a cursor of other filters is refused
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues/lq/jobs?state=dead&cursor=3-0000",
                          Q + "/jobs", role="operator")
    assert status == 400 and doc["error"]["code"] == "invalid_parameter"
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues/lq/jobs?state=ready&bogus=1",
                          Q + "/jobs", role="operator")
    assert status == 400 and doc["error"]["code"] == "unknown_parameter"
    for limit in ("0", "201", "2x"):
        status, _, doc = call(api, jwks, "GET", f"/api/v1/queues/lq/jobs?state=ready&limit={limit}",
                              Q + "/jobs", role="operator")
        assert (status, doc["error"]["message"]) == (400, "limit must be an integer from 1 to 200")
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues/nope/jobs?state=ready",
                          Q + "/jobs", role="operator")
    assert status == 404
    # ETag round trip
    path = f"/api/v1/queues/lq/jobs/{envs[0]['id']}"
    status, hdrs, doc = call(api, jwks, "GET", path, Q + "/jobs/{id}", role="operator")
    assert status == 200 and doc["envelope"]["payload"] == {"n": 0} and doc["state"] == "ready"
    status, _, _ = call(api, jwks, "GET", path, Q + "/jobs/{id}", role="operator",
                        headers={"If-None-Match": hdrs["etag"]})
    assert status == 304
    status, _, _ = call(api, jwks, "GET", path, Q + "/jobs/{id}", role="operator",
                        headers={"If-None-Match": '"0123"'})
    assert status == 200


def test_search_finds_a_dead_job_by_payload_text_then_retry_and_delete(api, jwks, redis, prefix):
    for i in range(30):
        dead_job(redis, prefix, "sq", f"ordinary failure {i}")
    target = dead_job(redis, prefix, "sq", "customer Zebedee-4711 order")
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues/sq/jobs?state=dead&q=Zebedee-4711",
                          Q + "/jobs", role="operator")
    assert status == 200
    assert [j["id"] for j in doc["items"]] == [target["id"]]
    assert doc["items"][0]["last_error"] == "failed: customer Zebedee-4711 order"
    # search by id too
    status, _, doc = call(api, jwks, "GET", f"/api/v1/queues/sq/jobs?state=dead&q={target['id']}",
                          Q + "/jobs", role="operator")
    assert [j["id"] for j in doc["items"]] == [target["id"]]
    # retry: dead → ready with attempt 0
    rpath = f"/api/v1/queues/sq/jobs/{target['id']}/retry"
    status, _, doc = call(api, jwks, "POST", rpath, Q + "/jobs/{id}/retry", {}, role="operator")
    assert status == 200 and doc == {"queue": "sq", "job_id": target["id"], "action": "retry",
                                     "from_state": "dead", "touched": 1}
    assert redis.llen(f"{prefix}:{{sq}}:dead") == 30
    ready = [json.loads(e) for e in redis.lrange(f"{prefix}:{{sq}}:ready", 0, -1)]
    assert [e["attempt"] for e in ready if e["id"] == target["id"]] == [0]
    status, _, doc = call(api, jwks, "POST", rpath, Q + "/jobs/{id}/retry", {}, role="operator")
    assert status == 409 and doc["error"]["code"] == "invalid_state"
    # delete the (now ready) job; a second delete finds nothing
    dpath = f"/api/v1/queues/sq/jobs/{target['id']}"
    status, _, doc = call(api, jwks, "DELETE", dpath, Q + "/jobs/{id}", role="operator")
    assert status == 200 and doc["from_state"] == "ready"
    assert redis.llen(f"{prefix}:{{sq}}:ready") == 0
    status, _, doc = call(api, jwks, "DELETE", dpath, Q + "/jobs/{id}", role="operator")
    assert status == 404


def test_queues_workers_and_throughput_match_a_real_worker(api, jwks, redis, prefix, services,
                                                           database):
    w = start_worker(services, prefix, database, "tq:4")
    for i in range(12):
        push(redis, prefix, "tq", envelope("tq", "sys.noop"))
    for i in range(3):
        push(redis, prefix, "tq", envelope("tq", "no.such_type", max_attempts=1))
    wait_until(lambda: redis.hget(f"{prefix}:{{tq}}:stats", "completed") == "12" and
               redis.llen(f"{prefix}:{{tq}}:dead") == 3, timeout=30, what="jobs processed")
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues/tq/throughput", Q + "/throughput",
                          role="operator")
    assert status == 200 and len(doc["points"]) == 60 and doc["window"] == "1h"
    assert sum(p["completed"] for p in doc["points"]) == 12
    assert sum(p["failed"] for p in doc["points"]) == 3
    status, _, day = call(api, jwks, "GET", "/api/v1/queues/tq/throughput?window=24h",
                          Q + "/throughput", role="operator")
    assert len(day["points"]) == 1440 and sum(p["completed"] for p in day["points"]) == 12
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues/tq/throughput?window=2h",
                          Q + "/throughput", role="operator")
    assert status == 400
    status, _, doc = call(api, jwks, "GET", "/api/v1/queues", "/api/v1/queues", role="operator")
    tq = [q for q in doc["queues"] if q["queue"] == "tq"][0]
    assert tq["counters"]["completed"] == 12 and tq["dead"] == 3 and tq["workers"] == 1
    assert tq["counters"]["dead_evicted"] == 0  # under MAX_DEAD_JOBS nothing was dropped
    status, _, doc = call(api, jwks, "GET", "/api/v1/workers", "/api/v1/workers", role="operator")
    assert status == 200 and len(doc["workers"]) == 1
    assert doc["workers"][0]["queues"] == [{"queue": "tq", "slots": 4}]
    w.stop()
