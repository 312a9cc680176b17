"""The WhatsApp job handlers (worker/jobs/whatsapp.c, worker/jobs/notify.c)
run by a real sentia-worker against the test Postgres and Redis and the fake
Twilio: each test puts envelopes on the queues as sentia-api (or a
redelivery) would and reads the outcome where the system leaves it — the
per-type counters, the job in `delayed` (a retry spends an attempt, a defer
does not) or in `dead` with its reason, the follow-up job in `notify`, rows
in Postgres, requests at the fake. tests/integration/test_whatsapp_e2e.py
adds sentia-api in front.

Proves: an ORDER message becomes one order, one notify job (key
reply:<MessageSid>) and one message at Twilio with the exact form, basic
auth, StatusCallback and idempotency token; its signed status callbacks make
the notification delivered; re-running either job changes nothing; bad input
gets a precise reply and never a partial order; 429 with Retry-After defers,
429 without / 5xx / refused connections retry, and a send is still made
once; a refused number is dead with Twilio's code and message; the crash
window between Twilio accepting and the sid being stored is closed by the
idempotency token; Postgres down defers without spending an attempt.

A retry or defer stays in `delayed` until the test makes it due
(Queues.due_now), so the state between two runs is read without a race.
"""
import json
import socket
import types

import pytest

from conftest import (Service, create_database, drop_database, drop_prefix, new_prefix, pg, query,
                      redis_client, wait_until)
from whatsapp_support import (ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, DEFAULT_CATALOG, WHATSAPP_FROM,
                              CallbackSink, FakeTwilio, Queues, envelope, inbound_payload, new_sid,
                              seed_catalog, start_worker, worker_env)

BAD_NUMBER = "whatsapp:+15005550009"
LONG_BACKOFF = {"backoff_ms": 600_000}  # a retry waits for the test (Queues.due_now)
# One job at a time per queue: runs of one test happen in the order it enqueues them.
WORKER_QUEUES = "webhooks:1,notify:1"


def utf16_units(s):
    return len(s.encode("utf-16-le")) // 2


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_stopped(w):
    """Stops a worker (exit 0, sanitizers clean) and checks no handler broke the contract."""
    if w.proc.poll() is None:
        w.stop()
    broken = [r for r in w.logs() if r.get("msg") == "handler used a finished run; ignored"]
    assert broken == [], broken


def inbound_env(body, sid=None, **kw):
    p = inbound_payload(body, sid=sid, **kw)
    return envelope("webhooks", "whatsapp.inbound", p, dedup_key="twilio:" + p["MessageSid"]), p


def notify_env(to=CUSTOMER, body="hello", key=None, **optional):
    key = key or "reply:" + new_sid()
    return envelope("notify", "notify.whatsapp", {"to": to, "body": body, "idempotency_key": key,
                                                  "in_reply_to": key.split(":", 1)[1]},
                    dedup_key=key, **optional), key


def job_id(text):
    return json.loads(text)["id"]


def ask(queues, body, **kw):
    """Enqueues an inbound message and returns the reply job it leaves in
    `notify` (served by no consumer here), once the inbound job completed."""
    done = queues.count("webhooks", "whatsapp.inbound")
    env_in, p = inbound_env(body, **kw)
    assert queues.enqueue(env_in)
    reply = queues.follow_up("notify", "reply:" + p["MessageSid"])
    queues.wait_count("webhooks", "whatsapp.inbound", done + 1)
    return reply, p


# ---- fixtures ------------------------------------------------------------------------


@pytest.fixture
def fake():
    f = FakeTwilio(callback_delay_ms=5, bad_numbers=[BAD_NUMBER])
    yield f
    f.stop()


@pytest.fixture
def sink():
    s = CallbackSink()
    yield s
    s.stop()


@pytest.fixture
def queues(redis, prefix):
    return Queues(redis, prefix)


@pytest.fixture
def env(prefix, database, fake, sink):
    seed_catalog(database, DEFAULT_CATALOG)
    return worker_env(prefix, database, fake, public_base_url=sink.url.rsplit("/api/", 1)[0],
                      WORKER_QUEUES=WORKER_QUEUES)


@pytest.fixture
def worker(services, env):
    """Factory: worker(VAR=value, …) starts a sentia-worker with the test's
    environment changed (None unsets a variable); all are stopped and checked
    after the test."""
    started = []

    def start(**changes):
        e = {k: v for k, v in dict(env, **changes).items() if v is not None}
        w = start_worker(services, {k: str(v) for k, v in e.items()})
        started.append(w)
        return w

    yield start
    for w in started:
        check_stopped(w)


@pytest.fixture(scope="module")
def inbound_only(template_db):
    """One worker serving only `webhooks` on one database for the reply-text
    cases, which place no order and so cannot disturb each other: every reply
    stays in `notify` to be read."""
    r = redis_client()
    prefix = new_prefix()
    database = create_database(template_db)
    seed_catalog(database, DEFAULT_CATALOG)
    w = start_worker(lambda name, env: Service(name, (), env, "whatsapp-inbound-only"),
                     worker_env(prefix, database, WORKER_QUEUES="webhooks:4"))
    try:
        yield types.SimpleNamespace(queues=Queues(r, prefix), database=database)
        check_stopped(w)
    finally:
        w.kill()
        drop_database(database)
        drop_prefix(r, prefix)
        r.close()


# ---- the flow --------------------------------------------------------------------------


def test_order_to_delivered(worker, queues, fake, sink, database):
    queues.pause("notify")  # the reply job waits in `notify` to be looked at
    worker()
    env_in, p = inbound_env("ORDER 2 SKU-1, 1 SKU-2")
    sid = p["MessageSid"]
    assert queues.enqueue(env_in)
    job = queues.follow_up("notify", "reply:" + sid)
    queues.wait_count("webhooks", "whatsapp.inbound", 1)
    reply = ("Thank you! Order 1001 is placed (pending):\n2 x SKU-1 Widget @ 12.50 = 25.00\n"
             "1 x SKU-2 Gadget @ 3.00 = 3.00\nTotal 28.00 GBP\n"
             "Reply STATUS 1001 to follow it or CANCEL 1001 to cancel it.")
    assert (job["queue"], job["type"], job["dedup_key"]) == ("notify", "notify.whatsapp", "reply:" + sid)
    assert job["payload"] == {"to": CUSTOMER, "body": reply, "idempotency_key": "reply:" + sid,
                              "in_reply_to": sid}
    assert [j["id"] for j in queues.jobs("notify", "ready")] == [job["id"]]
    assert (queues.stats("notify")["enqueued"], queues.stats("notify").get("deduped", 0)) == (1, 0)
    assert query(database, "SELECT number, status, total::text FROM orders") == [(1001, "pending", "28.00")]

    queues.pause("notify", on=False)
    queues.wait_count("notify", "notify.whatsapp", 1)
    (req,) = fake.requests()
    assert req["auth_ok"] and req["idempotency_token"] == "reply:" + sid
    assert req["form"] == {"To": CUSTOMER, "From": WHATSAPP_FROM, "Body": reply, "StatusCallback": sink.url}
    (msg,) = fake.messages()
    assert query(database, "SELECT status, provider_id, attempts FROM notifications") == \
        [("queued", msg["sid"], 1)]

    wait_until(lambda: len(sink.received) == 3, what="three status callbacks")
    assert all(x["signature_ok"] for x in sink.received)
    for f in sink.forms():
        assert queues.enqueue(envelope("webhooks", "whatsapp.status", f,
                                       dedup_key=f"twilio-status:{f['MessageSid']}:{f['MessageStatus']}"))
    queues.wait_count("webhooks", "whatsapp.status", 3)
    assert query(database, "SELECT n.status, n.delivered_at IS NOT NULL, m.status, m.direction "
                           "FROM notifications n JOIN whatsapp_messages m ON m.message_sid = n.provider_id") == \
        [("delivered", True, "delivered", "out")]
    assert queues.stats("webhooks").get("failed", 0) == queues.stats("notify").get("failed", 0) == 0


def test_rerunning_jobs_changes_nothing(worker, queues, redis, fake, database):
    queues.pause("notify")
    w = worker(LOG_LEVEL="debug")
    env_in, p = inbound_env("ORDER 3 SKU-1")
    key = "reply:" + p["MessageSid"]
    assert queues.enqueue(env_in)
    first = queues.follow_up("notify", key)
    queues.wait_count("webhooks", "whatsapp.inbound", 1)
    queues.redeliver(env_in)  # run 2: Redis refuses the second reply job
    queues.wait_count("webhooks", "whatsapp.inbound", 2)
    assert queues.stats("notify")["deduped"] == 1
    assert [j["id"] for j in queues.jobs("notify", "ready")] == [first["id"]]
    redis.delete(queues.key("notify", "dedup:" + key))  # 24 h later the Redis key has expired
    queues.redeliver(env_in)  # run 3: a second reply job, with the same text
    queues.wait_count("webhooks", "whatsapp.inbound", 3)
    second = queues.follow_up("notify", key)
    assert second["id"] != first["id"] and second["payload"] == first["payload"]
    assert query(database, "SELECT count(*), sum(total)::text FROM orders") == [(1, "37.50")]
    assert query(database, "SELECT allocated FROM inventory WHERE sku = 'SKU-1'") == [(3,)]
    handled = [r["replay"] for r in w.logs() if r.get("msg") == "whatsapp message handled"]
    assert handled == [False, True, True]

    queues.pause("notify", on=False)  # both reply jobs run (one slot: in order) ...
    queues.wait_count("notify", "notify.whatsapp", 2)
    for n in (3, 4):  # ... and the first is delivered twice more
        queues.redeliver(json.dumps(first, separators=(",", ":")))
        queues.wait_count("notify", "notify.whatsapp", n)
    assert len(fake.requests()) == 1 and len(fake.messages()) == 1
    assert query(database, "SELECT count(*), max(attempts) FROM notifications") == [(1, 1)]


BAD_INPUTS = [
    ("ORDER 2 SKU-404", ["- SKU-404: no such product"]),
    ("ORDER 0 SKU-1", ["- SKU-1: quantity 0 is not allowed (a whole number from 1 to 10000)"]),
    ("ORDER 99999999999999999999 SKU-1", ["- SKU-1: quantity 99999999999999999999 is not allowed"]),
    ("ORDER -3 SKU-1", ["- SKU-1: quantity -3 is not allowed"]),
    ("ORDER 10001 SKU-1", ["- SKU-1: quantity 10001 is not allowed"]),
    ("ORDER 6 SKU-2", ["- SKU-2: not enough stock (you asked for 6, 5 available)"]),
    ("ORDER 1 SKU-3", ["- SKU-3: no longer sold"]),
    ("ORDER 1 SKU-1, 1 EUR-1", ["- EUR-1: priced in EUR but the order is in GBP"]),
    ("ORDER 2 SKU-1, 0 SKU-404", ["- SKU-404: no such product", "- SKU-404: quantity 0 is not allowed"]),
    ("ORDER", ["- no items; write e.g. ORDER 2 SKU-1, 1 SKU-2"]),
    ("", ["Your message was empty."]),
    ("   \u00a0\u200b ", ["Your message was empty."]),
    ("\U0001F355\U0001F355\U0001F355", ["Sorry, I did not understand that."]),
    ("ORDER 2 \U0001F355", ["- 2: no such product"]),  # the emoji is ignored, "2" read as a SKU
    ("Заказ 2 SKU-1", ["Sorry, I did not understand that."]),
    ("ORDER 2 商品-1", ["- \"2 商品-1\": not an item"]),
    ("ORDER 1 SKU-1'; DROP TABLE orders;--", ["- \"1 SKU-1'\": not an item", "- \"DROP TABLE orders\": not an item"]),
    ("'; DELETE FROM orders; --", ["Sorry, I did not understand that."]),
    ("x" * 5000, ["Sorry, I did not understand that."]),
    ("ORDER " + ", ".join(f"1 SKU-{i}" for i in range(700)), ["- too many items: at most 50 per order"]),
    ("ORDER 1 " + "Z" * 4990, ["not an item"]),
    ("STATUS 424242", ["We found no order 424242 of yours."]),
    ("CANCEL", ["Which order? Reply CANCEL with its number"]),
    ("CANCEL 12ab", ["\"12ab\" is not an order number."]),
]


@pytest.mark.parametrize("body,expected", BAD_INPUTS, ids=[f"bad{i}" for i in range(len(BAD_INPUTS))])
def test_bad_input_gets_a_precise_reply_and_no_order(inbound_only, body, expected):
    job, p = ask(inbound_only.queues, body)
    reply = job["payload"]["body"]
    for e in expected:
        assert e in reply, reply
    assert 0 < utf16_units(reply) <= 1600
    db = inbound_only.database
    assert query(db, "SELECT count(*) FROM orders") == [(0,)]
    assert query(db, "SELECT sum(allocated) FROM inventory") == [(0,)]
    assert query(db, "SELECT count(*) FROM whatsapp_messages WHERE direction = 'in' AND message_sid = %s",
                 p["MessageSid"]) == [(1,)]
    s = inbound_only.queues.stats("webhooks")
    assert s.get("failed", 0) == 0 and s.get("dead", 0) == 0


def test_media_message_without_text(inbound_only):
    job, _ = ask(inbound_only.queues, "", NumMedia="1", MediaUrl0="https://api.twilio.com/x",
                 MediaContentType0="image/jpeg")
    assert job["payload"]["body"].startswith("I can only read text messages.")


def test_status_cancel_and_catalog_replies(worker, queues, database):
    seed_catalog(database, [(f"P-{i:02d}", f"Product {i}", "2.00", "GBP", True, 3) for i in range(10)])
    worker(WORKER_QUEUES="webhooks:1")  # replies stay in `notify`

    def reply(body):
        return ask(queues, body)[0]["payload"]["body"]

    assert "Order 1001 is placed" in reply("order 2x SKU-1")
    assert reply("STATUS").startswith("Your latest orders:\nOrder 1001: pending, 25.00 GBP, placed ")
    assert reply("cancel #1001") == "Order 1001 is cancelled. Its items are back in stock."
    assert query(database, "SELECT allocated FROM inventory WHERE sku = 'SKU-1'") == [(0,)]
    catalog = reply("CATALOG")
    assert catalog.startswith("Catalog, page 1 of 2:\nEUR-1 - Euro thing - 5.00 EUR - 10 in stock\n")
    assert catalog.endswith("Reply CATALOG 2 for more.")
    assert "SKU-2 - Gadget - 3.00 GBP - 5 in stock" in reply("catalog 2")
    assert reply("help").startswith("You can send:\nORDER 2 SKU-1, 1 SKU-2")


# ---- sending: Twilio's answers ------------------------------------------------------------


def test_429_with_retry_after_defers_then_sends_once(worker, queues, fake, database):
    fake.script(faults=[{"status": 429, "retry_after": "120"}])
    worker()
    env_n, _ = notify_env()
    assert queues.enqueue(env_n)
    job = queues.wait_job("notify", "delayed", job_id(env_n))
    assert job["attempt"] == 0 and "20429" in job["last_error"]  # a defer spends no attempt
    assert job["run_at_ms"] - job["failed_ms"] == 120_000
    s = queues.stats("notify")
    assert (s["deferred"], s.get("retried", 0), s.get("failed", 0)) == (1, 0, 0)
    assert query(database, "SELECT status, attempts, last_error FROM notifications") == \
        [("retrying", 1, "Too Many Requests")]
    queues.due_now("notify", job["id"])
    queues.wait_count("notify", "notify.whatsapp", 1)
    assert [x["status"] for x in fake.requests()] == [429, 201] and len(fake.messages()) == 1
    assert query(database, "SELECT status, attempts FROM notifications") == [("queued", 2)]


@pytest.mark.parametrize("fault", [{"status": 429}, {"status": 500}, {"status": 503}, {"drop": True}])
def test_transient_answers_are_retried(worker, queues, fake, database, fault):
    fake.script(faults=[fault])
    worker()
    env_n, _ = notify_env(**LONG_BACKOFF)
    assert queues.enqueue(env_n)
    job = queues.wait_job("notify", "delayed", job_id(env_n))
    assert job["attempt"] == 1 and job["last_error"].startswith("twilio"), job
    assert queues.stats("notify")["retried"] == 1
    assert query(database, "SELECT status FROM notifications") == [("retrying",)]
    queues.due_now("notify", job["id"])
    queues.wait_count("notify", "notify.whatsapp", 1)
    assert len(fake.messages()) == 1


def test_invalid_number_is_dead_with_twilios_reason(worker, queues, fake, database):
    worker()
    env_n, _ = notify_env(to=BAD_NUMBER)
    assert queues.enqueue(env_n)
    job = queues.wait_job("notify", "dead", job_id(env_n))
    assert job["last_error"] == f"twilio 21211: The 'To' number {BAD_NUMBER} is not a valid phone number."
    assert queues.count("notify", "notify.whatsapp", "dead") == 1
    assert queues.stats("notify").get("retried", 0) == 0
    assert query(database, "SELECT status, error_code, provider_id FROM notifications") == \
        [("failed", 21211, None)]
    assert fake.messages() == []


def test_crash_after_twilio_accepted_sends_once(worker, queues, fake, database):
    """A run that crashed after Twilio accepted (sid never stored) is re-run by
    the same job: the claim is taken over and the token returns the first
    message."""
    env_n, key = notify_env(body="the reply")
    job = json.loads(env_n)
    conn = pg(database)
    with conn.cursor() as cur:  # what the crashed attempt left: its claim ...
        cur.execute("SELECT outcome FROM notification_claim(%s, 'whatsapp', %s, 'the reply', NULL, %s, 60)",
                    (key, CUSTOMER, job["id"]))
        assert cur.fetchone() == ("claimed",)
    conn.close()
    status, _, first = fake.send({"To": CUSTOMER, "From": WHATSAPP_FROM, "Body": "the reply"},
                                 headers={"I-Twilio-Idempotency-Token": key})  # ... and Twilio's message
    assert status == 201
    worker()
    queues.redeliver(env_n)  # the reaper hands the crashed run's job out again
    queues.wait_count("notify", "notify.whatsapp", 1)
    assert len(fake.messages()) == 1 and fake.requests()[-1]["replayed"] is True
    assert query(database, "SELECT provider_id, status FROM notifications") == [(first["sid"], "queued")]
    other = envelope("notify", "notify.whatsapp", job["payload"], dedup_key=key)  # another job: done
    queues.redeliver(other)
    queues.wait_count("notify", "notify.whatsapp", 2)
    assert len(fake.messages()) == 1 and len(fake.requests()) == 2


def test_claim_held_by_another_live_run_is_busy(worker, queues, fake, database):
    env_n, key = notify_env(**LONG_BACKOFF)
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM notification_claim(%s, 'whatsapp', %s, 'x', NULL, 'other-job', 60)",
                    (key, CUSTOMER))
    conn.close()
    worker()
    assert queues.enqueue(env_n)
    job = queues.wait_job("notify", "delayed", job_id(env_n))
    assert job["attempt"] == 1 and "being sent by another run" in job["last_error"]
    assert fake.requests() == []


# ---- failures of what the handlers depend on ----------------------------------------------


def test_postgres_down_is_transient(worker, queues, redis, fake):
    worker(DATABASE_URL=f"postgresql://sentia:sentia@127.0.0.1:{closed_port()}/nope")
    env_in, p = inbound_env("ORDER 1 SKU-1")
    env_n, _ = notify_env()
    assert queues.enqueue(env_in) and queues.enqueue(env_n)
    for queue, text in (("webhooks", env_in), ("notify", env_n)):
        job = queues.wait_job(queue, "delayed", job_id(text))
        assert job["attempt"] == 0 and "postgres" in job["last_error"], job  # deferred: no attempt spent
        s = queues.stats(queue)
        assert s["deferred"] >= 1 and s.get("retried", 0) == 0 and s.get("dead", 0) == 0
    assert redis.exists(queues.key("notify", "dedup:reply:" + p["MessageSid"])) == 0  # no reply job
    assert fake.requests() == []


def test_twilio_unreachable_is_transient(worker, queues, database):
    worker(TWILIO_API_BASE=f"http://127.0.0.1:{closed_port()}")
    env_n, _ = notify_env(**LONG_BACKOFF)
    assert queues.enqueue(env_n)
    job = queues.wait_job("notify", "delayed", job_id(env_n))
    assert job["attempt"] == 1 and job["last_error"].startswith("twilio: "), job
    assert query(database, "SELECT status FROM notifications") == [("retrying",)]


def test_wrong_credentials_are_retried_not_dead(worker, queues, fake):
    wrong = "wrong-token-" + new_sid()
    w = worker(TWILIO_AUTH_TOKEN=wrong, LOG_LEVEL="debug")
    env_n, _ = notify_env(**LONG_BACKOFF)
    assert queues.enqueue(env_n)
    job = queues.wait_job("notify", "delayed", job_id(env_n))
    assert job["attempt"] == 1 and "20003" in job["last_error"]
    w.stop()
    with open(w.log_path) as f:
        text = f.read() + w.stderr()
    assert wrong not in text and AUTH_TOKEN not in text


def test_bad_payloads_and_configuration(worker, queues):
    bad = [
        envelope("webhooks", "whatsapp.inbound", {"Body": "hi", "From": CUSTOMER}),
        envelope("webhooks", "whatsapp.inbound", {"MessageSid": "SM1'--", "From": CUSTOMER}),
        envelope("webhooks", "whatsapp.inbound", {"MessageSid": "SM1", "From": "nobody"}),
        envelope("webhooks", "whatsapp.status", {"MessageStatus": "sent"}),
        envelope("webhooks", "whatsapp.status", {"MessageSid": "SM1"}),
        envelope("notify", "notify.whatsapp", {"to": CUSTOMER, "body": "x"}),
        envelope("notify", "notify.whatsapp", {"to": CUSTOMER, "body": "x" * 1601, "idempotency_key": "k"}),
        envelope("notify", "notify.whatsapp", {"to": CUSTOMER, "body": "x", "idempotency_key": "a\nb"}),
    ]
    w = worker()
    for text in bad:
        assert queues.enqueue(text)
    for text in bad:
        job = queues.wait_job(json.loads(text)["queue"], "dead", job_id(text))
        assert job["last_error"].startswith("bad payload: ") and job["attempt"] == 1, job
    assert queues.stats("webhooks").get("retried", 0) == queues.stats("notify").get("retried", 0) == 0
    check_stopped(w)
    worker(TWILIO_ACCOUNT_SID=None)
    env_n, _ = notify_env()
    assert queues.enqueue(env_n)
    job = queues.wait_job("notify", "dead", job_id(env_n))
    assert job["last_error"] == "configuration: TWILIO_ACCOUNT_SID is not set"


def test_unknown_status_values_are_ignored(worker, queues, database):
    worker()
    assert queues.enqueue(envelope("webhooks", "whatsapp.status",
                                   {"MessageSid": "SMx1", "MessageStatus": "receiving", "AccountSid": ACCOUNT_SID}))
    queues.wait_count("webhooks", "whatsapp.status", 1)
    assert query(database, "SELECT count(*) FROM whatsapp_messages") == [(0,)]
    assert queues.enqueue(envelope("webhooks", "whatsapp.status",
                                   {"MessageSid": "SMx2", "MessageStatus": "failed", "ErrorCode": "63016"}))
    queues.wait_count("webhooks", "whatsapp.status", 2)
    assert query(database, "SELECT status, error_code FROM whatsapp_messages") == [("failed", 63016)]
