"""lib/http (curl multi on libuv) against a local ThreadingHTTPServer, through
tests/lib/http_driver.c: concurrent transfers, methods, bodies, headers and
basic auth, statuses apart from transport errors, keep-alive reuse, the
per-request timeout, the response cap, a refused connection, cancellation and
closing the client with transfers running.
"""
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import free_port, run


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/hello":
            self._send(200, "hello", [("X-Test", "yes")])
        elif self.path.startswith("/status/"):
            self._send(int(self.path.split("/")[2]), "status body", [("Retry-After", "7")])
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, "late")
        elif self.path == "/big":
            self._send(200, b"x" * 100000)
        else:
            self._send(404, "no")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n).decode()
        doc = {"method": self.command, "body": body,
               "content_type": self.headers.get("Content-Type"),
               "auth": self.headers.get("Authorization")}
        self._send(201, json.dumps(doc), [("Content-Type", "application/json")])

    do_PUT = do_POST


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # LIBRARIES.md: the default backlog of 5 stalls connects

    def handle_error(self, request, client_address):
        pass  # a client that cancelled or timed out left: expected here


@pytest.fixture
def server():
    srv = Server(("127.0.0.1", free_port()), Handler)
    srv.lock = threading.Lock()
    srv.connections = 0
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def drive(spec, timeout=30):
    cp = run("http-test-driver", input=json.dumps(spec), timeout=timeout)
    assert cp.returncode == 0, cp.stderr
    out = [json.loads(line) for line in cp.stdout.splitlines()]
    return {r["i"]: r for r in out}


def url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_concurrent_requests_methods_and_statuses(server):
    reqs = [{"url": url(server, "/hello"), "header": "x-test"} for _ in range(20)]
    reqs.append({"method": "POST", "url": url(server, "/echo"), "body": "a=1&b=two",
                 "headers": ["Content-Type: application/x-www-form-urlencoded"],
                 "basic_auth": "AC123:s3cret"})
    reqs.append({"method": "PUT", "url": url(server, "/echo"), "body": "{}"})
    reqs.append({"url": url(server, "/status/503"), "header": "Retry-After"})
    reqs.append({"url": url(server, "/status/404")})
    res = drive({"requests": reqs})
    assert len(res) == 24
    for i in range(20):
        assert (res[i]["status"], res[i]["body"], res[i]["header"], res[i]["error"]) == \
            (200, "hello", "yes", None)
    echo = json.loads(res[20]["body"])
    assert res[20]["status"] == 201 and echo["method"] == "POST" and echo["body"] == "a=1&b=two"
    assert echo["content_type"] == "application/x-www-form-urlencoded"
    assert echo["auth"] == "Basic " + base64.b64encode(b"AC123:s3cret").decode()
    assert json.loads(res[21]["body"])["method"] == "PUT"
    assert (res[22]["status"], res[22]["error"], res[22]["header"]) == (503, None, "7")
    assert (res[23]["status"], res[23]["error"]) == (404, None)


def test_sequential_requests_reuse_one_connection(server):
    res = drive({"requests": [{"url": url(server, "/hello")} for _ in range(5)],
                 "sequential": True})
    assert [r["status"] for r in res.values()] == [200] * 5
    assert server.connections == 1


def test_timeout_is_a_transport_error(server):
    t0 = time.time()
    res = drive({"requests": [{"url": url(server, "/slow"), "timeout_ms": 300},
                              {"url": url(server, "/hello")}]})
    assert time.time() - t0 < 2.5
    assert res[0]["status"] == 0 and res[0]["timed_out"] is True and res[0]["error"]
    assert res[1]["status"] == 200


def test_response_cap(server):
    res = drive({"requests": [{"url": url(server, "/big"), "max_response_bytes": 1000},
                              {"url": url(server, "/big")}]})
    assert res[0]["status"] == 0 and res[0]["error"] == "response too large"
    assert res[1]["status"] == 200 and res[1]["body_len"] == 100000


def test_refused_connection_is_a_transport_error():
    res = drive({"requests": [{"url": f"http://127.0.0.1:{free_port()}/x"}]})
    assert res[0]["status"] == 0 and res[0]["error"] and res[0]["timed_out"] is False


def test_cancel_and_close_with_transfers_running(server):
    t0 = time.time()
    res = drive({"requests": [{"url": url(server, "/slow"), "cancel_after_ms": 200},
                              {"url": url(server, "/hello")}]})
    assert res[0]["error"] == "cancelled" and res[0]["status"] == 0
    assert res[1]["status"] == 200
    res = drive({"requests": [{"url": url(server, "/slow")} for _ in range(3)],
                 "close_after_ms": 300})
    assert [r["error"] for r in res.values()] == ["cancelled"] * 3
    assert time.time() - t0 < 6.5
