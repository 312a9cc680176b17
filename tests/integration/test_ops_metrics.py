"""/metrics as docs/OPERATIONS.md ("Metrics the rules read") defines it:
the HTTP and job bucket sets, build info, the memory limit, live workers
per queue, each worker's Postgres, and the ops.autoscale series.
"""
import time

from apiutil import metric, start_api
from conftest import wait_until

HTTP_SET = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
            "1", "2", "5", "10", "+Inf"]
JOB_SET = HTTP_SET[:-1] + ["30", "60", "300", "+Inf"]


def worker(redis, prefix, wid, queues, postgres=None, **extra):
    now = int(time.time() * 1000)
    redis.zadd(f"{prefix}:workers", {wid: now})
    fields = {"id": wid, "queues": queues, "heartbeat_ms": now, **extra}
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
    worker(redis, prefix, "w1", "webhooks:32,sync:4", postgres="up", rss_bytes=5000,
           memory_limit_bytes=10000)
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
    assert metric(ms, "sentia_worker_resident_memory_bytes", worker="w1") == 5000
    assert metric(ms, "sentia_worker_memory_limit_bytes", worker="w1") == 10000
    assert ("sentia_worker_resident_memory_bytes", frozenset({("worker", "w2")})) not in ms


def test_a_real_worker_publishes_its_memory(services, redis, prefix):
    from sync_support import sync_worker
    w = sync_worker(services, prefix, None)
    fields = redis.hgetall(f"{prefix}:worker:{w.worker_id}")
    assert int(fields["rss_bytes"]) > 1 << 20
    assert int(fields["memory_limit_bytes"]) >= int(fields["rss_bytes"])


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


# ---- PostgreSQL: sentia_postgres_up, freshness, forecast, working capital ----------


def pg_exec(dbname, sql):
    import psycopg2  # noqa: F401  (imported here: only these tests need it)
    from conftest import database_url
    with psycopg2.connect(database_url(dbname)) as conn, conn.cursor() as cur:
        cur.execute(sql)


SEED = """
INSERT INTO sync_state (source, resource, last_success_at) VALUES
  ('shopify', 'orders', now() - interval '5 minutes'),
  ('xero', 'contacts', now() - interval '2 hours'),
  ('unleashed', 'stock', NULL);
INSERT INTO forecast_runs (job_id, status, started_at, finished_at, as_of, bucket, period, horizon,
                           history_start, origin, skus_total, skus_ok, skus_failed, success_rate)
VALUES ('j1', 'succeeded', now() - interval '3 hours', now() - interval '170 minutes', current_date,
        'week', 1, 12, current_date - 365, current_date, 100, 100, 0, 1),
       ('j2', 'failed', now() - interval '1 hour', now() - interval '50 minutes', current_date,
        'week', 1, 12, current_date - 365, current_date, 100, 97, 3, 0.97);
"""


def test_postgres_series_from_the_database(services, redis, prefix, database):
    from conftest import database_url
    pg_exec(database, SEED)
    api = start_api(services, prefix, DATABASE_URL=database_url(database))
    ms = api.metrics()
    assert metric(ms, "sentia_postgres_up") == 1
    now = time.time()
    orders = metric(ms, "sentia_integration_last_success_timestamp_seconds",
                    provider="shopify", resource="orders")
    assert now - 400 < orders < now - 200
    assert metric(ms, "sentia_integration_last_success_timestamp_seconds",
                  provider="unleashed", resource="stock") == 0
    assert ("sentia_integration_last_success_timestamp_seconds",
            frozenset({("provider", "unleashed"), ("resource", "stock")})) in ms
    assert ("sentia_forecast_last_run_success", frozenset()) in ms
    assert metric(ms, "sentia_forecast_last_run_success") == 0  # j2 failed, and is newest
    assert metric(ms, "sentia_forecast_last_run_sku_success_ratio") == 0.97
    assert now - 10800 < metric(ms, "sentia_forecast_last_success_timestamp_seconds") < now - 9000
    # No working-capital snapshot yet: no series (never a 0 that would fire the alert).
    assert ("sentia_working_capital_last_computed_timestamp_seconds", frozenset()) not in ms


def test_detailed_adds_postgres_integrations_and_process(services, redis, prefix, database):
    from apiutil import METRICS_AUTH
    from conftest import database_url
    pg_exec(database, SEED)
    api = start_api(services, prefix, DATABASE_URL=database_url(database))
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert status == 200 and doc["status"] == "degraded", doc
    pg = doc["components"]["postgres"]["api"]
    assert pg["status"] == "up" and pg["latency_ms"] >= 0
    assert pg["pool"]["size"] >= 1 and 0 <= pg["pool"]["in_use"] <= pg["pool"]["size"]
    integ = doc["components"]["integrations"]
    assert (integ["resources"], integ["stale"], integ["promise_s"]) == (3, 2, 1800)
    assert any("xero/contacts" in r for r in doc["reasons"])
    assert any("unleashed/stock" in r for r in doc["reasons"])
    proc = doc["components"]["process"]
    assert proc["rss_bytes"] > 0 and proc["memory_limit_bytes"] > proc["rss_bytes"]
    assert proc["cpu_seconds"] > 0
    # Today's document is still all there.
    assert {"redis", "queues", "workers", "postgres"} <= set(doc["components"])
    assert "workers_up" in doc["components"]["postgres"]


def test_postgres_down_is_0_and_degraded(services, redis, prefix):
    from apiutil import METRICS_AUTH
    api = start_api(services, prefix,
                    DATABASE_URL="postgresql://sentia:x@127.0.0.1:1/none")
    ms = api.metrics()
    assert ("sentia_postgres_up", frozenset()) in ms and metric(ms, "sentia_postgres_up") == 0
    assert not any(n.startswith("sentia_integration_") for n, _ in ms)
    status, doc = api.json("/health/detailed", METRICS_AUTH)
    assert status == 200 and doc["status"] == "degraded"
    assert doc["components"]["postgres"]["api"]["status"] == "down"
    assert "postgres unreachable from this API instance" in doc["reasons"]


def test_webhook_ack_histogram_counts_accepted_webhooks(services, redis, prefix):
    api = start_api(services, prefix)
    status = api.post_shopify(b'{"id": 1}', webhook_id="wh-ack-1")[0]
    assert status == 200
    assert api.post_shopify(b'{"id": 2}', secret="wrong", webhook_id="wh-ack-2")[0] == 401
    ms = api.metrics()
    assert metric(ms, "sentia_webhook_ack_duration_seconds_count", source="shopify") == 1
    assert metric(ms, "sentia_webhook_ack_duration_seconds_bucket", source="shopify",
                  le="+Inf") == 1
    assert buckets(ms, "sentia_webhook_ack_duration_seconds_bucket", source="twilio") == HTTP_SET
    assert metric(ms, "sentia_webhook_ack_duration_seconds_count", source="twilio") == 0


def test_queue_wait_from_enqueue_to_start(services, redis, prefix):
    from sync_support import enqueue, sync_worker, wait_finished
    api = start_api(services, prefix)
    for _ in range(3):
        enqueue(prefix, "sync", "sys.noop")
    sync_worker(services, prefix, None)
    wait_finished(prefix, "sync", 3, timeout=30)
    # workers add waits up in memory and flush them with each heartbeat (worker/core/waits.h)
    wait_until(lambda: metric(api.metrics(), "sentia_queue_wait_seconds_count", queue="sync") == 3,
               timeout=15, what="the worker's wait sums flushed")
    ms = api.metrics()
    assert metric(ms, "sentia_queue_wait_seconds_sum", queue="sync") > 0
    assert buckets(ms, "sentia_queue_wait_seconds_bucket", queue="sync") == JOB_SET
    assert metric(ms, "sentia_queue_wait_seconds_bucket", queue="sync", le="+Inf") == 3


def test_every_name_the_rules_and_dashboard_read_is_exported(services, redis, prefix, database):
    """monitoring/ must read metrics that exist: with every source present
    (a worker, job and wait figures, sync, forecast and working-capital rows),
    one scrape holds every sentia_ name alerts.yml and the dashboard use."""
    import os
    import re
    from conftest import ROOT, database_url
    pg_exec(database, SEED + """
INSERT INTO working_capital_snapshots (job_id, as_of, days, receivables, payables, inventory_value,
                                       revenue, cogs) VALUES ('wc1', current_date, 90, 1, 1, 1, 1, 1);
""")
    api = start_api(services, prefix, DATABASE_URL=database_url(database))
    redis.sadd(f"{prefix}:queues", "sync")
    redis.hset(f"{prefix}:{{sync}}:jobstats", mapping={"x.y|le:2": 1, "x.y|sum_us": 1_500_000,
                                                      "x.y|completed": 1})
    redis.hset(f"{prefix}:{{sync}}:waitstats", mapping={"le:0.5": 1, "sum_us": 400_000})
    worker(redis, prefix, "w1", "sync:4", postgres="up", rss_bytes=5000, memory_limit_bytes=10000)
    assert api.get("/health")[0] == 200
    read = set()
    for f in ("alerts.yml", "grafana-dashboard.json"):
        with open(os.path.join(ROOT, "monitoring", f)) as fh:
            read |= set(re.findall(r"\bsentia_[a-z0-9_]+", fh.read()))
    read = {re.sub(r"_(bucket|sum|count)$", "", n) for n in read}
    assert read, "no metric names found in monitoring/"

    def missing():
        names = {re.sub(r"_(bucket|sum|count)$", "", n) for n, _ in api.metrics()}
        return sorted(read - names)
    # A request is counted when h2o disposes of it, just after its response was
    # written: a scrape served at once by the other API thread can precede that.
    try:
        wait_until(lambda: not missing(), timeout=3, what="every name in a scrape")
    except AssertionError:
        pass
    assert missing() == []
