"""Shared machinery of the provider fakes (shopify.py, xero.py, unleashed.py).
Python 3 stdlib only.

- A ThreadingHTTPServer with a large listen backlog (LIBRARIES.md: the default
  of 5 stalls concurrent connects for a second).
- Scripted faults, one per API request, in order: {"status": 429,
  "retry_after": "0.5"}, {"status": 500}, {"delay_ms": 3000} (alone: a slow
  answer), {"truncate": true} (the real body cut in half), {"body": "..."}
  (this exact body, status 200), {"drop": true} (close without answering),
  each with an optional "count".
- Accounting for the rate-limit tests: requests in flight (and the maximum
  ever), every API request's arrival time (monotonic), so /_fake/stats can
  report the most requests in any sliding window, and a Shopify-style leaky
  bucket that answers 429 when a client overfills it.
- Control API: GET /_fake/stats, POST /_fake/script, POST /_fake/reset,
  POST /_fake/config ({"delay_ms", "bucket_size", "leak_per_s", "window_ms"}),
  GET /_fake/health. Each fake adds its own /_fake/... routes.
"""
import json
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Accounting:
    """Concurrency and rate figures of the API requests; guarded by a lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.in_flight = 0
            self.max_in_flight = 0
            self.arrivals = []
            self.statuses = {}
            self.throttled = 0
            self.level = 0.0
            self.level_at = time.monotonic()
            self.max_level = 0.0

    def enter(self):
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.arrivals.append(time.monotonic())

    def leave(self, status):
        with self.lock:
            self.in_flight -= 1
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1

    def bucket_take(self, size, leak_per_s):
        """Shopify's leaky bucket: False (429) when the request overflows it."""
        with self.lock:
            now = time.monotonic()
            self.level = max(0.0, self.level - (now - self.level_at) * leak_per_s)
            self.level_at = now
            if self.level + 1 > size + 1e-9:
                self.throttled += 1
                return False, int(self.level)
            self.level += 1
            self.max_level = max(self.max_level, self.level)
            return True, int(round(self.level))

    def window_max(self, window_ms):
        with self.lock:
            times = list(self.arrivals)
        best, j = 0, 0
        for i, t in enumerate(times):
            while times[j] < t - window_ms / 1000.0:
                j += 1
            best = max(best, i - j + 1)
        return best

    def stats(self, window_ms):
        with self.lock:
            doc = {"requests": len(self.arrivals), "in_flight": self.in_flight,
                   "max_in_flight": self.max_in_flight, "statuses": dict(self.statuses),
                   "throttled": self.throttled, "max_level": self.max_level}
        doc["window_ms"] = window_ms
        doc["window_max"] = self.window_max(window_ms)
        return doc


class FakeState:
    """Settings, faults and accounting common to every fake."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.acct = Accounting()
        self.base_config = {"delay_ms": 0, "bucket_size": 0, "leak_per_s": 0.0,
                            "window_ms": getattr(args, "window_ms", 60000)}
        self.config = dict(self.base_config)
        self.faults = []
        self.log = []

    def reset(self):
        with self.lock:
            self.config = dict(self.base_config)
            self.faults = []
            self.log = []
        self.acct.reset()

    def script(self, doc):
        with self.lock:
            for f in doc.get("faults", []):
                for _ in range(int(f.get("count", 1))):
                    self.faults.append(dict(f))

    def next_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else None


class SeededData:
    """A fake's data set, built by reset() from the command-line args (seed,
    counts) and rebuilt on POST /_fake/reset; `lock` guards it."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        raise NotImplementedError


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, no access log, the server's shared state as self.state and the
    request body read by its Content-Length: what every fake's handler needs
    (twilio.py answers on its own; the provider fakes use FakeHandler)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""


class FakeHandler(QuietHandler):
    """Subclasses implement api_get(path, query) → (status, body_bytes, headers)
    and may add control routes with control(method, path, doc)."""

    def send(self, status, body, headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_fake/"):
            raw = self.read_body() if method == "POST" else b""
            doc = json.loads(raw or b"{}") if raw else {}
            out = self.base_control(method, url.path, doc)
            if out is None:
                out = self.control(method, url.path, doc, urllib.parse.parse_qs(url.query))
            if out is None:
                self.send(404, {"error": "no such control route"})
            else:
                self.send(200, out)
            return
        body = self.read_body() if method == "POST" else b""
        self.state.acct.enter()
        status = 0
        try:
            status = self.api(method, url, body)
        finally:
            self.state.acct.leave(status)

    def base_control(self, method, path, doc):
        st = self.state
        if path == "/_fake/health":
            return {"ok": True}
        if path == "/_fake/stats":
            return st.acct.stats(st.config["window_ms"])
        if path == "/_fake/reset" and method == "POST":
            st.reset()
            self.reset_data()
            return {"ok": True}
        if path == "/_fake/script" and method == "POST":
            st.script(doc)
            return {"ok": True, "faults": len(st.faults)}
        if path == "/_fake/config" and method == "POST":
            with st.lock:
                st.config.update(doc)
            if "window_ms" in doc or "bucket_size" in doc:
                st.acct.reset()
            return dict(st.config)
        if path == "/_fake/log":
            with st.lock:
                return list(st.log)
        return None

    def control(self, method, path, doc, query):
        return None

    def reset_data(self):
        pass

    def api(self, method, url, body):
        """Runs faults, then the fake's own answer; returns the status sent."""
        st = self.state
        fault = st.next_fault()
        delay = st.config.get("delay_ms", 0)
        if fault and "delay_ms" in fault:
            delay += fault["delay_ms"]
        if delay:
            time.sleep(delay / 1000.0)
        with st.lock:
            st.log.append({"method": method, "path": url.path, "query": url.query,
                           "fault": fault, "headers": {k.lower(): v for k, v in self.headers.items()}})
        if fault and fault.get("drop"):
            self.close_connection = True
            self.connection.shutdown(2)
            return 0
        if fault and "status" in fault:
            headers = {}
            if "retry_after" in fault:
                headers["Retry-After"] = str(fault["retry_after"])
            body_out = fault.get("error_body", {"errors": "scripted fault"})
            self.send(fault["status"], body_out, headers)
            return fault["status"]
        if fault and "body" in fault:
            self.send(200, fault["body"])
            return 200
        status, out, headers = self.answer(method, url, body)
        if fault and fault.get("truncate") and isinstance(out, (bytes, str, dict, list)):
            raw = json.dumps(out).encode() if isinstance(out, (dict, list)) else (
                out.encode() if isinstance(out, str) else out)
            out = raw[: len(raw) // 2]
        self.send(status, out, headers)
        return status

    def answer(self, method, url, body):
        return 404, {"error": "not found"}, {}


class DataHandler(FakeHandler):
    """A FakeHandler whose server carries a data set (server.data) with a
    reset() that /_fake/reset calls."""

    @property
    def data(self):
        return self.server.data

    def reset_data(self):
        self.data.reset()


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def serve(server):
    """Runs a FakeServer (its attributes set) until SIGTERM/SIGINT."""
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    sys.exit(0)


def guid(rnd):
    """A GUID from a random.Random, as Xero and Unleashed write them."""
    h = "%032x" % rnd.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def ms_date(ms, offset=True):
    """.NET JSON date: /Date(ms+0000)/ (Xero) or /Date(ms)/ (Unleashed)."""
    return f"/Date({int(ms)}+0000)/" if offset else f"/Date({int(ms)})/"


def iso(ms):
    """ISO-8601 with an offset, as Shopify writes (seconds precision, -05:00)."""
    t = ms / 1000.0 - 5 * 3600
    return time.strftime("%Y-%m-%dT%H:%M:%S-05:00", time.gmtime(t))


def parse_iso_ms(text):
    """ISO-8601 (Z, ±HH:MM or none = UTC) → epoch ms."""
    import datetime as dt
    s = text.strip().replace("Z", "+00:00")
    d = dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp() * 1000)
