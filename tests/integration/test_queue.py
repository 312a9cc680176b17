"""The reliable queue against a real Redis (DESIGN.md §3), through the real
programs: `sentia-queue` for producing and inspecting, and the protocol's
synchronous test consumer (tests/queue/consumer.c) for consuming.

Proves: no job is lost when a consumer is SIGKILLed while holding jobs (the
reaper returns them); a failing job is retried with backoff and reaches dead
after max attempts with its last error; duplicate idempotency keys are
refused (also when raced); concurrent consumers never run one envelope twice
while alive; pause stops delivery within 2 s.
"""
import concurrent.futures
import json
import os
import subprocess
import time
import uuid

from conftest import ROOT, base_env, binary, run, wait_until


def q(prefix, *args, env_extra=None, **kw):
    env = base_env(prefix=prefix, **(env_extra or {}))
    return run("sentia-queue", *args, env=env, **kw)


def qjson(prefix, *args):
    cp = q(prefix, "--json", *args)
    assert cp.returncode == 0, cp.stderr
    return json.loads(cp.stdout)


def stats(prefix, queue):
    doc = qjson(prefix, "stats", queue)
    return doc["queues"][0]


class Consumer:
    """queue-test-consumer in a subprocess."""

    def __init__(self, prefix, queue, mode, worker=None, max_jobs=None, lease_ms=30000, record=None):
        self.worker = worker or "w-" + uuid.uuid4().hex[:8]
        env = base_env(prefix=prefix, LEASE_MS=lease_ms)
        if record:
            env["RECORD_KEY"] = record
        args = [binary("queue-test-consumer"), queue, self.worker, mode]
        if max_jobs is not None:
            args.append(str(max_jobs))
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready", self.proc.stderr.read()

    def stop(self):
        self.proc.terminate()
        out, err = self.proc.communicate(timeout=10)
        assert self.proc.returncode == 0, err
        assert "Sanitizer" not in err and "runtime error" not in err, err

    def kill(self):
        self.proc.kill()
        self.proc.communicate(timeout=10)


def enqueue_many(prefix, queue, n, type_="sys.noop"):
    cp = q(prefix, "enqueue", queue, type_, "--count", n)
    assert cp.returncode == 0, cp.stderr


def test_enqueue_and_duplicate_key(prefix, redis):
    first = q(prefix, "enqueue", "webhooks", "whatsapp.inbound", '{"MessageSid":"SM1"}', "--key", "SM1")
    assert first.returncode == 0, first.stderr
    job_id = first.stdout.strip()
    dup = qjson(prefix, "enqueue", "webhooks", "whatsapp.inbound", '{"MessageSid":"SM1"}', "--key", "SM1")
    assert dup == {"id": job_id, "duplicate": True}
    s = stats(prefix, "webhooks")
    assert (s["ready"], s["counters"]["enqueued"], s["counters"]["deduped"]) == (1, 1, 1)
    env = json.loads(redis.lindex(f"{prefix}:{{webhooks}}:ready", 0))
    assert env["id"] == job_id and env["dedup_key"] == "SM1"
    assert env["payload"] == {"MessageSid": "SM1"}
    assert 0 < redis.ttl(f"{prefix}:{{webhooks}}:dedup:SM1") <= 86400
    # `depth` is `stats` under the name operators type first
    depth = q(prefix, "depth").stdout.splitlines()
    assert depth[0] == q(prefix, "stats").stdout.splitlines()[0]
    assert any(line.split()[0] == "webhooks" for line in depth[1:])
    assert qjson(prefix, "depth", "webhooks")["queues"][0]["ready"] == 1


def test_raced_duplicates_enqueue_once(prefix, redis):
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: qjson(prefix, "enqueue", "webhooks", "t", "--key", "same"), range(40)))
    assert sum(1 for r in results if not r["duplicate"]) == 1
    assert len({r["id"] for r in results}) == 1
    assert redis.llen(f"{prefix}:{{webhooks}}:ready") == 1


def test_sigkill_while_holding_jobs_loses_nothing(prefix, redis):
    enqueue_many(prefix, "webhooks", 50)
    holder = Consumer(prefix, "webhooks", "hold", lease_ms=1500)
    wait_until(lambda: stats(prefix, "webhooks")["active"] >= 10, what="holder to reserve jobs")
    holder.kill()
    held = redis.llen(f"{prefix}:{{webhooks}}:active:{holder.worker}")
    assert held >= 10
    record = f"{prefix}:record"
    survivor = Consumer(prefix, "webhooks", "ack", lease_ms=1500, record=record)
    s = wait_until(lambda: (lambda s: s if s["counters"]["completed"] == 50 else None)(stats(prefix, "webhooks")),
                   timeout=20, what="all 50 jobs to complete")
    survivor.stop()
    assert s["ready"] == 0 and s["active"] == 0 and s["dead"] == 0
    assert s["counters"]["recovered"] == held
    done = [line.split()[1] for line in redis.lrange(record, 0, -1)]
    assert len(done) == 50 and len(set(done)) == 50
    assert redis.exists(f"{prefix}:{{webhooks}}:active:{holder.worker}") == 0


def test_retries_then_dead_with_last_error(prefix, redis):
    cp = q(prefix, "enqueue", "notify", "notify.whatsapp", '{"to":"whatsapp:+15551234567"}', "--max-attempts", "3")
    job_id = cp.stdout.strip()
    c = Consumer(prefix, "notify", "fail")
    s = wait_until(lambda: (lambda s: s if s["dead"] == 1 else None)(stats(prefix, "notify")),
                   timeout=20, what="job to reach dead")
    c.stop()
    assert s["counters"]["failed"] == 3 and s["counters"]["retried"] == 2 and s["counters"]["dead"] == 1
    dead = qjson(prefix, "peek", "notify", "--state", "dead")
    env = dead["jobs"][0]["envelope"]
    assert env["id"] == job_id and env["attempt"] == 3 and env["max_attempts"] == 3
    assert env["last_error"] == "simulated failure on attempt 3"
    assert env["payload"] == {"to": "whatsapp:+15551234567"}


def test_permanent_failure_goes_dead_at_once(prefix):
    q(prefix, "enqueue", "notify", "notify.whatsapp", "--max-attempts", "20")
    c = Consumer(prefix, "notify", "dead")
    s = wait_until(lambda: (lambda s: s if s["dead"] == 1 else None)(stats(prefix, "notify")), what="dead")
    c.stop()
    assert s["counters"]["failed"] == 1 and s["counters"]["retried"] == 0


def test_concurrent_consumers_never_run_a_job_twice(prefix, redis):
    enqueue_many(prefix, "webhooks", 2000)
    record = f"{prefix}:record"
    consumers = [Consumer(prefix, "webhooks", "ack", record=record) for _ in range(4)]
    wait_until(lambda: stats(prefix, "webhooks")["counters"]["completed"] == 2000, timeout=60, what="drain")
    for c in consumers:
        c.stop()
    ids = [line.split()[1] for line in redis.lrange(record, 0, -1)]
    assert len(ids) == 2000 and len(set(ids)) == 2000
    by_worker = {line.split()[0] for line in redis.lrange(record, 0, -1)}
    assert len(by_worker) >= 2


def test_pause_stops_delivery_within_two_seconds(prefix, redis):
    record = f"{prefix}:record"
    c = Consumer(prefix, "sync", "ack", record=record)
    assert q(prefix, "pause", "sync").returncode == 0
    time.sleep(2.0)
    enqueue_many(prefix, "sync", 20)
    time.sleep(2.0)
    assert redis.llen(record) == 0
    assert stats(prefix, "sync")["paused"] is True
    assert q(prefix, "resume", "sync").returncode == 0
    wait_until(lambda: redis.llen(record) == 20, timeout=10, what="delivery after resume")
    c.stop()


def test_delayed_job_runs_when_due(prefix, redis):
    record = f"{prefix}:record"
    q(prefix, "enqueue", "sync", "sync.later", "--delay", "1.5")
    s = stats(prefix, "sync")
    assert (s["delayed"], s["ready"]) == (1, 0)
    c = Consumer(prefix, "sync", "ack", record=record)
    t0 = time.time()
    wait_until(lambda: redis.llen(record) == 1, timeout=10, what="delayed job")
    c.stop()
    assert time.time() - t0 >= 0.8


def test_retry_from_dead_single_and_all(prefix, redis):
    for _ in range(3):
        q(prefix, "enqueue", "notify", "notify.whatsapp")
    c = Consumer(prefix, "notify", "dead")
    wait_until(lambda: stats(prefix, "notify")["dead"] == 3, what="3 dead")
    c.stop()
    jobs = qjson(prefix, "peek", "notify", "--state", "dead", "-n", "10")["jobs"]
    one = jobs[0]["envelope"]["id"]
    assert q(prefix, "retry", "notify", one).returncode == 0
    s = stats(prefix, "notify")
    assert (s["dead"], s["ready"]) == (2, 1)
    ready = json.loads(redis.lindex(f"{prefix}:{{notify}}:ready", 0))
    assert ready["id"] == one and ready["attempt"] == 0 and "last_error" in ready
    assert qjson(prefix, "retry", "notify", "--all")["retried"] == 2
    assert q(prefix, "retry", "notify", one).returncode == 1


def test_show_finds_a_job_in_each_state(prefix, redis):
    job_id = q(prefix, "enqueue", "webhooks", "t", '{"k":"v"}').stdout.strip()
    doc = qjson(prefix, "show", "webhooks", job_id)
    assert doc["state"] == "ready" and doc["envelope"]["payload"] == {"k": "v"}
    later = q(prefix, "enqueue", "webhooks", "t", "--delay", "600").stdout.strip()
    doc = qjson(prefix, "show", "webhooks", later)
    assert doc["state"] == "delayed" and doc["due_ms"] > 0
    holder = Consumer(prefix, "webhooks", "hold")
    wait_until(lambda: stats(prefix, "webhooks")["active"] == 1, what="hold")
    doc = qjson(prefix, "show", "webhooks", job_id)
    assert doc["state"] == "active" and doc["worker"] == holder.worker
    holder.kill()
    assert q(prefix, "show", "webhooks", "0" * 32).returncode == 1


def test_purge_requires_yes(prefix):
    enqueue_many(prefix, "sync", 5)
    cp = q(prefix, "purge", "sync", "--state", "ready", input="")
    assert cp.returncode == 2 and "--yes" in cp.stderr
    assert stats(prefix, "sync")["ready"] == 5
    assert qjson(prefix, "purge", "sync", "--state", "ready", "--yes")["purged"] == 5
    assert stats(prefix, "sync")["ready"] == 0


def test_workers_lists_live_consumers(prefix):
    c = Consumer(prefix, "webhooks", "ack", worker="host-1-abc")
    doc = qjson(prefix, "workers")
    assert [w["id"] for w in doc["workers"]] == ["host-1-abc"]
    w = doc["workers"][0]
    assert w["queues"] == "webhooks:1" and int(w["pid"]) == c.proc.pid
    table = q(prefix, "workers").stdout
    assert "host-1-abc" in table and "HEARTBEAT" in table
    c.stop()


def test_cli_exit_codes_and_messages(prefix):
    cp = q(prefix, "frobnicate")
    assert cp.returncode == 2 and cp.stderr.count("\n") == 1
    assert q(prefix, "peek").returncode == 2
    assert q(prefix, "peek", "bad queue").returncode == 2
    assert q(prefix, "peek", "webhooks", "--state", "lost").returncode == 2
    assert q(prefix, "enqueue", "webhooks", "t", "{not json").returncode == 2
    assert q(prefix, "enqueue", "webhooks", "t", "--key", "k", "--count", "2").returncode == 2
    assert q(prefix, "stats", "--state", "dead").returncode == 2
    cp = q(prefix, "--redis", "redis://127.0.0.1:1", "stats")
    assert cp.returncode == 3 and "127.0.0.1:1" in cp.stderr and cp.stderr.count("\n") == 1
    env = base_env(prefix=prefix)
    del env["REDIS_URL"]
    assert run("sentia-queue", "stats", env=env).returncode == 2
    assert q(prefix, "--help").returncode == 0


def test_redis_password_on_the_command_line_warns(prefix):
    url = base_env(prefix=prefix)["REDIS_URL"]
    assert ":" in url.split("@")[0][len("redis://"):], "the suite's Redis has a password"
    cp = q(prefix, "--redis", url, "stats")
    assert cp.returncode == 0, cp.stderr
    assert "warning: --redis carries a password" in cp.stderr and "REDIS_URL" in cp.stderr
    assert url.split("@")[0].split(":")[-1] not in cp.stderr  # never echoed
    cp = q(prefix, "stats")
    assert cp.returncode == 0 and cp.stderr == ""
    cp = q(prefix, "--redis", "redis://127.0.0.1:1", "stats")
    assert cp.returncode == 3 and "warning" not in cp.stderr
    assert "never in\n--redis" in q(prefix, "--help").stdout


def test_script_cache_flush_is_survived(prefix, redis):
    redis.script_flush()
    cp = q(prefix, "enqueue", "webhooks", "t")
    assert cp.returncode == 0, cp.stderr
    redis.script_flush()
    enqueue_many(prefix, "webhooks", 3)
    assert stats(prefix, "webhooks")["ready"] == 4


def test_dead_list_is_capped(prefix, redis):
    """The fail script keeps the newest 10 000 dead jobs (driven directly) and
    counts what it drops in dead_evicted, returning 1 + dropped."""
    src = open(os.path.join(ROOT, "queue", "lua", "fail.lua")).read()
    fail = redis.register_script(src)
    keys = [f"{prefix}:{{d}}:active:w", f"{prefix}:{{d}}:delayed", f"{prefix}:{{d}}:dead",
            f"{prefix}:{{d}}:stats", f"{prefix}:{{d}}:jobstats"]
    pipe = redis.pipeline(transaction=False)
    for i in range(10050):
        env = json.dumps({"id": str(i)})
        pipe.lpush(keys[0], env)
        fail(keys=keys, args=[env, env, "dead", 0, 10000, "t", "0.001", 1], client=pipe)
    pipe.execute()
    assert redis.llen(keys[2]) == 10000
    assert json.loads(redis.lindex(keys[2], 0))["id"] == "10049"
    assert redis.hget(keys[3], "dead") == "10050"
    assert redis.hget(keys[3], "dead_evicted") == "50"
    assert stats(prefix, "d")["counters"]["dead_evicted"] == 50
    # a smaller cap (MAX_DEAD_JOBS lowered) drops the surplus at the next dead job
    env = json.dumps({"id": "last"})
    redis.lpush(keys[0], env)
    assert fail(keys=keys, args=[env, env, "dead", 0, 100, "t", "0.001", 1]) == 1 + 9901
    assert redis.llen(keys[2]) == 100
    assert redis.hget(keys[3], "dead_evicted") == str(50 + 9901)
    redis.lpush(keys[0], env)
    assert fail(keys=keys, args=[env, env, "retry", 0, 100, "t", "0.001", 1]) == 1


def test_table_output_escapes_control_characters(prefix, redis):
    """Strings from Redis reach the operator's terminal with control characters
    (C0, DEL, C1 as UTF-8 or raw bytes) as visible escapes; --json stays exact."""
    cp = q(prefix, "enqueue", "notify", "notify.whatsapp", '{"to":"x"}')
    job_id = cp.stdout.strip()
    ready, dead = f"{prefix}:{{notify}}:ready", f"{prefix}:{{notify}}:dead"
    env = json.loads(redis.rpop(ready))
    error = "boom \x1b[2J\x1b]0;owned\x07 \x7f \u009b31m end"
    env.update(last_error=error, attempt=3)
    redis.lpush(dead, json.dumps(env))
    wid = "w-\x1b[31mevil"
    redis.zadd(f"{prefix}:workers", {wid: int(time.time() * 1000)})
    redis.hset(f"{prefix}:worker:{wid}", mapping={"id": wid, "host": "h\x9b1m", "pid": "1",
                                                   "queues": "notify:1", "in_flight": "0",
                                                   "version": "v\x1b[0m"})
    for args in (["peek", "notify", "--state", "dead"], ["workers"]):
        out = subprocess.run([binary("sentia-queue"), *args], env=base_env(prefix=prefix),
                             capture_output=True, timeout=30)
        assert out.returncode == 0, out.stderr
        for bad in (b"\x1b", b"\x07", b"\x7f", b"\xc2\x9b", b"\x9b"):
            assert bad not in out.stdout, (args, out.stdout)
    out = q(prefix, "peek", "notify", "--state", "dead").stdout
    assert "boom \\x1b[2J\\x1b]0;owned\\x07 \\x7f \\u009b31m" in out, out
    out = q(prefix, "workers").stdout
    assert "w-\\x1b[31mevil" in out and "h\\u009b1m" in out, out
    doc = qjson(prefix, "peek", "notify", "--state", "dead")
    assert doc["jobs"][0]["envelope"]["id"] == job_id
    assert doc["jobs"][0]["envelope"]["last_error"] == error
    assert qjson(prefix, "workers")["workers"][0]["id"] == wid
