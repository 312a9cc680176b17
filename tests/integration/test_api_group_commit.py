"""Group commit of webhook enqueues (issue 15, api/batch.h), real binary and
real Redis: the webhooks of one loop turn go to Redis in one enqueue_many
call. A call that fails (here: a poisoned dedup key makes the script fail
before writing anything) answers 503 to every request whose job it carried
and stores none of them; every 200 is exactly one stored job; the senders'
retries are then stored once. A lone request is answered at once (no timer
batching). The Redis restart, slowness and graceful-shutdown cases of
test_api_resilience.py run through the same batched path.
"""
import json
import socket
import time
import urllib.parse

from apiutil import FORM, INBOUND, TWILIO_TOKEN, inbound_params, start_api, twilio_signature


def raw_request(api, sid):
    params = inbound_params(sid)
    body = urllib.parse.urlencode(params).encode()
    sig = twilio_signature(TWILIO_TOKEN, api.base_url + INBOUND, params)
    head = (f"POST {INBOUND} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
            f"X-Twilio-Signature: {sig}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


def read_status(sock):
    data = b""
    sock.settimeout(10)
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


def burst(api, sids):
    """Sends one request per sid on its own connection, all completed at
    (nearly) the same moment so the API reads many in one loop turn."""
    socks, reqs = [], [raw_request(api, s) for s in sids]
    for req in reqs:
        s = socket.create_connection(("127.0.0.1", api.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(req[:-1])
        socks.append(s)
    time.sleep(0.2)
    for s, req in zip(socks, reqs):
        s.send(req[-1:])
    statuses = [read_status(s) for s in socks]
    for s in socks:
        s.close()
    return dict(zip(sids, statuses))


def stored_sids(redis, prefix):
    return [json.loads(e)["payload"]["MessageSid"] for e in redis.lrange(f"{prefix}:{{webhooks}}:ready", 0, -1)]


def failed_calls(api):
    return [r for r in api.service.logs() if r.get("msg") == "enqueue failed"]


def test_failed_call_answers_503_to_its_requests_only(services, prefix, redis):
    api = start_api(services, prefix, API_THREADS=1)
    shared = 0
    for round_ in range(8):
        poisoned = f"SMpoison{round_:02d}" + "p" * 24
        redis.hset(f"{prefix}:{{webhooks}}:dedup:twilio:{poisoned}", "f", "v")
        sids = [f"SMg{round_:02d}n{i:03d}" + "g" * 24 for i in range(40)]
        sids.insert(20, poisoned)
        before = len(failed_calls(api))
        answers = burst(api, sids)
        assert answers[poisoned] == 503, answers[poisoned]
        assert set(answers.values()) <= {200, 503}, answers
        stored = stored_sids(redis, prefix)
        assert len(stored) == len(set(stored)), "a job was stored twice"
        ok = {s for s, st in answers.items() if st == 200}
        mine = {s for s in stored if s in answers}
        assert mine == ok, (sorted(mine - ok)[:3], sorted(ok - mine)[:3])
        calls = failed_calls(api)[before:]
        assert calls, "the poisoned call was not logged"
        shared += sum(1 for c in calls if c.get("jobs", 0) > 1)
        # The senders retry: every request refused with its call is stored once.
        for s, st in answers.items():
            if st == 503 and s != poisoned:
                assert api.post_twilio(inbound_params(s))[0] == 200
        stored = stored_sids(redis, prefix)
        assert len(stored) == len(set(stored))
        assert {s for s in stored if s in answers} == set(sids) - {poisoned}
        if shared:
            break
    assert shared, "no burst put the poisoned job in a call with others"
    api.stop()


def test_lone_request_is_not_delayed(services, prefix, redis):
    api = start_api(services, prefix, API_THREADS=1)
    times = []
    for i in range(20):
        t0 = time.time()
        assert api.post_twilio(inbound_params(f"SMlone{i:03d}" + "l" * 24))[0] == 200
        times.append(time.time() - t0)
    times.sort()
    assert times[len(times) // 2] < 0.1, times  # no waiting for company
    assert len(stored_sids(redis, prefix)) == 20
    api.stop()
