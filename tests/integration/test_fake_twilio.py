"""The fake Twilio itself (tests/fakes/twilio.py): the tests that rely on it
are only as good as its fidelity.

Proves: the signature function reproduces twilio-node's published vectors;
the Messages API answers 401/404/400 with Twilio's error documents and 201
with the full resource; the idempotency token returns the first message;
scripted faults come in order (429 with and without Retry-After, 500,
dropped connection, delay); status callbacks arrive in order, form-encoded
and correctly signed over the callback URL, with ErrorCode on failures.
"""
import json
import socket
import time

import pytest

from conftest import wait_until
from whatsapp_support import (ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_FROM, CallbackSink, FakeTwilio,
                              fake_module)

TO = "whatsapp:+447700900001"


@pytest.fixture
def fake():
    f = FakeTwilio(callback_delay_ms=5, bad_numbers=["whatsapp:+15005550001"])
    yield f
    f.stop()


def test_signature_matches_twilio_vectors():
    sign = fake_module().sign
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    assert sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert sign("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", params) == "kvajT1Ptam85bY51eRf/AJRuM3w="
    assert sign("12345", "http://mycompany.com:1234/myapp.php?foo=1&bar=2", params) == "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
    url = ("https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
           "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620")
    assert sign("12345", url, {}) == "a9nBmqA0ju/hNViExpshrM61xv4="


def test_authentication_and_account(fake):
    status, headers, doc = fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": "hi"}, auth=None)
    assert status == 401 and doc == {"code": 20003, "message": "Authenticate",
                                     "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}
    status, _, doc = fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": "hi"}, auth=(ACCOUNT_SID, "wrong"))
    assert status == 401
    status, _, doc = fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": "hi"}, account="AC" + "1" * 32)
    assert status == 404 and doc["code"] == 20404
    assert [r["status"] for r in fake.requests()] == [401, 401, 404]


@pytest.mark.parametrize("form,code", [
    ({"From": WHATSAPP_FROM, "Body": "hi"}, 21604),
    ({"To": TO, "Body": "hi"}, 21603),
    ({"To": TO, "From": WHATSAPP_FROM}, 21602),
    ({"To": TO, "From": WHATSAPP_FROM, "Body": "x" * 1601}, 21617),
    ({"To": "whatsapp:+12", "From": WHATSAPP_FROM, "Body": "hi"}, 21211),
    ({"To": "whatsapp:+15005550001", "From": WHATSAPP_FROM, "Body": "hi"}, 21211),
    ({"To": "+447700900001", "From": WHATSAPP_FROM, "Body": "hi"}, 21910),
    ({"To": TO, "From": WHATSAPP_FROM, "Body": "hi", "StatusCallback": "nope"}, 21609),
])
def test_validation_errors(fake, form, code):
    status, _, doc = fake.send(form)
    assert status == 400 and doc["code"] == code and doc["status"] == 400
    assert doc["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert fake.messages() == []


def test_invalid_to_message_text(fake):
    _, _, doc = fake.send({"To": "whatsapp:+15005550001", "From": WHATSAPP_FROM, "Body": "hi"})
    assert doc["message"] == "The 'To' number whatsapp:+15005550001 is not a valid phone number."


def test_created_message_resource(fake):
    body = "\U0001F600" + "é" * 1598  # 1600 UTF-16 units: the emoji counts 2
    status, headers, doc = fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": body})
    assert status == 201
    assert set(doc) == {"sid", "date_created", "date_updated", "date_sent", "account_sid", "to", "from",
                        "messaging_service_sid", "body", "status", "num_segments", "num_media",
                        "direction", "api_version", "price", "price_unit", "error_code",
                        "error_message", "uri", "subresource_uris"}
    assert doc["sid"].startswith("SM") and len(doc["sid"]) == 34
    assert (doc["to"], doc["from"], doc["body"], doc["status"], doc["direction"]) == \
        (TO, WHATSAPP_FROM, body, "queued", "outbound-api")
    assert doc["date_created"].endswith(" +0000") and doc["num_media"] == "0"
    assert doc["uri"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{doc['sid']}.json"
    got = fake.get(doc["uri"], auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert got["sid"] == doc["sid"]


def test_idempotency_token_returns_the_first_message(fake):
    form = {"To": TO, "From": WHATSAPP_FROM, "Body": "once"}
    h = {"I-Twilio-Idempotency-Token": "reply:SM1"}
    s1, _, d1 = fake.send(form, headers=h)
    s2, _, d2 = fake.send(dict(form, Body="changed"), headers=h)
    assert (s1, s2) == (201, 201) and d1["sid"] == d2["sid"] and d2["body"] == "once"
    assert len(fake.messages()) == 1
    assert [r["replayed"] for r in fake.requests()] == [False, True]
    fake.script(honour_idempotency=False)
    fake.send(form, headers=h)
    assert len(fake.messages()) == 2


def test_scripted_faults_in_order(fake):
    fake.script(faults=[{"status": 429, "retry_after": "2"}, {"status": 429}, {"status": 500, "count": 2},
                        {"drop": True}, {"delay_ms": 300}])
    form = {"To": TO, "From": WHATSAPP_FROM, "Body": "hi"}
    s, h, d = fake.send(form)
    assert s == 429 and h.get("Retry-After") == "2" and d["code"] == 20429
    s, h, d = fake.send(form)
    assert s == 429 and "Retry-After" not in h
    assert fake.send(form)[0] == 500 and fake.send(form)[0] == 500
    with pytest.raises(Exception):
        fake.send(form)  # the connection is closed without an answer
    t = time.time()
    assert fake.send(form)[0] == 201 and time.time() - t >= 0.3
    assert fake.send(form)[0] == 201
    assert [r["status"] for r in fake.requests()] == [429, 429, 500, 500, 0, 201, 201]


def test_status_callbacks_are_signed_and_ordered(fake):
    sink = CallbackSink()
    try:
        fake.script(callbacks_by_to={"whatsapp:+447700900009": ["sent", "failed:63016"]})
        s, _, d = fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": "hi", "StatusCallback": sink.url})
        s2, _, d2 = fake.send({"To": "whatsapp:+447700900009", "From": WHATSAPP_FROM, "Body": "hi",
                               "StatusCallback": sink.url})
        wait_until(lambda: len(sink.received) == 5, timeout=10, what="5 callbacks")
        assert all(r["signature_ok"] for r in sink.received)
        first = [f for f in sink.forms() if f["MessageSid"] == d["sid"]]
        assert [f["MessageStatus"] for f in first] == ["queued", "sent", "delivered"]
        f = first[-1]
        assert f == {"MessageSid": d["sid"], "SmsSid": d["sid"], "MessageStatus": "delivered",
                     "SmsStatus": "delivered", "AccountSid": ACCOUNT_SID, "From": WHATSAPP_FROM, "To": TO,
                     "ApiVersion": "2010-04-01", "StructuredMessage": "false", "ChannelPrefix": "whatsapp",
                     "ChannelToAddress": "+447700900001", "ChannelInstallSid": "XE" + d["sid"][2:]}
        second = [f for f in sink.forms() if f["MessageSid"] == d2["sid"]]
        assert [(f["MessageStatus"], f.get("ErrorCode")) for f in second] == [("sent", None), ("failed", "63016")]
        wait_until(lambda: len(fake.callbacks()) == 5, what="callback log")
        assert {c["response_status"] for c in fake.callbacks()} == {200}
    finally:
        sink.stop()


def test_refused_callback_is_retried_once_then_recorded(fake):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake.script(callbacks=["sent"])
    fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": "hi",
               "StatusCallback": f"http://127.0.0.1:{port}/api/v1/whatsapp/status"})
    wait_until(lambda: fake.callbacks(), timeout=10, what="callback record")
    (c,) = fake.callbacks()
    assert c["response_status"] is None and "refused" in c["error"].lower()


def test_reset_forgets_everything(fake):
    fake.script(faults=[{"status": 500}])
    fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": "hi"})
    fake.reset()
    assert fake.requests() == [] and fake.messages() == []
    assert fake.send({"To": TO, "From": WHATSAPP_FROM, "Body": "hi"})[0] == 201
    assert json.loads(json.dumps(fake.get("/_fake/health"))) == {"ok": True}
