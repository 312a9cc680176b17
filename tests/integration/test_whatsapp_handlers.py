"""The WhatsApp job handlers (worker/jobs/whatsapp.c, worker/jobs/notify.c)
run by tests/worker/job_harness.c against the real test Postgres and Redis
and the fake Twilio — before, and independently of, the sentia-worker
runtime (tests/integration/test_whatsapp_e2e.py covers the whole system).

Proves: an ORDER message becomes one order, one notify job (key
reply:<MessageSid>) and one message at Twilio with the exact form, basic
auth, StatusCallback and idempotency token; its signed status callbacks make
the notification delivered; re-running either job changes nothing; bad input
gets a precise reply and never a partial order; 429 with Retry-After defers,
429 without / 5xx / refused connections retry, and a send is still made
once; a refused number is dead with Twilio's code and message; the crash
window between Twilio accepting and the sid being stored is closed by the
idempotency token; Postgres down is a transient failure.
"""
import json
import socket

import pytest

from conftest import pg, wait_until
from whatsapp_support import (ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, DEFAULT_CATALOG, WHATSAPP_FROM,
                              CallbackSink, FakeTwilio, Harness, envelope, inbound_payload, new_sid,
                              seed_catalog, worker_env)


def utf16_units(s):
    return len(s.encode("utf-16-le")) // 2


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fake():
    f = FakeTwilio(callback_delay_ms=5, bad_numbers=["whatsapp:+15005550009"])
    yield f
    f.stop()


@pytest.fixture
def sink():
    s = CallbackSink()
    yield s
    s.stop()


@pytest.fixture
def env(prefix, database, fake, sink):
    seed_catalog(database, DEFAULT_CATALOG)
    return worker_env(prefix, database, fake, public_base_url=sink.url.rsplit("/api/", 1)[0])


@pytest.fixture
def harness(env):
    return Harness(env)


def inbound_env(body, sid=None, **kw):
    p = inbound_payload(body, sid=sid, **kw)
    return envelope("webhooks", "whatsapp.inbound", p, dedup_key="twilio:" + p["MessageSid"]), p


def query(database, sql, *args):
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute(sql, args)
        rows = cur.fetchall()
    conn.close()
    return rows


def test_order_to_delivered(harness, fake, sink, database, redis, prefix):
    env_in, p = inbound_env("ORDER 2 SKU-1, 1 SKU-2")
    r = harness.run_one(env_in)
    assert r["outcome"] == "succeeded", r
    (job,) = r["enqueued"]
    sid = p["MessageSid"]
    assert (job["queue"], job["type"], job["dedup_key"], job["duplicate"]) == \
        ("notify", "notify.whatsapp", "reply:" + sid, False)
    reply = ("Thank you! Order 1001 is placed (pending):\n2 x SKU-1 Widget @ 12.50 = 25.00\n"
             "1 x SKU-2 Gadget @ 3.00 = 3.00\nTotal 28.00 GBP\n"
             "Reply STATUS 1001 to follow it or CANCEL 1001 to cancel it.")
    assert job["payload"] == {"to": CUSTOMER, "body": reply, "idempotency_key": "reply:" + sid,
                              "in_reply_to": sid}
    assert redis.llen(f"{prefix}:{{notify}}:ready") == 1
    assert query(database, "SELECT number, status, total::text FROM orders") == [(1001, "pending", "28.00")]

    r = harness.run_one(job["envelope"])
    assert r["outcome"] == "succeeded", r
    (req,) = fake.requests()
    assert req["auth_ok"] and req["idempotency_token"] == "reply:" + sid
    assert req["form"] == {"To": CUSTOMER, "From": WHATSAPP_FROM, "Body": reply, "StatusCallback": sink.url}
    (msg,) = fake.messages()
    assert query(database, "SELECT status, provider_id, attempts FROM notifications") == \
        [("queued", msg["sid"], 1)]

    wait_until(lambda: len(sink.received) == 3, what="three status callbacks")
    assert all(x["signature_ok"] for x in sink.received)
    status_jobs = [envelope("webhooks", "whatsapp.status", f,
                            dedup_key=f"twilio-status:{f['MessageSid']}:{f['MessageStatus']}")
                   for f in sink.forms()]
    results = harness.run(*status_jobs)
    assert [x["outcome"] for x in results] == ["succeeded"] * 3
    assert query(database, "SELECT n.status, n.delivered_at IS NOT NULL, m.status, m.direction "
                           "FROM notifications n JOIN whatsapp_messages m ON m.message_sid = n.provider_id") == \
        [("delivered", True, "delivered", "out")]


def test_rerunning_jobs_changes_nothing(harness, fake, database):
    env_in, p = inbound_env("ORDER 3 SKU-1")
    first = harness.run_one(env_in)
    again, third = harness.run(env_in, env_in)
    assert again["outcome"] == third["outcome"] == "succeeded"
    assert again["enqueued"][0]["duplicate"] is True
    assert again["enqueued"][0]["payload"] == first["enqueued"][0]["payload"]
    assert query(database, "SELECT count(*), sum(total)::text FROM orders") == [(1, "37.50")]
    assert query(database, "SELECT allocated FROM inventory WHERE sku = 'SKU-1'") == [(3,)]
    notify = first["enqueued"][0]["envelope"]
    assert [x["outcome"] for x in harness.run(notify, notify, notify)] == ["succeeded"] * 3
    assert len(fake.requests()) == 1 and len(fake.messages()) == 1
    # a second job with the same key (e.g. after the Redis key expired) sends nothing either
    other = envelope("notify", "notify.whatsapp", first["enqueued"][0]["payload"], dedup_key="reply:" + p["MessageSid"])
    assert harness.run_one(other)["outcome"] == "succeeded"
    assert len(fake.requests()) == 1


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
def test_bad_input_gets_a_precise_reply_and_no_order(harness, database, body, expected):
    env_in, _ = inbound_env(body)
    r = harness.run_one(env_in)
    assert r["outcome"] == "succeeded", r
    reply = r["enqueued"][0]["payload"]["body"]
    for e in expected:
        assert e in reply, reply
    assert 0 < utf16_units(reply) <= 1600
    assert query(database, "SELECT count(*) FROM orders") == [(0,)]
    assert query(database, "SELECT sum(allocated) FROM inventory") == [(0,)]
    assert query(database, "SELECT count(*) FROM whatsapp_messages WHERE direction = 'in'") == [(1,)]


def test_media_message_without_text(harness):
    env_in, _ = inbound_env("", NumMedia="1", MediaUrl0="https://api.twilio.com/x", MediaContentType0="image/jpeg")
    r = harness.run_one(env_in)
    assert r["enqueued"][0]["payload"]["body"].startswith("I can only read text messages.")


def test_status_cancel_and_catalog_replies(harness, database):
    seed_catalog(database, [(f"P-{i:02d}", f"Product {i}", "2.00", "GBP", True, 3) for i in range(10)])
    order = harness.run_one(inbound_env("order 2x SKU-1")[0])
    assert "Order 1001 is placed" in order["enqueued"][0]["payload"]["body"]
    status = harness.run_one(inbound_env("STATUS")[0])["enqueued"][0]["payload"]["body"]
    assert status.startswith("Your latest orders:\nOrder 1001: pending, 25.00 GBP, placed ")
    cancel = harness.run_one(inbound_env("cancel #1001")[0])["enqueued"][0]["payload"]["body"]
    assert cancel == "Order 1001 is cancelled. Its items are back in stock."
    assert query(database, "SELECT allocated FROM inventory WHERE sku = 'SKU-1'") == [(0,)]
    catalog = harness.run_one(inbound_env("CATALOG")[0])["enqueued"][0]["payload"]["body"]
    assert catalog.startswith("Catalog, page 1 of 2:\nEUR-1 - Euro thing - 5.00 EUR - 10 in stock\n")
    assert catalog.endswith("Reply CATALOG 2 for more.")
    page2 = harness.run_one(inbound_env("catalog 2")[0])["enqueued"][0]["payload"]["body"]
    assert "SKU-2 - Gadget - 3.00 GBP - 5 in stock" in page2
    help_ = harness.run_one(inbound_env("help")[0])["enqueued"][0]["payload"]["body"]
    assert help_.startswith("You can send:\nORDER 2 SKU-1, 1 SKU-2")


def notify_env(to=CUSTOMER, body="hello", key=None):
    key = key or "reply:" + new_sid()
    return envelope("notify", "notify.whatsapp", {"to": to, "body": body, "idempotency_key": key,
                                                  "in_reply_to": key.split(":", 1)[1]}, dedup_key=key), key


def test_429_with_retry_after_defers_then_sends_once(harness, fake, database):
    fake.script(faults=[{"status": 429, "retry_after": "1"}])
    env_n, key = notify_env()
    r = harness.run_one(env_n)
    assert r["outcome"] == "deferred" and r["delay_ms"] == 1000 and "20429" in r["error"]
    assert query(database, "SELECT status, attempts, last_error FROM notifications") == \
        [("retrying", 1, "Too Many Requests")]
    assert harness.run_one(env_n)["outcome"] == "succeeded"
    assert [x["status"] for x in fake.requests()] == [429, 201] and len(fake.messages()) == 1
    assert query(database, "SELECT status, attempts FROM notifications") == [("queued", 2)]


@pytest.mark.parametrize("fault", [{"status": 429}, {"status": 500}, {"status": 503}, {"drop": True}])
def test_transient_answers_are_retried(harness, fake, database, fault):
    fake.script(faults=[fault])
    env_n, _ = notify_env()
    r = harness.run_one(env_n)
    assert r["outcome"] == "failed", r
    assert query(database, "SELECT status FROM notifications") == [("retrying",)]
    assert harness.run_one(env_n)["outcome"] == "succeeded"
    assert len(fake.messages()) == 1


def test_invalid_number_is_dead_with_twilios_reason(harness, fake, database):
    env_n, _ = notify_env(to="whatsapp:+15005550009")
    r = harness.run_one(env_n)
    assert r["outcome"] == "failed_permanent"
    assert r["error"] == "twilio 21211: The 'To' number whatsapp:+15005550009 is not a valid phone number."
    assert query(database, "SELECT status, error_code, provider_id FROM notifications") == \
        [("failed", 21211, None)]
    assert fake.messages() == []


def test_crash_after_twilio_accepted_sends_once(harness, fake, database):
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
    r = harness.run_one(env_n)
    assert r["outcome"] == "succeeded", r
    assert len(fake.messages()) == 1 and fake.requests()[-1]["replayed"] is True
    assert query(database, "SELECT provider_id, status FROM notifications") == [(first["sid"], "queued")]
    other = envelope("notify", "notify.whatsapp", job["payload"], dedup_key=key)  # another job: busy → done
    assert harness.run_one(other)["outcome"] == "succeeded"


def test_claim_held_by_another_live_run_is_busy(harness, fake, database):
    env_n, key = notify_env()
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute("SELECT outcome FROM notification_claim(%s, 'whatsapp', %s, 'x', NULL, 'other-job', 60)",
                    (key, CUSTOMER))
    conn.close()
    r = harness.run_one(env_n)
    assert r["outcome"] == "failed" and "being sent by another run" in r["error"]
    assert fake.requests() == []


def test_postgres_down_is_transient(env, fake):
    bad = dict(env, DATABASE_URL=f"postgresql://sentia:sentia@127.0.0.1:{closed_port()}/nope")
    h = Harness(bad)
    r = h.run_one(inbound_env("ORDER 1 SKU-1")[0])
    assert r["outcome"] == "failed" and "postgres" in r["error"] and r["enqueued"] == []
    r = h.run_one(notify_env()[0])
    assert r["outcome"] == "failed" and fake.requests() == []


def test_twilio_unreachable_is_transient(env, database):
    h = Harness(dict(env, TWILIO_API_BASE=f"http://127.0.0.1:{closed_port()}"))
    r = h.run_one(notify_env()[0])
    assert r["outcome"] == "failed" and r["error"].startswith("twilio: "), r
    assert query(database, "SELECT status FROM notifications") == [("retrying",)]


def test_wrong_credentials_are_retried_not_dead(env, fake):
    h = Harness(dict(env, TWILIO_AUTH_TOKEN="wrong"))
    r = h.run_one(notify_env()[0])
    assert r["outcome"] == "failed" and "20003" in r["error"]
    assert "wrong" not in h.last_log and AUTH_TOKEN not in h.last_log


def test_bad_payloads_and_configuration(harness, env):
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
    assert [r["outcome"] for r in harness.run(*bad)] == ["failed_permanent"] * len(bad)
    h = Harness({k: v for k, v in env.items() if k != "TWILIO_ACCOUNT_SID"})
    r = h.run_one(notify_env()[0])
    assert (r["outcome"], r["error"]) == ("failed_permanent", "configuration: TWILIO_ACCOUNT_SID is not set")


def test_unknown_status_values_are_ignored(harness, database):
    r = harness.run_one(envelope("webhooks", "whatsapp.status",
                                 {"MessageSid": "SMx1", "MessageStatus": "receiving", "AccountSid": ACCOUNT_SID}))
    assert r["outcome"] == "succeeded"
    assert query(database, "SELECT count(*) FROM whatsapp_messages") == [(0,)]
    r = harness.run_one(envelope("webhooks", "whatsapp.status",
                                 {"MessageSid": "SMx2", "MessageStatus": "failed", "ErrorCode": "63016"}))
    assert r["outcome"] == "succeeded"
    assert query(database, "SELECT status, error_code FROM whatsapp_messages") == [("failed", 63016)]
