"""/metrics as docs/OPERATIONS.md ("Metrics the rules read") defines it:
the HTTP and job bucket sets, build info, the memory limit, live workers
per queue, each worker's Postgres, and the ops.autoscale series.
"""
import time

from apiutil import metric, start_api

HTTP_SET = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
            "1", "2", "5", "10", "+Inf"]
JOB_SET = HTTP_SET[:-1] + ["30", "60", "300", "+Inf"]


def worker(redis, prefix, wid, queues, postgres=None):
    now = int(time.time() * 1000)
    redis.zadd(f"{prefix}:workers", {wid: now})
    fields = {"id": wid, "queues": queues, "heartbeat_ms": now}
    if postgres:
        fields["postgres"] = postgres
    redis.hset(f"{prefix}:worker:{wid}", mapping=fields)
    redis.expire(f"{prefix}:worker:{wid}", 90)


def buckets(ms, name, **labels):
    want = frozenset(labels.items())
    return sorted((dict(k)["le"] for n, k in ms if n == name and want <= k),
                  key=lambda le: float(le))


def test_bucket_sets_answer_the_slo_and_alert_lines(services, redis, prefix):
    api = start_api(services, prefix)
    assert api.get("/health")[0] == 200
    redis.sadd(f"{prefix}:queues", "sync")
    redis.hset(f"{prefix}:{{sync}}:jobstats",
               mapping={"x.y|le:300": 2, "x.y|le:2": 1, "x.y|sum_us": 400_000_000})
    ms = api.metrics()
    assert buckets(ms, "sentia_http_request_duration_seconds_bucket", route="/health") == HTTP_SET
    assert buckets(ms, "sentia_job_duration_seconds_bucket", queue="sync", type="x.y") == JOB_SET
    assert metric(ms, "sentia_job_duration_seconds_bucket", queue="sync", type="x.y", le="60") == 1
    assert metric(ms, "sentia_job_duration_seconds_bucket", queue="sync", type="x.y",
                  le="300") == 3


def test_build_memory_workers_and_postgres(services, redis, prefix):
    api = start_api(services, prefix)
    redis.sadd(f"{prefix}:queues", "sync", "notify")
    worker(redis, prefix, "w1", "webhooks:32,sync:4", postgres="up")
    worker(redis, prefix, "w2", "sync:4", postgres="down")
    ms = api.metrics()
    info = [dict(k) for n, k in ms if n == "sentia_build_info"]
    assert len(info) == 1 and info[0]["environment"] == "test" and info[0]["version"]
    assert info[0]["commit"]
    assert metric(ms, "sentia_memory_limit_bytes") > 1 << 20
    assert metric(ms, "sentia_queue_workers_live", queue="sync") == 2
    assert metric(ms, "sentia_queue_workers_live", queue="webhooks") == 1
    assert ("sentia_queue_workers_live", frozenset({("queue", "notify")})) in ms  # 0, present
    assert metric(ms, "sentia_worker_postgres_up", worker="w1") == 1
    assert ("sentia_worker_postgres_up", frozenset({("worker", "w2")})) in ms
    assert metric(ms, "sentia_worker_postgres_up", worker="w2") == 0


def test_autoscale_series_follow_the_state_hash(services, redis, prefix):
    api = start_api(services, prefix)
    assert not any(n.startswith("sentia_autoscale_") for n, _ in api.metrics())  # never ran
    redis.hset(f"{prefix}:autoscale", mapping={
        "sample_ms": 1_700_000_000_000, "current": 2, "need": 5, "need_down": 4, "desired": 4,
        "enabled": 1, "reason": "up", "render": "ok", "decisions|up": 3, "decisions|steady": 7,
        "scales": 3, "render_errors": 1})
    ms = api.metrics()
    assert metric(ms, "sentia_autoscale_current_workers") == 2
    assert metric(ms, "sentia_autoscale_need_workers") == 5
    assert metric(ms, "sentia_autoscale_desired_workers") == 4
    assert metric(ms, "sentia_autoscale_enabled") == 1
    assert metric(ms, "sentia_autoscale_last_decision_timestamp_seconds") == 1_700_000_000
    assert metric(ms, "sentia_autoscale_decisions_total", reason="up") == 3
    assert metric(ms, "sentia_autoscale_decisions_total", reason="steady") == 7
    assert ("sentia_autoscale_decisions_total", frozenset({("reason", "cooldown")})) in ms
    assert metric(ms, "sentia_autoscale_scales_total") == 3
    assert metric(ms, "sentia_autoscale_render_errors_total") == 1
