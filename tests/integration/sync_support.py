"""Helpers shared by the integration sync tests (docs/INTEGRATIONS.md).

- Fake: a provider fake (tests/fakes/shopify.py, xero.py, unleashed.py) as a
  subprocess on a free port, with its control API.
- sync_worker: sentia-worker with the providers pointed at the fakes.
- enqueue / status helpers read and write the queue through sentia-queue
  and Redis like an operator would.
"""
import json
import os
import subprocess
import urllib.request

from conftest import ROOT, base_env, run, wait_until

PYTHON = "/usr/bin/python3"
SHOPIFY_TOKEN = "shpat_test_token"
XERO_CLIENT_ID = "XEROCLIENTID0001"
XERO_CLIENT_SECRET = "xero-client-secret"
XERO_TENANT = "4a6e3c3b-0b8c-4f1e-9d2b-6d1c2a7f9e01"
UNLEASHED_ID = "2b6b8a1e-5f0c-4d3e-8a7b-9c0d1e2f3a4b"
UNLEASHED_KEY = "test_api_key"
CREDENTIALS_KEY = "00" * 16 + "11" * 16


def http_json(method, url, doc=None, timeout=10, headers=None):
    data = json.dumps(doc).encode() if doc is not None else None
    h = {"Content-Type": "application/json"} if data else {}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


class Fake:
    """One provider fake; stop() it (the fixtures do)."""

    def __init__(self, name, *args):
        path = os.path.join(ROOT, "tests", "fakes", f"{name}.py")
        self.proc = subprocess.Popen([PYTHON, path, "--port", "0", *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("ready "), self.proc.stderr.read()
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path):
        return http_json("GET", self.url + path)

    def post(self, path, doc=None):
        return http_json("POST", self.url + path, doc or {})

    def stats(self):
        return self.get("/_fake/stats")

    def script(self, *faults):
        return self.post("/_fake/script", {"faults": list(faults)})

    def config(self, **doc):
        return self.post("/_fake/config", doc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for f in (self.proc.stdout, self.proc.stderr):
            f.close()


def provider_env(shopify=None, xero=None, unleashed=None, **extra):
    """Worker variables for the fakes that are given (others stay unset)."""
    env = {}
    if shopify:
        env.update(SHOPIFY_API_BASE=f"{shopify.url}/admin/api/2025-07",
                   SHOPIFY_ACCESS_TOKEN=SHOPIFY_TOKEN, SHOPIFY_CURRENCY="USD")
    if xero:
        env.update(XERO_API_BASE=f"{xero.url}/api.xro/2.0",
                   XERO_IDENTITY_URL=f"{xero.url}/connect/token",
                   XERO_CLIENT_ID=XERO_CLIENT_ID, XERO_CLIENT_SECRET=XERO_CLIENT_SECRET,
                   XERO_TENANT_ID=XERO_TENANT, XERO_REFRESH_TOKEN="rt-initial",
                   CREDENTIALS_KEY=CREDENTIALS_KEY)
    if unleashed:
        env.update(UNLEASHED_API_BASE=unleashed.url, UNLEASHED_API_ID=UNLEASHED_ID,
                   UNLEASHED_API_KEY=UNLEASHED_KEY)
    env.update(extra)
    return env


def sync_worker(services, prefix, dbname, queues="sync:4,webhooks:4", **extra):
    env = base_env(prefix=prefix, dbname=dbname, WORKER_QUEUES=queues, **extra)
    w = services("sentia-worker", env=env)
    started = w.wait_log(lambda r: r.get("msg") == "worker started")
    w.worker_id = started["worker_id"]
    w.wait_log(lambda r: r.get("msg") == "redis connected")
    return w


def queue_cli(prefix, *args):
    cp = run("sentia-queue", *args, env=base_env(prefix=prefix))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return cp.stdout


def enqueue(prefix, queue, type_, payload=None, key=None):
    args = ["enqueue", queue, type_]
    if payload is not None:
        args.append(json.dumps(payload))
    if key:
        args += ["--key", key]
    return queue_cli(prefix, *args).strip()


def queue_stats(prefix, queue):
    doc = json.loads(queue_cli(prefix, "--json", "stats", queue))
    return doc["queues"][0]


def wait_finished(prefix, queue, n, timeout=120):
    """Waits until n jobs of queue completed or died; returns the stats."""
    def done():
        s = queue_stats(prefix, queue)
        c = s["counters"]
        return s if c.get("completed", 0) + c.get("dead", 0) >= n else None
    return wait_until(done, timeout=timeout, interval=0.2, what=f"{n} jobs finished on {queue}")


def dead_jobs(prefix, queue):
    """The envelopes in queue's dead list, newest first."""
    doc = json.loads(queue_cli(prefix, "--json", "peek", queue, "--state", "dead", "-n", "50"))
    return [j["envelope"] for j in doc["jobs"]]


def run_one_sync(services, prefix, dbname, type_, env):
    """Starts a sync worker with env, runs one job of type_ on queue sync to its
    end and returns the dead list (newest first)."""
    sync_worker(services, prefix, dbname, **env)
    enqueue(prefix, "sync", type_)
    wait_finished(prefix, "sync", 1)
    return dead_jobs(prefix, "sync")


def sync_status(redis, prefix):
    return {k: json.loads(v) for k, v in redis.hgetall(f"{prefix}:sync:status").items()}


def wait_status(redis, prefix, field, pred, timeout=120):
    def ok():
        st = sync_status(redis, prefix).get(field)
        return st if st and pred(st) else None
    return wait_until(ok, timeout=timeout, interval=0.1, what=f"status {field}")
