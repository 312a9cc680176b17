"""`sentia-queue scale-advice`: the worker count queue/scale.c chooses, from
what a real Redis holds — depth, the enqueue counter sampled a second apart,
run times from the jobstats hash, slots from a live worker's registry entry.
The formula's own cases are in tests/queue/test_scale.c; these check that
the CLI feeds it the right figures and reports them.
"""
import json
import threading
import time

from conftest import base_env, run


def advice(prefix, *args, **env):
    return run("sentia-queue", *args, env=base_env(prefix=prefix, **env))


def register_worker(redis, prefix, wid, queues):
    now = int(time.time() * 1000)
    redis.zadd(f"{prefix}:workers", {wid: now})
    redis.hset(f"{prefix}:worker:{wid}", mapping={"id": wid, "queues": queues,
                                                   "heartbeat_ms": now})
    redis.expire(f"{prefix}:worker:{wid}", 90)


def test_backlog_with_measured_run_time_asks_for_more_workers(redis, prefix):
    assert advice(prefix, "enqueue", "sync", "sys.noop", "--count", "600").returncode == 0
    # 100 runs of 2 s each: mean 2 s.
    redis.hset(f"{prefix}:{{sync}}:jobstats", mapping={"x|le:2.5": 100, "x|sum_us": 200_000_000})
    register_worker(redis, prefix, "w1", "webhooks:32,sync:4")
    register_worker(redis, prefix, "w2", "webhooks:32,sync:4")
    redis.zadd(f"{prefix}:workers", {"gone": 1})  # registry hash expired: not live
    # 10 more jobs arrive during the 1 s window.
    t = threading.Timer(0.3, lambda: advice(prefix, "enqueue", "sync", "sys.noop", "--count", "10"))
    t.start()
    cp = advice(prefix, "--json", "scale-advice", "1")
    t.join()
    assert cp.returncode == 0, cp.stderr
    doc = json.loads(cp.stdout)
    q = {x["queue"]: x for x in doc["queues"]}["sync"]
    assert q["slots"] == 4 and q["mean_run_s"] == 2.0
    assert 9.0 <= q["arrival_per_s"] <= 10.0  # 10 in the window (timer jitter: ≥ 9 of 1 s)
    # (10/s + 610 / 120 s) × 2 s / (4 × 0.8) = 9.4-9.9 → 10 workers.
    assert q["need"] == 10
    assert doc["current"] == 2 and doc["need"] == 10 and doc["queue"] == "sync"
    assert doc["desired"] == 4 and doc["reason"] == "up"  # step limit +2
    assert doc["policy"]["max_workers"] == 10


def test_policy_from_environment_and_table(redis, prefix):
    assert advice(prefix, "enqueue", "webhooks", "sys.noop").returncode == 0
    register_worker(redis, prefix, "w1", "webhooks:32")
    cp = advice(prefix, "scale-advice", "1", SCALE_MIN_WORKERS=3, SCALE_MAX_WORKERS=4)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0].split() == ["QUEUE", "READY", "OLDEST", "ARRIVAL/S", "RUN_S", "SLOTS", "NEED"]
    assert lines[1].split()[0] == "webhooks"
    assert lines[-1].startswith("workers: 1 live, need 1 (webhooks), advice 3 (bounds; bounds 3-4)")


def test_bad_arguments_and_policy_are_usage_errors(prefix):
    for args, env, what in [
        (("scale-advice", "0"), {}, "SECONDS"),
        (("scale-advice", "1", "2"), {}, "at most"),
        (("scale-advice", "1"), {"SCALE_UTILISATION": "2"}, "SCALE_UTILISATION"),
        (("scale-advice", "1"), {"SCALE_MIN_WORKERS": "5", "SCALE_MAX_WORKERS": "4"}, "above"),
    ]:
        cp = advice(prefix, *args, **env)
        assert cp.returncode == 2, (args, cp.stdout)
        assert what in cp.stderr


def test_redis_down_is_exit_3(prefix):
    cp = run("sentia-queue", "scale-advice", "1",
             env=base_env(prefix=prefix) | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert cp.returncode == 3
