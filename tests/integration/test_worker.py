"""sentia-worker against real Redis and PostgreSQL (the sanitizer build).

Proves: each built-in job type drains; a backlog on one queue does not delay
another; an unknown type and a malformed envelope go to dead at once; a run
over its timeout fails and is retried; a SIGKILLed worker's jobs are finished
by another; SIGTERM under load exits 0 in time with unfinished jobs back in
ready and no finished job run twice; a pause stops delivery within 2 s; two
workers never run one job twice; a Postgres outage (through a TCP proxy the
test controls) and a Redis outage (a private redis-server restarted) lose no
job and spend no attempt; `sentia-queue workers` and the registry show the
worker and its Postgres state; configuration errors exit 78.

Jobs are identified through the worker's debug log ("job started" /
"job finished" lines carry job_id), so the tests count runs, not just
counters.
"""
import json
import socket
import time
import uuid

import pytest

from conftest import (PG_PORT, base_env, database_url, git_head,
                      run, wait_until)
from servers import PrivateRedis, TcpProxy


# ---- helpers -----------------------------------------------------------------

def q(prefix, *args, redis_url=None):
    env = base_env(prefix=prefix)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return run("sentia-queue", *args, env=env)


def qjson(prefix, *args, redis_url=None):
    cp = q(prefix, "--json", *args, redis_url=redis_url)
    assert cp.returncode == 0, cp.stderr
    return json.loads(cp.stdout)


def stats(prefix, queue, redis_url=None):
    return qjson(prefix, "stats", queue, redis_url=redis_url)["queues"][0]


def enqueue(prefix, queue, type_, payload=None, count=1, redis_url=None):
    args = ["enqueue", queue, type_]
    if payload is not None:
        args.append(json.dumps(payload))
    if count > 1:
        args += ["--count", count]
    cp = q(prefix, *args, redis_url=redis_url)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.strip()


def envelope(queue, type_, payload, **extra):
    e = {"id": uuid.uuid4().hex, "type": type_, "queue": queue, "attempt": 0,
         "max_attempts": 20, "created_ms": int(time.time() * 1000), "dedup_key": None,
         "request_id": None, "payload": payload}
    e.update(extra)
    return e


def push_raw(redis, prefix, queue, raw):
    redis.sadd(f"{prefix}:queues", queue)
    redis.lpush(f"{prefix}:{{{queue}}}:ready", raw)


def start_worker(services, prefix, queues="webhooks:8", dbname=None, **extra):
    env = base_env(prefix=prefix, dbname=dbname, WORKER_QUEUES=queues, **extra)
    w = services("sentia-worker", env=env)
    w.wait_log(lambda r: r.get("msg") == "redis connected" and r.get("redis") == "worker")
    started = w.wait_log(lambda r: r.get("msg") == "worker started")
    w.worker_id = started["worker_id"]
    return w


def completed(prefix, queue, n, timeout=30, redis_url=None):
    return wait_until(lambda: (lambda s: s if s["counters"]["completed"] >= n else None)(
        stats(prefix, queue, redis_url)), timeout=timeout, what=f"{n} completed on {queue}")


def finished_ids(worker, outcome="ack"):
    return [r["job_id"] for r in worker.logs()
            if r.get("msg") == "job finished" and r.get("outcome") == outcome]


def registry(redis, prefix, worker_id):
    return redis.hgetall(f"{prefix}:worker:{worker_id}")


# ---- draining ------------------------------------------------------------------

def test_drains_each_builtin_type(prefix, redis, database, services):
    enqueue(prefix, "webhooks", "sys.noop", count=300)
    enqueue(prefix, "webhooks", "sys.sleep", {"ms": 100}, count=10)
    enqueue(prefix, "webhooks", "sys.db_ping", count=20)
    w = start_worker(services, prefix, "webhooks:16", dbname=database)
    s = completed(prefix, "webhooks", 330)
    assert (s["ready"], s["active"], s["dead"], s["counters"]["failed"]) == (0, 0, 0, 0)
    js = redis.hgetall(f"{prefix}:{{webhooks}}:jobstats")
    assert js["sys.noop|completed"] == "300"
    assert js["sys.sleep|completed"] == "10" and js["sys.db_ping|completed"] == "20"
    assert int(js["sys.sleep|sum_us"]) >= 10 * 95000  # libuv timers count whole loop ms
    assert sum(int(js.get(f"sys.sleep|le:{b}", 0)) for b in ("0.1", "0.25", "0.5")) == 10
    wait_until(lambda: registry(redis, prefix, w.worker_id).get("postgres") == "up",
               what="registry postgres=up")
    assert registry(redis, prefix, w.worker_id)["version"].endswith(" " + (git_head() or "unknown"))
    w.stop()
    assert redis.zscore(f"{prefix}:workers", w.worker_id) is None
    assert registry(redis, prefix, w.worker_id) == {}


def test_backlog_on_one_queue_does_not_delay_another(prefix, redis, services):
    enqueue(prefix, "sync", "sys.sleep", {"ms": 50}, count=2000)
    w = start_worker(services, prefix, "sync:4,notify:4", LOG_LEVEL="debug", SHUTDOWN_TIMEOUT=1)
    wait_until(lambda: stats(prefix, "sync")["active"] == 4, what="sync slots busy")
    latencies = []
    for _ in range(5):
        job_id = enqueue(prefix, "notify", "sys.noop")
        rec = w.wait_log(lambda r: r.get("msg") == "job started" and r.get("job_id") == job_id)
        latencies.append(rec["wait_us"] / 1000.0)
        time.sleep(0.1)
    assert stats(prefix, "sync")["ready"] > 1500, "the backlog must still be there"
    assert max(latencies) < 250, f"notify start latency behind a sync backlog: {latencies} ms"
    w.stop()


# ---- failures ------------------------------------------------------------------

def test_unknown_type_goes_dead_at_once(prefix, services):
    job_id = enqueue(prefix, "webhooks", "no.such_type", {"k": 1})
    w = start_worker(services, prefix)
    s = wait_until(lambda: (lambda s: s if s["dead"] == 1 else None)(stats(prefix, "webhooks")),
                   what="dead")
    w.stop()
    assert s["counters"]["retried"] == 0 and s["counters"]["failed"] == 1
    env = qjson(prefix, "peek", "webhooks", "--state", "dead")["jobs"][0]["envelope"]
    assert env["id"] == job_id and env["last_error"] == "unknown_type"
    assert env["payload"] == {"k": 1}


def test_malformed_envelopes_go_dead_with_their_bytes(prefix, redis, services):
    r = redis.connection_pool.connection_kwargs
    raw_redis = __import__("redis").Redis(host=r["host"], port=r["port"], password=r.get("password"))
    push_raw(raw_redis, prefix, "webhooks", b"not json at all")
    push_raw(raw_redis, prefix, "webhooks", b'{"id":"x","type":"t"}')
    push_raw(raw_redis, prefix, "webhooks", b"\xff\xfe binary")
    w = start_worker(services, prefix)
    wait_until(lambda: stats(prefix, "webhooks")["dead"] == 3, what="3 dead")
    w.stop()
    s = stats(prefix, "webhooks")
    assert (s["ready"], s["active"]) == (0, 0)
    dead = [json.loads(x) for x in redis.lrange(f"{prefix}:{{webhooks}}:dead", 0, -1)]
    assert all(d["type"] == "invalid" and d["queue"] == "webhooks" for d in dead)
    assert all(d["last_error"].startswith("malformed envelope: ") for d in dead)
    kept = {d["payload"].get("raw") or d["payload"].get("raw_base64") for d in dead}
    assert "not json at all" in kept and '{"id":"x","type":"t"}' in kept
    assert "//4gYmluYXJ5" in kept  # base64 of the non-UTF-8 bytes
    raw_redis.close()


def test_run_over_its_timeout_fails_and_is_retried(prefix, redis, services):
    e = envelope("webhooks", "sys.sleep", {"ms": 5000}, timeout_ms=200, max_attempts=2,
                 backoff_ms=100)
    push_raw(redis, prefix, "webhooks", json.dumps(e))
    w = start_worker(services, prefix)
    s = wait_until(lambda: (lambda s: s if s["dead"] == 1 else None)(stats(prefix, "webhooks")),
                   timeout=15, what="timed-out job dead after 2 attempts")
    w.stop()
    assert s["counters"]["failed"] == 2 and s["counters"]["retried"] == 1
    env = qjson(prefix, "peek", "webhooks", "--state", "dead")["jobs"][0]["envelope"]
    assert env["id"] == e["id"] and env["last_error"] == "timeout after 200 ms"
    assert env["attempt"] == 2 and env["timeout_ms"] == 200


def test_bad_payload_is_permanent(prefix, services):
    enqueue(prefix, "webhooks", "sys.sleep", {"ms": "soon"})
    w = start_worker(services, prefix)
    s = wait_until(lambda: (lambda s: s if s["dead"] == 1 else None)(stats(prefix, "webhooks")),
                   what="dead")
    w.stop()
    assert s["counters"]["retried"] == 0
    env = qjson(prefix, "peek", "webhooks", "--state", "dead")["jobs"][0]["envelope"]
    assert env["last_error"].startswith("payload.ms must be")


# ---- crashes and shutdown ------------------------------------------------------

def test_sigkilled_worker_jobs_are_finished_by_another(prefix, redis, services):
    enqueue(prefix, "webhooks", "sys.sleep", {"ms": 300}, count=60)
    ids = {json.loads(x)["id"] for x in redis.lrange(f"{prefix}:{{webhooks}}:ready", 0, -1)}
    a = start_worker(services, prefix, "webhooks:20", WORKER_LEASE_MS=1500, LOG_LEVEL="debug")
    wait_until(lambda: redis.llen(f"{prefix}:{{webhooks}}:active:{a.worker_id}") == 20,
               what="20 jobs held")
    a.kill()
    held = redis.llen(f"{prefix}:{{webhooks}}:active:{a.worker_id}")
    assert held > 0
    b = start_worker(services, prefix, "webhooks:20", WORKER_LEASE_MS=1500, LOG_LEVEL="debug")
    s = completed(prefix, "webhooks", 60, timeout=30)
    b.stop()
    s = stats(prefix, "webhooks")
    assert s["counters"]["completed"] == 60
    assert (s["ready"], s["active"], s["dead"]) == (0, 0, 0)
    assert s["counters"]["recovered"] == held
    assert set(finished_ids(a)) | set(finished_ids(b)) == ids
    assert redis.exists(f"{prefix}:{{webhooks}}:active:{a.worker_id}") == 0
    assert any(r.get("msg") == "recovered the jobs of a worker whose heartbeat stopped"
               for r in b.logs())


def test_sigterm_under_load_hands_back_and_runs_nothing_twice(prefix, redis, services):
    enqueue(prefix, "webhooks", "sys.sleep", {"ms": 400}, count=5)
    enqueue(prefix, "webhooks", "sys.sleep", {"ms": 4000}, count=15)
    a = start_worker(services, prefix, "webhooks:10", SHUTDOWN_TIMEOUT=1, LOG_LEVEL="debug")
    completed(prefix, "webhooks", 5)
    wait_until(lambda: stats(prefix, "webhooks")["active"] == 10, what="10 long jobs running")
    t0 = time.time()
    a.stop(timeout=10)
    assert time.time() - t0 < 3.5, "exit within SHUTDOWN_TIMEOUT plus the hand-back"
    s = stats(prefix, "webhooks")
    assert (s["counters"]["completed"], s["ready"], s["active"], s["dead"]) == (5, 15, 0, 0)
    assert any(r.get("msg") == "unfinished jobs returned to ready" and r["jobs"] == 10
               for r in a.logs())
    assert len([r for r in a.logs() if r.get("outcome") == "abandon"]) == 10
    b = start_worker(services, prefix, "webhooks:15", LOG_LEVEL="debug")
    completed(prefix, "webhooks", 20, timeout=20)
    b.stop()
    done = finished_ids(a) + finished_ids(b)
    assert len(done) == 20 and len(set(done)) == 20, "a finished job ran twice"
    assert stats(prefix, "webhooks")["counters"]["completed"] == 20


def test_pause_stops_delivery_within_two_seconds(prefix, redis, services):
    w = start_worker(services, prefix, "sync:4", LOG_LEVEL="debug")
    assert q(prefix, "pause", "sync").returncode == 0
    time.sleep(2.0)
    enqueue(prefix, "sync", "sys.noop", count=20)
    time.sleep(2.0)
    assert finished_ids(w) == []
    assert stats(prefix, "sync")["ready"] == 20
    assert q(prefix, "resume", "sync").returncode == 0
    completed(prefix, "sync", 20, timeout=10)
    w.stop()
    msgs = [r.get("msg") for r in w.logs()]
    assert "queue paused: not taking jobs" in msgs and "queue resumed" in msgs


def test_two_workers_never_run_a_job_twice(prefix, redis, services):
    a = start_worker(services, prefix, "webhooks:16", LOG_LEVEL="debug")
    b = start_worker(services, prefix, "webhooks:16", LOG_LEVEL="debug")
    for _ in range(3):
        enqueue(prefix, "webhooks", "sys.sleep", {"ms": 1}, count=1000)
    completed(prefix, "webhooks", 3000, timeout=60)
    a.stop()
    b.stop()
    ids_a, ids_b = finished_ids(a), finished_ids(b)
    assert len(ids_a) + len(ids_b) == 3000
    assert len(set(ids_a) | set(ids_b)) == 3000
    assert ids_a and ids_b, "both workers took jobs"


# ---- outages -------------------------------------------------------------------

def test_postgres_outage_defers_jobs_and_loses_none(prefix, redis, database, services):
    proxy = TcpProxy(PG_PORT)
    try:
        url = database_url(database, proxy.port)
        w = start_worker(services, prefix, "webhooks:8", DATABASE_URL=url, PG_POOL_SIZE=2)
        enqueue(prefix, "webhooks", "sys.db_ping", count=50)
        completed(prefix, "webhooks", 50)
        wait_until(lambda: registry(redis, prefix, w.worker_id).get("postgres") == "up",
                   what="postgres up in the registry")
        proxy.down()
        enqueue(prefix, "webhooks", "sys.db_ping", count=100)
        w.wait_log(lambda r: r.get("msg") == "postgres down")
        wait_until(lambda: registry(redis, prefix, w.worker_id).get("postgres") == "down",
                   what="postgres down in the registry")
        time.sleep(3)
        assert stats(prefix, "webhooks")["counters"]["completed"] < 150
        proxy.up()
        s = completed(prefix, "webhooks", 150, timeout=30)
        wait_until(lambda: registry(redis, prefix, w.worker_id).get("postgres") == "up",
                   what="postgres up again in the registry")
        w.stop()
        s = stats(prefix, "webhooks")
        assert s["dead"] == 0 and s["counters"]["retried"] == 0 and s["counters"]["failed"] == 0
        assert s["counters"]["deferred"] > 0
        msgs = [r.get("msg") for r in w.logs()]
        assert msgs.count("postgres down") == 1 and msgs.count("postgres up") == 2
    finally:
        proxy.close()


def test_redis_outage_keeps_results_and_loses_nothing(prefix, services):
    r = PrivateRedis()
    try:
        enqueue(prefix, "webhooks", "sys.sleep", {"ms": 1500}, count=16, redis_url=r.url)
        w = start_worker(services, prefix, "webhooks:8", REDIS_URL=r.url, LOG_LEVEL="debug")
        wait_until(lambda: stats(prefix, "webhooks", r.url)["active"] == 8, what="8 running")
        r.stop()
        w.wait_log(lambda rec: rec.get("msg") == "redis connection lost")
        time.sleep(2.5)  # the running jobs finish while Redis is away
        assert len(finished_ids(w)) >= 8
        r.start()
        completed(prefix, "webhooks", 16, timeout=30, redis_url=r.url)
        w.stop()
        s = stats(prefix, "webhooks", r.url)
        assert s["counters"]["completed"] == 16
        assert (s["ready"], s["active"], s["delayed"], s["dead"]) == (0, 0, 0, 0)
        done = finished_ids(w)
        assert len(done) == 16 and len(set(done)) == 16
    finally:
        r.close()


# ---- visibility and configuration -----------------------------------------------

def test_workers_command_shows_the_worker(prefix, redis, services):
    w = start_worker(services, prefix, "webhooks:3,notify:2", WORKER_LEASE_MS=1500)
    enqueue(prefix, "webhooks", "sys.sleep", {"ms": 4000}, count=3)

    def listed():
        ws = qjson(prefix, "workers")["workers"]
        return ws[0] if ws and ws[0].get("in_flight") == "3" else None

    info = wait_until(listed, timeout=10, what="in_flight 3 in the registry")
    assert info["id"] == w.worker_id and info["queues"] == "webhooks:3,notify:2"
    assert info["concurrency"] == "5" and int(info["pid"]) == w.pid
    assert info["postgres"] == "unknown" and int(info["postgres_changed_ms"]) > 0
    host, pid, rnd = w.worker_id.rsplit("-", 2)
    assert pid == str(w.pid) and len(rnd) == 4 and host == socket.gethostname()[:64]
    table = q(prefix, "workers").stdout
    assert w.worker_id in table and "webhooks:3,notify:2" in table
    for queue in ("webhooks", "notify"):
        assert redis.zscore(f"{prefix}:{{{queue}}}:workers", w.worker_id) is not None
    assert redis.sismember(f"{prefix}:queues", "notify")
    w.stop(timeout=40)
    assert qjson(prefix, "workers")["workers"] == []


@pytest.mark.parametrize("env,expect", [
    ({"WORKER_QUEUES": "webhooks:0"}, ["WORKER_QUEUES", "from 1 to 1024"]),
    ({"WORKER_QUEUES": "a:1,a:2"}, ["listed twice"]),
    ({"WORKER_QUEUES": "bad name:1", "PG_POOL_SIZE": "0"}, ["not a queue name", "PG_POOL_SIZE"]),
    ({"APP_ENV": "production", "SHUTDOWN_TIMEOUT": "x"}, ["DATABASE_URL is required",
                                                          "SHUTDOWN_TIMEOUT"]),
    ({"APP_ENV": "production", "DATABASE_URL": "postgres://u@db/app",
      "TWILIO_API_BASE": "http://api.twilio.com", "XERO_API_BASE": "https://api.xero.com/x",
      "SHOPIFY_API_BASE": "HTTP://shop.example/admin"},
     ["TWILIO_API_BASE must be an https:// URL in production",
      "SHOPIFY_API_BASE must be an https:// URL in production"]),
    ({"MAX_DEAD_JOBS": "0"}, ["MAX_DEAD_JOBS must be an integer from 1"]),
    ({"REDIS_URL": None, "DATABASE_URL": "mysql://x"}, ["REDIS_URL is required",
                                                        "DATABASE_URL"]),
])
def test_configuration_errors_exit_78(prefix, env, expect):
    e = base_env(prefix=prefix)
    for k, v in env.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    cp = run("sentia-worker", env=e, timeout=20)
    assert cp.returncode == 78, cp.stdout + cp.stderr
    assert cp.stderr.count("\n") == 1
    for text in expect:
        assert text in cp.stderr, cp.stderr


def test_max_dead_jobs_caps_counts_and_logs_once_per_burst(prefix, redis, services):
    """MAX_DEAD_JOBS keeps the newest N dead jobs; what it drops is counted in
    dead_evicted and logged in one line per burst, not one per job (issue 17 §7)."""
    for _ in range(5):
        enqueue(prefix, "webhooks", "no.such_type", {"k": 1})
    w = start_worker(services, prefix, MAX_DEAD_JOBS="5")
    wait_until(lambda: stats(prefix, "webhooks")["dead"] == 5, what="5 dead")
    assert stats(prefix, "webhooks")["counters"]["dead_evicted"] == 0
    enqueue(prefix, "webhooks", "no.such_type", {"k": 2}, count=30)
    s = wait_until(lambda: (lambda s: s if s["counters"]["dead"] == 35 else None)(
        stats(prefix, "webhooks")), what="35 gone dead")
    w.stop()
    assert s["dead"] == 5 and redis.llen(f"{prefix}:{{webhooks}}:dead") == 5
    assert s["counters"]["dead_evicted"] == 30
    lines = [r for r in w.logs() if r.get("msg", "").startswith("dead list full")]
    assert 1 <= len(lines) <= 2, lines
    assert sum(r["dropped"] for r in lines) == 30
    assert all(r["queue"] == "webhooks" and r["max_dead_jobs"] == 5 for r in lines)
    assert cli_table_row(prefix, "webhooks")["DEAD_EVICTED"] == "30"


def cli_table_row(prefix, queue):
    """sentia-queue stats QUEUE as a {header: cell} dict (table output)."""
    cp = q(prefix, "stats", queue)
    assert cp.returncode == 0, cp.stderr
    head, row = cp.stdout.splitlines()[:2]
    return dict(zip(head.split(), row.split()))
