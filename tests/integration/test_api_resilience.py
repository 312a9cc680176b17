"""sentia-api under failure, real binary and real Redis: Redis stopped and
restarted mid-run (503 within the timeout, 200 again without restarting the
API, every 200 matched by exactly one stored job), Redis too slow (503
redis_timeout; late replies after the answer or after the client left are
harmless), graceful shutdown under load (no 200 missing from Redis), and
10 000 malformed requests (no crash, nothing queued, sanitizers clean).
"""
import concurrent.futures
import json
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

from apiutil import (FORM, INBOUND, TWILIO_TOKEN, inbound_params, ready_jobs,
                     start_api, twilio_signature)
from servers import PrivateRedis


class Load:
    """Threads posting unique signed inbound messages until stopped."""

    def __init__(self, api, threads=4, tag="L"):
        self.api, self.results, self.stop_flag = api, [], threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(f"{tag}{i}",)) for i in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self, tag):
        n = 0
        while not self.stop_flag.is_set():
            sid = f"SM{tag}{n:020d}"
            n += 1
            t0 = time.time()
            try:
                status = self.api.post_twilio(inbound_params(sid), )[0]
            except OSError:
                status = None
            with self.lock:
                self.results.append((sid, status, t0, time.time()))
            if status is None:
                time.sleep(0.01)

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(30)
        return list(self.results)


def sids_in(client, prefix):
    return [json.loads(e)["payload"]["MessageSid"] for e in client.lrange(f"{prefix}:{{webhooks}}:ready", 0, -1)]


def test_redis_stopped_and_restarted_mid_run(services, prefix):
    r = PrivateRedis()
    try:
        api = start_api(services, prefix, redis_url=r.url, REDIS_TIMEOUT_MS=500)
        load = Load(api)
        time.sleep(1.0)
        t_snap = time.time()
        old = set(sids_in(r.client(), prefix))
        r.stop()
        t_kill = time.time()
        time.sleep(2.0)
        t_restart = time.time()  # the API may reconnect before start() sees PONG itself
        r.start()
        t_up = time.time()
        assert r.client().ping()
        deadline = time.time() + 15
        while time.time() < deadline:  # until 200s flow again, then a little more
            with load.lock:
                recent = [x for x in load.results if x[2] > t_up and x[1] == 200]
            if len(recent) >= 20:
                break
            time.sleep(0.1)
        results = load.stop()
        new_list = sids_in(r.client(), prefix)
        new = set(new_list)
        assert len(new_list) == len(new), "a job was stored twice"
        ok_before = [x for x in results if x[1] == 200 and x[3] < t_snap]
        assert ok_before and all(x[0] in old for x in ok_before)
        during = [x for x in results if x[2] > t_kill + 0.1 and x[3] < t_restart]
        assert during and all(x[1] == 503 for x in during), {x[1] for x in during}
        assert max(x[3] - x[2] for x in during) < 0.5 + 1.5  # REDIS_TIMEOUT_MS + slack
        after = [x for x in results if x[1] == 200 and x[2] > t_up]
        assert len(after) >= 20, "no 200 after Redis came back"
        assert all(x[0] in new for x in after)
        # Every 200 is a stored job: in the old Redis before the kill, or in the new one.
        for sid, status, t0, t1 in results:
            if status == 200:
                assert sid in old or sid in new or t_snap <= t1 <= t_kill + 0.1, sid
        api.stop()
    finally:
        r.close()


def test_redis_too_slow_answers_503_then_dedups(services, prefix):
    r = PrivateRedis()
    try:
        api = start_api(services, prefix, redis_url=r.url, REDIS_TIMEOUT_MS=300, ENABLE_H2C="true")
        blocker = threading.Thread(target=lambda: r.client().execute_command("DEBUG", "SLEEP", "1.5"))
        blocker.start()
        time.sleep(0.1)
        p = inbound_params("SM" + "s" * 32)
        t0 = time.time()
        status, h, body = api.post_twilio(p)
        assert status == 503 and json.loads(body)["error"]["code"] == "redis_timeout"
        assert h["retry-after"] == "1" and time.time() - t0 < 1.2
        # Clients that leave while their request waits on Redis (HTTP/1 and HTTP/2).
        body_txt = urllib.parse.urlencode(inbound_params("SM" + "t" * 32))
        sig = twilio_signature(TWILIO_TOKEN, api.base_url + INBOUND, inbound_params("SM" + "t" * 32))
        for proto in ("--http1.1", "--http2-prior-knowledge"):
            subprocess.run(["curl", "-s", proto, "--max-time", "0.1", "-H", f"Content-Type: {FORM}",
                            "-H", f"X-Twilio-Signature: {sig}", "--data-binary", body_txt,
                            f"http://127.0.0.1:{api.port}{INBOUND}"], timeout=10)
        blocker.join()
        # Redis is back: the sender's retry is answered 200, one job in all.
        deadline = time.time() + 10
        while time.time() < deadline:
            status = api.post_twilio(p)[0]
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200
        assert sids_in(r.client(), prefix).count("SM" + "s" * 32) == 1
        api.stop()
    finally:
        r.close()


def test_graceful_shutdown_under_load(services, prefix, redis):
    api = start_api(services, prefix, API_THREADS=2)
    load = Load(api, threads=6, tag="G")
    time.sleep(1.0)
    api.service.signal(signal.SIGTERM)
    code = api.service.proc.wait(15)
    results = load.stop()
    assert code == 0, api.service.stderr()[-3000:]
    api.stop()  # checks sanitizer output
    ok = [x[0] for x in results if x[1] == 200]
    assert len(ok) > 50
    stored = set(sids_in(redis, prefix))
    missing = [s for s in ok if s not in stored]
    assert not missing, missing[:5]
    assert any(r.get("msg") == "stopped" for r in api.service.logs())


def fuzz_cases(api, n, seed):
    rnd = random.Random(seed)
    methods = [b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"HEAD", b"TRACE", b"CONNECT",
               b"BREW", b"G\x00T", b"", b"POST POST", b"\xff\xfe"]
    paths = [INBOUND.encode(), b"/api/v1/whatsapp/status", b"/api/v1/webhooks/shopify",
             b"/api/v1/webhooks/xero", b"/health", b"/metrics", b"/health/detailed", b"/../../etc/passwd",
             b"/%00", b"/" + b"a" * 5000, b"*", b"http://x/y", b"/api/v1/whatsapp/webhook?" + b"q=" * 300]
    ctypes = [FORM.encode(), b"application/json", b"text/plain", b"multipart/form-data; boundary=x",
              b"application/x-www-form-urlencoded; charset=\xff", b"", b"\x00\x01"]
    sid = inbound_params("SMfuzz")
    signed_body = urllib.parse.urlencode(sid).encode() + b"&Body=%ff%fe%80"
    for i in range(n):
        kind = rnd.randrange(10)
        m, p, ct = rnd.choice(methods), rnd.choice(paths), rnd.choice(ctypes)
        body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
        if kind == 0:  # truncated body
            yield m + b" " + p + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" + body[:100]
        elif kind == 1:  # huge header
            yield b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"A" * rnd.choice([20000, 500000]) + b"\r\n\r\n"
        elif kind == 2:  # too many headers
            yield b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % k for k in range(rnd.choice([70, 150]))) + b"\r\n"
        elif kind == 3:  # pure garbage
            yield body
        elif kind == 4:  # broken chunked encoding
            yield b"POST " + p + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + body
        elif kind == 5:  # signed body with invalid UTF-8 (signature right, content not)
            yield (b"POST " + INBOUND.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode() +
                   b"\r\nX-Twilio-Signature: " + b"A" * 28 + b"\r\nContent-Length: %d\r\n\r\n" % len(signed_body) +
                   signed_body)
        elif kind == 6:  # HTTP/2 preface then garbage
            yield b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + body
        elif kind == 7:  # bad content length
            yield m + b" " + p + b" HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n" + body
        else:  # plausible request with random method / path / content type / body
            yield (m + b" " + p + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + ct +
                   b"\r\nX-Twilio-Signature: abc\r\nX-Shopify-Hmac-Sha256: abc\r\nx-xero-signature: abc"
                   b"\r\nX-Shopify-Topic: orders/create\r\nX-Shopify-Webhook-Id: x\r\nContent-Length: %d\r\n\r\n"
                   % len(body) + body)


def send_raw(port, data):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
    except OSError:
        pass


def test_fuzz_10000_malformed_requests(services, prefix, redis):
    api = start_api(services, prefix, REQUEST_TIMEOUT_MS=2000)
    cases = list(fuzz_cases(api, 10000, seed=20261124))
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda c: send_raw(api.port, c), cases))
    assert time.time() - t0 < 120
    assert api.get("/health")[0] == 200
    assert ready_jobs(redis, prefix) == []
    assert redis.llen(f"{prefix}:{{webhooks}}:ready") == 0
    api.stop()
