"""Helpers shared by the WhatsApp tests (docs/WHATSAPP.md).

- FakeTwilio: tests/fakes/twilio.py in a subprocess on a free port, with its
  control API (requests, messages, callbacks, script, reset).
- CallbackSink: an HTTP endpoint standing where sentia-api's status route
  would be; it checks X-Twilio-Signature over its own URL exactly as the API
  does and keeps every callback.
- start_worker: a real sentia-worker, returned once it is connected.
- Queues: the Redis side of one QUEUE_PREFIX as the worker leaves it
  (docs/ARCHITECTURE.md): enqueue as a producer does, redeliver as a reap
  does, read ready/delayed/dead, counters and per-type jobstats, pause.
- seed_catalog, inbound_payload, envelope: test data in Twilio's and the
  queue's exact shapes.
"""
import base64
import importlib.util
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import PG_PORT, ROOT, base_env, free_port, pg, run, wait_until

FAKE_PATH = os.path.join(ROOT, "tests", "fakes", "twilio.py")
PYTHON = "/usr/bin/python3"
ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "test-twilio-auth-token"
WHATSAPP_FROM = "whatsapp:+14155238886"
CUSTOMER = "whatsapp:+447700900001"
ENQUEUE_LUA = os.path.join(ROOT, "queue", "lua", "enqueue.lua")
DEDUP_TTL_S = 24 * 3600  # as sentia-api's enqueue


def fake_module():
    """tests/fakes/twilio.py as a module (its sign() is the reference signer)."""
    spec = importlib.util.spec_from_file_location("fake_twilio", FAKE_PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def http_json(method, url, doc=None, timeout=10, auth=None):
    data = json.dumps(doc).encode() if doc is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


class FakeTwilio:
    """The fake Twilio as a subprocess; stop() it (the fixtures do)."""

    def __init__(self, callbacks="queued,sent,delivered", callback_delay_ms=20, bad_numbers=()):
        args = [PYTHON, FAKE_PATH, "--port", "0", "--account-sid", ACCOUNT_SID,
                "--auth-token", AUTH_TOKEN, "--callbacks", callbacks,
                "--callback-delay-ms", str(callback_delay_ms)]
        for n in bad_numbers:
            args += ["--bad-number", n]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("ready "), self.proc.stderr.read()
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"

    def get(self, path, auth=None):
        return http_json("GET", self.base_url + path, auth=auth)

    def requests(self):
        return self.get("/_fake/requests")

    def messages(self):
        return self.get("/_fake/messages")

    def callbacks(self):
        return self.get("/_fake/callbacks")

    def script(self, **doc):
        return http_json("POST", self.base_url + "/_fake/script", doc)

    def reset(self):
        return http_json("POST", self.base_url + "/_fake/reset", {})

    def send(self, form, auth=(ACCOUNT_SID, AUTH_TOKEN), account=ACCOUNT_SID, headers=None):
        """POSTs to Messages.json like a client would; returns (status, headers, JSON)."""
        url = f"{self.base_url}/2010-04-01/Accounts/{account}/Messages.json"
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth:
            h["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        h.update(headers or {})
        req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=h,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


class CallbackSink:
    """Receives Twilio status callbacks at /api/v1/whatsapp/status and checks
    their signatures over the exact URL, as sentia-api does."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1/whatsapp/status"
        self.received = []
        self.lock = threading.Lock()
        signer = fake_module().sign
        sink = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                good = self.headers.get("X-Twilio-Signature") == signer(AUTH_TOKEN, sink.url, form)
                with sink.lock:
                    sink.received.append({"form": form, "signature_ok": good, "path": self.path})
                self.send_response(200 if good else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def forms(self):
        with self.lock:
            return [r["form"] for r in self.received]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def envelope(queue, type_, payload, dedup_key=None, attempt=0, job_id=None, **optional):
    """A job envelope as queue/job.c encodes it; `optional`: backoff_ms, timeout_ms, …"""
    env = {"id": job_id or uuid.uuid4().hex, "type": type_, "queue": queue, "attempt": attempt,
           "max_attempts": 20, "created_ms": int(time.time() * 1000), "payload": payload}
    if dedup_key:
        env["dedup_key"] = dedup_key
    env.update(optional)
    return json.dumps(env, separators=(",", ":"))


def new_sid(prefix="SM"):
    return prefix + uuid.uuid4().hex


def inbound_payload(body, sid=None, from_=CUSTOMER, profile="Jane Doe", **extra):
    """Every form field Twilio posts for an inbound WhatsApp text, as strings."""
    sid = sid or new_sid()
    wa_id = from_.split("+", 1)[1]
    p = {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": profile, "SmsSid": sid, "WaId": wa_id,
         "SmsStatus": "received", "Body": body, "To": WHATSAPP_FROM, "NumSegments": "1",
         "ReferralNumMedia": "0", "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": from_,
         "ApiVersion": "2010-04-01", "MessageType": "text"}
    p.update(extra)
    return p


def seed_catalog(dbname, products, location="main", port=PG_PORT):
    """products: (sku, name, unit_price, currency, active, on_hand) tuples."""
    conn = pg(dbname, port)
    with conn.cursor() as cur:
        for sku, name, price, currency, active, on_hand in products:
            cur.execute("INSERT INTO products (sku, name, unit_price, currency, active) "
                        "VALUES (%s, %s, %s, %s, %s)", (sku, name, price, currency, active))
            if on_hand is not None:
                cur.execute("INSERT INTO inventory (sku, location, on_hand) VALUES (%s, %s, %s)",
                            (sku, location, on_hand))
    conn.close()


DEFAULT_CATALOG = [
    ("SKU-1", "Widget", "12.50", "GBP", True, 100),
    ("SKU-2", "Gadget", "3.00", "GBP", True, 5),
    ("SKU-3", "Retired thing", "1.00", "GBP", False, 10),
    ("EUR-1", "Euro thing", "5.00", "EUR", True, 10),
]


@pytest.fixture
def db(database):
    """An autocommit connection to a fresh migrated database holding DEFAULT_CATALOG
    (the SQL function tests call the functions through it)."""
    seed_catalog(database, DEFAULT_CATALOG)
    conn = pg(database)
    yield conn
    conn.close()


def worker_env(prefix, dbname, twilio=None, public_base_url=None, **extra):
    """The environment of a sentia-worker running the WhatsApp handlers."""
    if twilio is not None:
        extra["TWILIO_API_BASE"] = twilio.base_url
    env = base_env(prefix=prefix, dbname=dbname, TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                   TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_WHATSAPP_FROM=WHATSAPP_FROM, **extra)
    if public_base_url:
        env["PUBLIC_BASE_URL"] = public_base_url
    return env


def start_worker(services, env, timeout=20):
    """Starts sentia-worker (services: conftest's factory) and returns its
    Service, with .worker_id, once its Redis connection is up, so it has
    registered (heartbeat) and reserves from here on."""
    w = services("sentia-worker", env=env)
    w.worker_id = w.wait_log(lambda r: r.get("msg") == "worker started", timeout)["worker_id"]
    w.wait_log(lambda r: r.get("msg") == "redis connected" and r.get("redis") == "worker", timeout)
    return w


class Queues:
    """The queues of one QUEUE_PREFIX, through the keys the worker uses."""

    def __init__(self, redis, prefix):
        self.redis, self.prefix = redis, prefix
        with open(ENQUEUE_LUA) as f:
            self._enqueue = redis.register_script(f.read())

    def key(self, queue, name):
        return f"{self.prefix}:{{{queue}}}:{name}"

    def enqueue(self, text):
        """Enqueues an envelope as sentia-api does (queue/lua/enqueue.lua, with
        its idempotency key); True when new, False for a duplicate."""
        job = json.loads(text)
        q = job["queue"]
        keys = [self.key(q, "ready"), self.key(q, "delayed"), self.key(q, "stats")]
        if job.get("dedup_key"):
            keys.append(self.key(q, "dedup:" + job["dedup_key"]))
        self.redis.sadd(f"{self.prefix}:queues", q)
        return self._enqueue(keys=keys, args=[text, 0, DEDUP_TTL_S, job["id"]])[0] == 1

    def redeliver(self, text):
        """The same bytes in ready again, as a reap of a crashed worker or a
        lost ack delivers them: no idempotency key stops it."""
        self.redis.lpush(self.key(json.loads(text)["queue"], "ready"), text)

    def jobs(self, queue, state):
        """Envelopes (dicts) in ready, delayed or dead."""
        k = self.key(queue, state)
        raw = self.redis.zrange(k, 0, -1) if state == "delayed" else self.redis.lrange(k, 0, -1)
        return [json.loads(x) for x in raw]

    def stats(self, queue):
        return {k: int(v) for k, v in self.redis.hgetall(self.key(queue, "stats")).items()}

    def count(self, queue, type_, what="completed"):
        """A per-type counter of jobstats: completed, failed or dead."""
        return int(self.redis.hget(self.key(queue, "jobstats"), f"{type_}|{what}") or 0)

    def wait_count(self, queue, type_, n, what="completed", timeout=20):
        wait_until(lambda: self.count(queue, type_, what) >= n, timeout=timeout, interval=0.02,
                   what=f"{n} {type_} {what} in {queue}")
        assert self.count(queue, type_, what) == n

    def wait_job(self, queue, state, job_id, timeout=20):
        """The envelope of job_id once it is in `state` (delayed or dead)."""
        return wait_until(lambda: next((j for j in self.jobs(queue, state) if j["id"] == job_id), None),
                          timeout=timeout, interval=0.01, what=f"job {job_id} {state} in {queue}")

    def due_now(self, queue, job_id):
        """Time passes: a delayed job becomes due now; the worker promotes and runs it."""
        raw = next(x for x in self.redis.zrange(self.key(queue, "delayed"), 0, -1)
                   if json.loads(x)["id"] == job_id)
        assert self.redis.zadd(self.key(queue, "delayed"), {raw: 0}, xx=True, ch=True) == 1

    def follow_up(self, queue, dedup_key, timeout=20):
        """The job a handler enqueued with this idempotency key, waiting in ready."""
        job_id = wait_until(lambda: self.redis.get(self.key(queue, "dedup:" + dedup_key)),
                            timeout=timeout, interval=0.01, what=f"a {queue} job {dedup_key}")
        return next(j for j in self.jobs(queue, "ready") if j["id"] == job_id)

    def pause(self, queue, on=True):
        """sentia-queue pause / resume QUEUE."""
        cp = run("sentia-queue", "pause" if on else "resume", queue, env=base_env(prefix=self.prefix))
        assert cp.returncode == 0, cp.stderr

    def peek_dead(self, queue):
        """`sentia-queue --json peek QUEUE --state dead`: what an operator sees."""
        cp = run("sentia-queue", "--json", "peek", queue, "--state", "dead", "-n", "100",
                 env=base_env(prefix=self.prefix))
        assert cp.returncode == 0, cp.stderr
        return json.loads(cp.stdout)["jobs"]
