"""The ops.autoscale job family (worker/jobs/autoscale.c) against the fake
Render API (tests/fakes/render.py): the scale calls it makes, the bounds,
the cooldown shared through Redis, a Render outage (no crash, the next run
scales), and no call at all while RENDER_API_KEY / RENDER_WORKER_SERVICE_ID
are unset. The formula's own cases are in tests/queue/test_scale.c.

The backlog is on a paused queue, so it stays as set up: `sync` with 600
ready jobs of 2 s (from the jobstats hash) on 4 slots per worker needs
ceil(600 / 120 s × 2 s / (4 × 0.8)) = 4 instances. The runs are enqueued by
hand on `webhooks`; one test lets the scheduler do it.
"""
import pytest

from conftest import base_env, run, wait_until
from sync_support import Fake, enqueue, queue_cli, queue_stats, sync_worker, wait_finished

KEY = "rnd_autoscale_key"
SID = "srv-worker0000000000000"


@pytest.fixture
def render():
    f = Fake("render", "--api-key", KEY, "--service", SID, "--instances", "2")
    yield f
    f.stop()


def render_env(render, **extra):
    return dict(RENDER_API_KEY=KEY, RENDER_WORKER_SERVICE_ID=SID,
                RENDER_API_BASE=f"{render.url}/v1", **extra)


def backlog(redis, prefix, ready=600):
    queue_cli(prefix, "pause", "sync")
    queue_cli(prefix, "enqueue", "sync", "sys.noop", "--count", str(ready))
    redis.hset(f"{prefix}:{{sync}}:jobstats", mapping={"x|le:2.5": 100, "x|sum_us": 200_000_000})


def decide(redis, prefix, n):
    """Runs ops.autoscale once more (the n-th run); returns the state hash."""
    enqueue(prefix, "webhooks", "ops.autoscale")
    wait_finished(prefix, "webhooks", n, timeout=30)
    return redis.hgetall(f"{prefix}:autoscale")


def scales(render):
    return [s["numInstances"] for s in render.get("/_fake/scales")]


def start(services, prefix, **env):
    return sync_worker(services, prefix, None, queues="sync:4,webhooks:4", **env)


def test_scales_up_within_the_step_and_the_bounds(services, redis, prefix, render):
    backlog(redis, prefix)
    w = start(services, prefix, **render_env(render, SCALE_MAX_WORKERS=3))
    st = decide(redis, prefix, 1)
    # need 4, current 2 (Render's numInstances), max 3 → 3.
    assert (st["current"], st["need"], st["desired"], st["reason"]) == ("2", "4", "3", "up")
    assert st["render"] == "ok" and st["enabled"] == "1" and int(st["changed_ms"]) > 0
    assert scales(render) == [3]
    # At the maximum: capped, no call.
    st = decide(redis, prefix, 2)
    assert (st["current"], st["desired"], st["reason"]) == ("3", "3", "capped")
    assert scales(render) == [3]
    assert st["decisions|up"] == "1" and st["decisions|capped"] == "1" and st["scales"] == "1"
    line = w.wait_log(lambda r: r.get("msg") == "autoscale decision" and r.get("reason") == "capped")
    assert line["need"] == 4 and line["applied"] is False and line["queue"] == "sync"
    assert KEY not in open(w.log_path).read()


def test_cooldown_holds_a_second_change(services, redis, prefix, render):
    backlog(redis, prefix)
    start(services, prefix, **render_env(render))
    st = decide(redis, prefix, 1)
    assert (st["desired"], st["reason"]) == ("4", "up") and scales(render) == [4]
    # Four times the backlog: 13 needed, but the last change was < 120 s ago.
    queue_cli(prefix, "enqueue", "sync", "sys.noop", "--count", "1800")
    st = decide(redis, prefix, 2)
    assert (st["current"], st["desired"], st["reason"]) == ("4", "4", "cooldown")
    assert int(st["need"]) >= 13 and scales(render) == [4]
    # Once the cooldown is over (the state's last change moved back), one step of +2.
    redis.hset(f"{prefix}:autoscale", "changed_ms", 1)
    st = decide(redis, prefix, 3)
    assert (st["current"], st["desired"], st["reason"]) == ("4", "6", "up")
    assert scales(render) == [4, 6]


def test_render_outage_is_survived_and_retried_next_run(services, redis, prefix, render):
    backlog(redis, prefix)
    w = start(services, prefix, **render_env(render))
    render.post("/_fake/outage", {"on": True})
    st = decide(redis, prefix, 1)
    assert "HTTP 503" in st["render"] and st["render_errors"] == "1"
    assert "changed_ms" not in st and scales(render) == []
    assert queue_stats(prefix, "webhooks")["counters"].get("completed") == 1  # not dead
    w.wait_log(lambda r: r.get("msg", "").startswith("autoscale: Render API call failed"))
    # 429 on the scale call: the same, counted.
    render.post("/_fake/outage", {"on": False})
    render.script({"status": 429, "error_body": {"id": "rate_limit_exceeded", "message": "x"}})
    st = decide(redis, prefix, 2)
    assert "429" in st["render"] and st["render_errors"] == "2" and scales(render) == []
    # Render is back: the next run scales (no cooldown started by a failed call).
    st = decide(redis, prefix, 3)
    assert (st["desired"], st["reason"], st["render"]) == ("4", "up", "ok")
    assert scales(render) == [4]
    assert w.proc.poll() is None


def test_off_without_render_settings_gives_advice_only(services, redis, prefix, render):
    backlog(redis, prefix)
    start(services, prefix)
    st = decide(redis, prefix, 1)
    # current = the one live worker, below SCALE_MIN_WORKERS: the advice is
    # the bound; recorded, nothing called.
    assert (st["current"], st["need"], st["desired"]) == ("1", "4", "2")
    assert (st["reason"], st["render"], st["enabled"]) == ("bounds", "off", "0")
    assert scales(render) == []


def test_the_scheduler_runs_it(services, redis, prefix, render):
    # Scheduled jobs of ops.* go to the sync queue (lib/schedule.h). Idle
    # queues, Render at 2 = SCALE_MIN_WORKERS: steady, no call.
    start(services, prefix, SCHEDULE="ops.autoscale@2s", **render_env(render))
    wait_until(lambda: int(redis.hget(f"{prefix}:autoscale", "decisions|steady") or 0) >= 2,
               timeout=20, what="two scheduled autoscale runs")
    st = redis.hgetall(f"{prefix}:autoscale")
    assert (st["current"], st["desired"], st["render"]) == ("2", "2", "ok")
    assert scales(render) == []


def test_bad_policy_stops_the_worker_at_start(prefix):
    cp = run("sentia-worker", env=base_env(prefix=prefix, SCALE_STEP_UP="0"), timeout=20)
    assert cp.returncode == 78
    assert "SCALE_STEP_UP" in cp.stdout + cp.stderr
