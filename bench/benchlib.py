"""bench/benchlib.py: what the Python parts of bench/*.sh share (stdlib only).

- Redis: a minimal blocking RESP2 client on one connection: commands,
  pipelines and EVALSHA are all the benchmarks need.
- psql(url, sql): one query through the psql client, rows as lists of text;
  Psql(url): one psql kept open for polling.
- percentile(values, p), peak_rss_mib(pid), wait_for(predicate, timeout).
- order_payload(i, …): the Twilio form fields of an inbound WhatsApp ORDER
  message, as sentia-api puts them in a whatsapp.inbound job;
  twilio_signature(token, url, form): its X-Twilio-Signature.
- paced(port, requests, rate, connections): an HTTP/1.1 load generator on a
  fixed timeline (request i is due at start + i/rate), honest about
  coordinated omission: every latency is measured from the time a request
  was due, not from when a free connection got round to sending it.
"""
import base64
import hashlib
import hmac
import http.client
import json
import math
import os
import socket
import subprocess
import threading
import time
import uuid

ACCOUNT_SID = "AC" + "be" * 16
AUTH_TOKEN = "bench-twilio-token"
WHATSAPP_FROM = "whatsapp:+14155238886"
SKUS = 100  # products the benchmarks seed: SKU-000 … SKU-099


class Redis:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port))
        self.rfile = self.sock.makefile("rb")
        if os.environ.get("REDISCLI_AUTH"):  # bench/lib.sh's servers have a password
            self.call("AUTH", os.environ["REDISCLI_AUTH"])

    @staticmethod
    def pack(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _read(self):
        line = self.rfile.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)[:-2]
            return data.decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def call(self, *args):
        self.sock.sendall(self.pack(*args))
        return self._read()

    def pipeline(self, commands):
        """Sends every command, then reads every reply (in order)."""
        self.sock.sendall(b"".join(self.pack(*c) for c in commands))
        return [self._read() for _ in commands]

    def hget_int(self, key, field):
        return int(self.call("HGET", key, field) or 0)

    def close(self):
        self.rfile.close()
        self.sock.close()


class Psql:
    """One psql process kept open, for polling: row(sql) → the first row's
    columns as text (psql flushes after every statement)."""

    def __init__(self, url):
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", url],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def row(self, sql):
        self.proc.stdin.write(sql.rstrip().rstrip(";") + ";\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().rstrip("\n").split("\t")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def psql(url, sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def percentile(values, p):
    """The p-th percentile (nearest rank) of a non-empty list."""
    s = sorted(values)
    return s[max(1, math.ceil(p / 100.0 * len(s))) - 1]


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    return kb / 1024.0


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(interval)
    raise SystemExit(f"bench: no {what} within {timeout} s")


def order_payload(i, senders=2000, tag="b"):
    """The inbound ORDER message number i: Twilio's form fields, as strings;
    2 items from the SKUS products, from one of `senders` customers."""
    sid = "SM" + uuid.uuid4().hex
    wa_id = "4477%08d" % (i % senders)
    body = "ORDER %d SKU-%03d, %d SKU-%03d" % (1 + i % 3, i % SKUS, 1 + i % 2, (i * 7 + 3) % SKUS)
    return {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": f"Bench {tag}{i % senders}",
            "SmsSid": sid, "WaId": wa_id, "SmsStatus": "received", "Body": body, "To": WHATSAPP_FROM,
            "NumSegments": "1", "ReferralNumMedia": "0", "MessageSid": sid, "AccountSid": ACCOUNT_SID,
            "From": "whatsapp:+" + wa_id, "ApiVersion": "2010-04-01", "MessageType": "text"}


def inbound_envelope(payload, request_id):
    """(job id, envelope): a whatsapp.inbound job as sentia-api's webhook.c builds it."""
    env = {"id": uuid.uuid4().hex, "type": "whatsapp.inbound", "queue": "webhooks", "attempt": 0,
           "max_attempts": 20, "created_ms": int(time.time() * 1000),
           "dedup_key": "twilio:" + payload["MessageSid"], "request_id": request_id, "payload": payload}
    return env["id"], json.dumps(env, separators=(",", ":"), ensure_ascii=False)


def twilio_signature(token, url, form):
    """base64(HMAC-SHA1(token, url + every key+value, keys sorted)) (external-apis.md §1.1)."""
    data = url + "".join(k + form[k] for k in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def paced(port, requests, rate, connections):
    """Sends requests = [(method, path, body, headers)] to 127.0.0.1:port, the
    i-th due at start + i/rate, over `connections` kept-alive connections.
    Returns one dict per request, in order: status, due, sent, done (wall
    clock, s); a request that failed has status 0."""
    n = len(requests)
    start_mono = time.monotonic() + 0.2
    start_wall = time.time() + (start_mono - time.monotonic())
    results = [None] * n
    cursor = iter(range(n))
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            due = start_mono + i / rate
            while (left := due - time.monotonic()) > 0:
                time.sleep(left)
            method, path, body, headers = requests[i]
            sent = time.monotonic()
            try:
                conn.request(method, path, body, headers)
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            done = time.monotonic()
            wall = start_wall - start_mono
            results[i] = {"status": status, "due": due + wall, "sent": sent + wall, "done": done + wall}
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
