"""sentia-api health and metrics (DESIGN.md §5, §7; docs/API.md health rules):
liveness without I/O, readiness on Redis, /health/detailed healthy /
degraded (worker registry faked with redis-py) / unhealthy (a private Redis
stopped), and /metrics parsed by a small exposition parser and checked
against what the test did.
"""
import json
import re
import time

import pytest

from apiutil import INBOUND, METRICS_AUTH, inbound_params, metric, start_api
from conftest import wait_until
from servers import PrivateRedis

# A latency as sent: milliseconds with at most 3 decimals (it is measured in
# µs), never the 17 digits of a double printed in full.
LATENCY_MS = re.compile(rb'"latency_ms":[0-9]+(\.[0-9]{1,3})?[,}]')


@pytest.fixture
def api(services, prefix):
    a = start_api(services, prefix)
    yield a
    a.stop()


def fake_worker(redis, prefix, wid, queues="webhooks:32", postgres="up"):
    redis.zadd(f"{prefix}:workers", {wid: int(time.time() * 1000)})
    fields = {"id": wid, "host": "h1", "pid": "1", "version": "0.1.0", "queues": queues,
              "concurrency": "32", "in_flight": "0", "started_ms": "1", "heartbeat_ms": "2"}
    if postgres is not None:
        fields.update(postgres=postgres, postgres_changed_ms="3")
    redis.hset(f"{prefix}:worker:{wid}", mapping=fields)
    redis.expire(f"{prefix}:worker:{wid}", 90)


def test_liveness_and_readiness(api):
    status, doc = api.json("/health")
    assert status == 200 and set(doc) == {"status", "service", "version", "commit",
                                          "environment", "timestamp"}, doc
    assert (doc["status"], doc["service"], doc["environment"]) == ("healthy", "sentia-api", "test")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["timestamp"])
    for path in ("/health/live", "/health/liveness"):
        status, doc = api.json(path)
        assert status == 200 and doc["status"] == "alive"
    for path in ("/health/ready", "/health/readiness", "/ready"):
        status, doc = api.json(path)
        assert status == 200 and doc["status"] == "ready" and doc["redis"] == "up"
        assert doc["ready"] is True
        assert LATENCY_MS.search(api.get(path)[2]), "latency_ms: µs resolution, no float noise"


def test_detailed_healthy_then_degraded(api, redis, prefix):
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert status == 200 and doc["status"] == "healthy", doc
    assert doc["components"]["redis"]["status"] == "up"
    assert LATENCY_MS.search(api.get("/health/detailed", METRICS_AUTH)[2])
    assert doc["components"]["queues"]["webhooks"]["ready"] == 0
    assert doc["components"]["postgres"]["status"] == "unknown"
    # A ready job and no live worker for its queue → degraded.
    assert api.post_twilio(inbound_params("SM" + "h" * 32))[0] == 200
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert status == 200 and doc["status"] == "degraded"
    assert any("no live worker" in r for r in doc["reasons"])
    # A live worker serving it → healthy again.
    fake_worker(redis, prefix, "w-1")
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert doc["status"] == "healthy", doc
    assert doc["components"]["workers"]["live"] == 1
    assert doc["components"]["queues"]["webhooks"]["live_workers"] == 1
    assert doc["components"]["postgres"]["status"] == "up"
    # A worker reporting Postgres down → degraded.
    fake_worker(redis, prefix, "w-2", postgres="down")
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert status == 200 and doc["status"] == "degraded"
    assert doc["components"]["postgres"]["status"] == "down"
    # A worker whose registry hash expired is not live.
    redis.delete(f"{prefix}:worker:w-2", f"{prefix}:worker:w-1")
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert doc["components"]["workers"]["live"] == 0 and doc["status"] == "degraded"


def test_detailed_stale_job_degrades(services, prefix, redis):
    api = start_api(services, prefix, STALE_JOB_MS=1000)
    fake_worker(redis, prefix, "w-s")
    old = {"id": "0" * 32, "type": "t", "queue": "webhooks", "attempt": 0, "max_attempts": 20,
           "created_ms": int(time.time() * 1000) - 5000, "dedup_key": None, "request_id": None,
           "payload": {}}
    redis.lpush(f"{prefix}:{{webhooks}}:ready", json.dumps(old))
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert status == 200 and doc["status"] == "degraded"
    assert any("STALE_JOB_MS" in r for r in doc["reasons"])
    assert doc["components"]["queues"]["webhooks"]["oldest_ready_age_ms"] >= 5000
    api.stop()


def test_unhealthy_and_not_ready_when_redis_down(services, prefix):
    r = PrivateRedis()
    try:
        api = start_api(services, prefix, redis_url=r.url, REDIS_TIMEOUT_MS=300)
        assert api.json("/health/detailed", METRICS_AUTH)[1]["status"] == "healthy"
        r.stop()
        time.sleep(0.3)
        t0 = time.time()
        status, h, body = api.get("/health/detailed", METRICS_AUTH)
        assert status == 503 and json.loads(body)["status"] == "unhealthy"
        assert "retry-after" in h
        status, h, body = api.get("/health/ready")
        assert status == 503 and json.loads(body)["status"] == "not_ready" and h["retry-after"]
        assert json.loads(body)["ready"] is False
        assert api.get("/health")[0] == 200  # no I/O: unaffected
        assert time.time() - t0 < 2
        ms = api.metrics()
        assert metric(ms, "sentia_redis_up") == 0
        api.stop()
    finally:
        r.close()


def test_metrics_exposition_counts(api, redis, prefix):
    for i in range(3):
        assert api.post_twilio(inbound_params(f"SM{i:032d}"))[0] == 200
    assert api.post_twilio(inbound_params("SM" + "0" * 32))[1]["x-sentia-duplicate"] == "1"
    assert api.post_twilio(inbound_params("SMx"), sig="bad")[0] == 403
    assert api.get("/nope/123")[0] == 404
    # A job type's histogram as a worker's ack script leaves it (non-cumulative).
    redis.hset(f"{prefix}:{{webhooks}}:jobstats", mapping={
        "whatsapp.inbound|completed": 3, "whatsapp.inbound|failed": 1, "whatsapp.inbound|sum_us": 4500,
        "whatsapp.inbound|le:0.001": 2, "whatsapp.inbound|le:0.005": 1, "whatsapp.inbound|le:+Inf": 1})
    # What fail.lua counts when the dead list is at MAX_DEAD_JOBS (issue 17 §7).
    redis.hincrby(f"{prefix}:{{webhooks}}:stats", "dead_evicted", 7)
    fake_worker(redis, prefix, "w-m")
    ms = api.metrics()
    assert metric(ms, "sentia_http_requests_total", route=INBOUND, status="200") == 4
    assert metric(ms, "sentia_http_requests_total", route=INBOUND, status="403") == 1
    assert metric(ms, "sentia_http_requests_total", route="other", status="404") == 1
    assert metric(ms, "sentia_http_request_duration_seconds_count", route=INBOUND) == 5
    assert metric(ms, "sentia_http_request_duration_seconds_bucket", route=INBOUND, le="+Inf") == 5
    assert metric(ms, "sentia_webhook_rejections_total", source="twilio", reason="invalid_signature") == 1
    assert metric(ms, "sentia_queue_jobs", queue="webhooks", state="ready") == 3
    assert metric(ms, "sentia_queue_jobs", queue="webhooks", state="dead") == 0
    assert metric(ms, "sentia_queue_events_total", queue="webhooks", event="enqueued") == 3
    assert metric(ms, "sentia_queue_events_total", queue="webhooks", event="deduped") == 1
    assert metric(ms, "sentia_queue_dead_evicted_total", queue="webhooks") == 7
    assert ("sentia_queue_oldest_ready_age_seconds", frozenset({("queue", "webhooks")})) in ms
    assert metric(ms, "sentia_queue_paused", queue="webhooks") == 0
    assert metric(ms, "sentia_workers_live") == 1
    assert metric(ms, "sentia_redis_up") == 1
    lab = dict(queue="webhooks", type="whatsapp.inbound")
    assert metric(ms, "sentia_job_duration_seconds_bucket", le="0.001", **lab) == 2
    assert metric(ms, "sentia_job_duration_seconds_bucket", le="0.005", **lab) == 3
    assert metric(ms, "sentia_job_duration_seconds_bucket", le="60", **lab) == 3
    assert metric(ms, "sentia_job_duration_seconds_bucket", le="+Inf", **lab) == 4
    assert metric(ms, "sentia_job_duration_seconds_count", **lab) == 4
    assert metric(ms, "sentia_job_duration_seconds_sum", **lab) == pytest.approx(0.0045)
    assert metric(ms, "sentia_jobs_total", outcome="completed", **lab) == 3
    assert metric(ms, "sentia_jobs_total", outcome="failed", **lab) == 1
    assert metric(ms, "sentia_process_resident_memory_bytes") > 1e6
    assert metric(ms, "sentia_process_uptime_seconds") > 0
    # Unknown paths share one label: cardinality stays bounded.
    routes = {dict(k[1]).get("route") for k in ms if k[0] == "sentia_http_requests_total"}
    assert "/nope/123" not in routes


def test_metrics_label_escaping(api, redis, prefix):
    redis.sadd(f"{prefix}:queues", "odd.queue-name_1")
    redis.hset(f"{prefix}:{{odd.queue-name_1}}:jobstats", mapping={'we"ird\\type|completed': 1})
    ms = api.metrics()
    assert metric(ms, "sentia_jobs_total", queue="odd.queue-name_1", type='we"ird\\type',
                  outcome="completed") == 1


def test_history_samples_newest_first_and_records_an_outage(services, prefix):
    r = PrivateRedis()
    try:
        api = start_api(services, prefix, redis_url=r.url, HEALTH_HISTORY_INTERVAL_MS=200,
                        REDIS_TIMEOUT_MS=300)
        assert api.get("/health/history")[0] == 401  # operator role or METRICS_TOKEN
        time.sleep(1.0)
        status, doc = api.json("/health/history", METRICS_AUTH)
        assert status == 200 and doc["window_s"] == 3600 and len(doc["samples"]) >= 3, doc
        s = doc["samples"]
        assert [x["at"] for x in s] == sorted((x["at"] for x in s), reverse=True)
        assert s[0]["status"] == "healthy" and s[0]["reasons"] == []
        assert s[0]["redis_latency_ms"] >= 0 and s[0]["postgres_latency_ms"] is None
        assert s[0]["rss_bytes"] > 0
        r.stop()
        def unhealthy():
            top = api.json("/health/history", METRICS_AUTH)[1]["samples"][0]
            return top if top["status"] == "unhealthy" else None
        top = wait_until(unhealthy, timeout=10, what="an unhealthy sample")
        assert top["reasons"] == ["redis unreachable"] and top["redis_latency_ms"] is None
        api.stop()
    finally:
        r.close()
