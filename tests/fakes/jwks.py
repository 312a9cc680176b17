"""Fake Clerk JWKS endpoint (external-apis.md §9.2/9.3), Python 3 stdlib for
the server; python3-jwt + python3-cryptography for the signing helpers.

Serves a JWKS at GET /.well-known/jwks.json (also /v1/jwks and /jwks.json)
and can rotate keys and go down, for the JWKS cache tests (C unit tests in
tests/lib/auth/ run it as a process; Python integration tests import
FakeJwks and sign tokens with its keys).

Control API:
  POST /_fake/set      body = a JWKS document served verbatim from now on
  POST /_fake/rotate   a new RSA key replaces the current one (new kid)
  POST /_fake/add      a new RSA key is added beside the current ones
  POST /_fake/down     the JWKS answers 503 until /_fake/up
  POST /_fake/up
  GET  /_fake/stats    {"requests": N} — JWKS requests served or refused
As a program: `python3 jwks.py [--port P]` prints {"port": P} on its first
stdout line, then serves until SIGTERM.
"""
import json
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JWKS_PATHS = ("/.well-known/jwks.json", "/jwks.json", "/v1/jwks")


def _b64url_uint(n):
    import base64
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SigningKey:
    """An RSA-2048 key with its kid; .jwk() is the public JWK."""

    def __init__(self, kid=None):
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.kid = kid or "ins_" + uuid.uuid4().hex[:24]
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self):
        pub = self.private.public_key().public_numbers()
        return {"use": "sig", "kty": "RSA", "kid": self.kid, "alg": "RS256",
                "n": _b64url_uint(pub.n), "e": _b64url_uint(pub.e)}

    def public_pem(self):
        from cryptography.hazmat.primitives import serialization
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def session_claims(issuer, azp="https://app.example.com", role="admin", lifetime=60, **extra):
    """A v2 Clerk session payload valid from now (override any claim)."""
    now = int(time.time())
    claims = {"azp": azp, "exp": now + lifetime, "iat": now, "nbf": now - 10, "iss": issuer,
              "sid": "sess_" + uuid.uuid4().hex[:24], "sub": "user_" + uuid.uuid4().hex[:24],
              "sts": "active", "v": 2}
    if role is not None:
        claims["o"] = {"id": "org_test", "rol": role, "slg": "test"}
    claims.update(extra)
    return {k: v for k, v in claims.items() if v is not None}


def sign(key, claims, headers=None):
    """An RS256 token of `claims` signed by SigningKey `key` (kid in the header)."""
    import jwt
    h = {"kid": key.kid, "typ": "JWT"}
    h.update(headers or {})
    return jwt.encode(claims, key.private, algorithm="RS256", headers=h)


class FakeJwks:
    """The server, in a thread of the test process (or of main())."""

    def __init__(self, port=0, keys=1):
        self.lock = threading.Lock()
        self.keys = [SigningKey() for _ in range(keys)]
        self.document = None  # a verbatim JWKS set with /_fake/set
        self.down = False
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body):
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path in JWKS_PATHS:
                    self._send(*fake._jwks())
                elif self.path == "/_fake/stats":
                    with fake.lock:
                        self._send(200, {"requests": fake.requests, "down": fake.down})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                self._send(*fake._control(self.path, body))

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _jwks(self):
        with self.lock:
            self.requests += 1
            if self.down:
                return 503, {"error": "down"}
            if self.document is not None:
                return 200, self.document
            return 200, {"keys": [k.jwk() for k in self.keys]}

    def _control(self, path, body):
        with self.lock:
            if path == "/_fake/set":
                self.document = body
            elif path == "/_fake/down":
                self.down = True
            elif path == "/_fake/up":
                self.down = False
            elif path in ("/_fake/rotate", "/_fake/add"):
                self.document = None
                k = SigningKey()
                self.keys = [k] if path == "/_fake/rotate" else self.keys + [k]
                return 200, {"kid": k.kid}
            else:
                return 404, {"error": "unknown control"}
        return 200, {"ok": True}

    # Direct controls for Python tests in the same process.
    def rotate(self):
        return self._control("/_fake/rotate", b"")[1]["kid"]

    def set_down(self, down):
        self._control("/_fake/down" if down else "/_fake/up", b"")

    @property
    def key(self):
        """The newest signing key."""
        return self.keys[-1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def main(argv):
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 0
    fake = FakeJwks(port=port, keys=0)
    print(json.dumps({"port": fake.port}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    fake.close()


if __name__ == "__main__":
    main(sys.argv[1:])
