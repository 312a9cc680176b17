"""HTTP/2 cleartext (issue 17 §1): off by default — the prior-knowledge
preface is refused (400, closed) and Upgrade: h2c is ignored while HTTP/1.1
keeps working; on with ENABLE_H2C, a rapid-reset client (HEADERS +
RST_STREAM pairs) and a PING-only client are cut off with GOAWAY, and a
normal HTTP/2 client still works. The clients speak raw HTTP/2 frames."""
import os
import socket
import struct
import subprocess
import time

import pytest

from apiutil import metric, start_api

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def get_headers(path, authority="127.0.0.1"):
    """HPACK without Huffman or indexing: GET, http, path, authority."""
    block = bytes([0x82, 0x86, 0x04, len(path)]) + path.encode() + bytes([0x01, len(authority)]) + authority.encode()
    return block


def read_frames(sock, until, timeout=5.0):
    """Frames the server sends until EOF, `until(frames)` or the timeout → (frames, closed)."""
    sock.settimeout(0.2)
    buf, frames, deadline = b"", [], time.time() + timeout
    while time.time() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            data = None
        except ConnectionResetError:
            return frames, True
        if data == b"":
            return frames, True
        if data:
            buf += data
            while len(buf) >= 9:
                n = int.from_bytes(buf[:3], "big")
                if len(buf) < 9 + n:
                    break
                frames.append((buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + n]))
                buf = buf[9 + n:]
            if until(frames):
                return frames, False
    return frames, False


def h2_connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(PREFACE + frame(4, 0, 0))
    return s


def goaway(frames):
    return [f for f in frames if f[0] == 7]


def test_h2c_off_refuses_preface_and_ignores_upgrade(services, prefix):
    api = start_api(services, prefix)
    s = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    s.sendall(PREFACE + frame(4, 0, 0) + frame(1, 5, 1, get_headers("/health")))
    data = b""
    s.settimeout(5)
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 400"), data[:80]  # then closed: no HTTP/2 spoken
    # Upgrade: h2c is ignored: answered over HTTP/1.1, no 101.
    s = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
              b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
    s.settimeout(5)
    head = s.recv(65536)
    s.close()
    assert head.startswith(b"HTTP/1.1 200"), head[:80]
    if os.path.exists("/usr/bin/curl"):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
                              f"http://127.0.0.1:{api.port}/health"], capture_output=True, text=True, timeout=10)
        assert out.stdout in ("000", "400"), out.stdout
    assert api.get("/health")[0] == 200
    api.stop()


def test_h2c_on_normal_client_works(services, prefix):
    api = start_api(services, prefix, ENABLE_H2C="true")
    s = h2_connect(api.port)
    for sid in (1, 3, 5):
        s.sendall(frame(1, 5, sid, get_headers("/health")))
    frames, closed = read_frames(s, lambda fs: sum(1 for f in fs if f[0] == 1) >= 3)
    s.close()
    headers = [f for f in frames if f[0] == 1]
    assert len(headers) == 3 and not closed
    assert all(f[3][:1] == b"\x88" for f in headers)  # :status 200, indexed
    assert not goaway(frames)
    if os.path.exists("/usr/bin/curl"):
        out = subprocess.run(["curl", "-s", "-i", "--http2-prior-knowledge", f"http://127.0.0.1:{api.port}/health"],
                             capture_output=True, text=True, timeout=10)
        assert out.stdout.startswith("HTTP/2 200"), out.stdout
    api.stop()


def test_h2c_rapid_reset_is_cut_off(services, prefix):
    api = start_api(services, prefix, ENABLE_H2C="true", H2C_MAX_STREAMS_PER_S=50)
    s = h2_connect(api.port)
    burst = b"".join(frame(1, 5, sid, get_headers("/health")) + frame(3, 0, sid, struct.pack(">I", 8))
                     for sid in range(1, 2 * 2000, 2))
    try:
        s.sendall(burst)
    except (BrokenPipeError, ConnectionResetError):
        pass
    t0 = time.time()
    frames, closed = read_frames(s, lambda fs: False, timeout=5)
    s.close()
    assert closed and time.time() - t0 < 3
    [ga] = goaway(frames)
    assert int.from_bytes(ga[3][4:8], "big") == 0xB  # ENHANCE_YOUR_CALM
    ms = api.metrics()
    assert metric(ms, "sentia_h2c_connections_closed_total", reason="stream_rate") == 1
    served = metric(ms, "sentia_http_requests_total", route="/health", status="200") or 0
    assert served <= 60, served  # the bound, not 2000 handlers
    # Streams reset before any handler ran count too: HEADERS without END_STREAM.
    s = h2_connect(api.port)
    burst = b"".join(frame(1, 4, sid, get_headers("/health")) + frame(3, 0, sid, struct.pack(">I", 8))
                     for sid in range(1, 2 * 500, 2))
    s.sendall(burst)
    frames, closed = read_frames(s, lambda fs: False, timeout=5)
    s.close()
    assert closed and goaway(frames)
    assert api.get("/health")[0] == 200  # HTTP/1.1 unaffected
    api.stop()


def test_h2c_ping_only_connection_is_closed(services, prefix):
    api = start_api(services, prefix, ENABLE_H2C="true", REQUEST_TIMEOUT_MS=1000)
    s = h2_connect(api.port)
    s.settimeout(0.2)
    t0, closed, got = time.time(), False, b""
    while time.time() - t0 < 6 and not closed:
        try:
            s.sendall(frame(6, 0, 0, b"12345678"))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        try:
            data = s.recv(65536)
            closed = data == b""
            got += data
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
        time.sleep(0.1)
    s.close()
    assert closed and time.time() - t0 < 3.5
    assert b"\x00\x00\x08\x07" in got  # a GOAWAY frame header
    assert metric(api.metrics(), "sentia_h2c_connections_closed_total", reason="idle") == 1
    api.stop()


def test_h2c_connection_lifetime(services, prefix):
    api = start_api(services, prefix, ENABLE_H2C="true", H2C_MAX_CONNECTION_S=1)
    s = h2_connect(api.port)
    t0, sid, closed = time.time(), 1, False
    while time.time() - t0 < 5 and not closed:
        try:
            s.sendall(frame(1, 5, sid, get_headers("/health")))
        except (BrokenPipeError, ConnectionResetError):
            break
        frames, closed = read_frames(s, lambda fs: any(f[0] in (1, 7) for f in fs), timeout=1)
        sid += 2
        time.sleep(0.2)
    s.close()
    assert time.time() - t0 < 3
    assert metric(api.metrics(), "sentia_h2c_connections_closed_total", reason="lifetime") == 1
    api.stop()
