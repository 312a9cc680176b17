"""Helpers shared by the WhatsApp tests (docs/WHATSAPP.md).

- FakeTwilio: tests/fakes/twilio.py in a subprocess on a free port, with its
  control API (requests, messages, callbacks, script, reset).
- CallbackSink: an HTTP endpoint standing where sentia-api's status route
  would be; it checks X-Twilio-Signature over its own URL exactly as the API
  does and keeps every callback.
- Harness: tests/worker/job_harness.c — runs job envelopes through the real
  handlers against the test Postgres, Redis and the fake.
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

from conftest import ROOT, base_env, binary, free_port, pg

FAKE_PATH = os.path.join(ROOT, "tests", "fakes", "twilio.py")
PYTHON = "/usr/bin/python3"
ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "test-twilio-auth-token"
WHATSAPP_FROM = "whatsapp:+14155238886"
CUSTOMER = "whatsapp:+447700900001"


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


def envelope(queue, type_, payload, dedup_key=None, attempt=0, job_id=None):
    """A job envelope as queue/job.c encodes it."""
    env = {"id": job_id or uuid.uuid4().hex, "type": type_, "queue": queue, "attempt": attempt,
           "max_attempts": 20, "created_ms": int(time.time() * 1000), "payload": payload}
    if dedup_key:
        env["dedup_key"] = dedup_key
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


def seed_catalog(dbname, products, location="main"):
    """products: (sku, name, unit_price, currency, active, on_hand) tuples."""
    conn = pg(dbname)
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


def worker_env(prefix, dbname, twilio, public_base_url=None, **extra):
    """The environment of a process running the WhatsApp handlers."""
    env = base_env(prefix=prefix, dbname=dbname, TWILIO_API_BASE=twilio.base_url,
                   TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                   TWILIO_WHATSAPP_FROM=WHATSAPP_FROM, **extra)
    if public_base_url:
        env["PUBLIC_BASE_URL"] = public_base_url
    return env


class Harness:
    """Runs envelopes through tests/worker/job_harness.c; one process per call."""

    def __init__(self, env):
        self.env = env

    def run(self, *envelopes, timeout=60):
        cp = subprocess.run([binary("job-harness")], input="".join(e + "\n" for e in envelopes),
                            env=self.env, capture_output=True, text=True, timeout=timeout)
        assert cp.returncode == 0, f"job-harness exited {cp.returncode}: {cp.stderr[-4000:]}"
        assert "Sanitizer" not in cp.stderr and "runtime error" not in cp.stderr, cp.stderr[-4000:]
        self.last_log = cp.stderr
        return [json.loads(line) for line in cp.stdout.splitlines() if line.strip()]

    def run_one(self, env_text, **kw):
        (result,) = self.run(env_text, **kw)
        return result
