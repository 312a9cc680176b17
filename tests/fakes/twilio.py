#!/usr/bin/env python3
"""A fake Twilio for tests: the Messages REST API and its status callbacks,
speaking the wire format of shared/external-apis.md §1–2. Python stdlib only.

    python3 tests/fakes/twilio.py --account-sid AC… --auth-token T [--port 0]
        [--callbacks queued,sent,delivered] [--callback-delay-ms 20]
        [--bad-number whatsapp:+15005550001 …]

Prints "ready <port>" once listening; stops on SIGTERM/SIGINT. The auth token
may come from $FAKE_TWILIO_AUTH_TOKEN instead (a command line is public).

Messages API
  POST /2010-04-01/Accounts/{AccountSid}/Messages.json (form: To, From, Body,
  StatusCallback, …), HTTP Basic AccountSid:AuthToken.
  - bad or missing credentials → 401 {"code":20003,"message":"Authenticate",…}
  - another account in the path → 404 20404
  - To missing → 400 21604; From missing → 400 21603; Body (and media) missing
    → 400 21602; Body over 1600 UTF-16 units → 400 21617; To not E.164 (with
    an optional "whatsapp:" prefix) or in the bad list → 400 21211; From and
    To on different channels → 400 21910; StatusCallback not http(s) → 21609
  - success → 201 with the full message resource (snake_case, RFC 2822 dates,
    status "queued")
  - I-Twilio-Idempotency-Token: a token already seen with a created message
    returns that message again (201) — nothing new is created or called
    back. The real API is reported to honour this header on REST POSTs
    (external-apis §1.3, community sources); Sentia relies on it only to
    narrow the crash window between Twilio accepting and the sid being stored.
  GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json → the resource.

Status callbacks
  After a message is created with a StatusCallback, a thread POSTs one
  callback per configured status ("queued", "sent", "delivered", "read", or
  "failed:63016" / "undelivered:30003" with an ErrorCode), form-encoded with
  MessageSid, SmsSid, MessageStatus, SmsStatus, AccountSid, From, To,
  ApiVersion, ChannelPrefix, ChannelInstallSid, ChannelToAddress,
  StructuredMessage (+ ErrorCode), signed with X-Twilio-Signature =
  base64(HMAC-SHA1(AuthToken, URL + sorted key+value pairs)). A refused
  connection is retried once, as Twilio does by default.

Control API (JSON)
  GET  /_fake/requests   every Messages API request: method, path, headers,
                         form, auth_ok, idempotency_token, status, response,
                         fault, replayed, sid
  GET  /_fake/messages   created messages (with their callbacks so far)
  GET  /_fake/callbacks  callbacks sent: sid, status, url, response_status, error
  POST /_fake/script     {"faults": [{"status": 429, "retry_after": "1",
                          "count": 2}, {"status": 500}, {"delay_ms": 3000},
                          {"drop": true}], "callbacks": [...],
                          "callbacks_by_to": {"whatsapp:+…": [...]},
                          "callback_delay_ms": N, "bad_numbers": [...],
                          "honour_idempotency": true}
                         faults queue up, one per Messages POST, in order;
                         a fault may combine delay_ms with a status
  POST /_fake/reset      forget everything and return to the start settings
  GET  /_fake/health     {"ok": true}
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402

API_VERSION = "2010-04-01"
MESSAGES_RE = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
MESSAGE_RE = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([A-Za-z0-9]+)\.json$")
E164_RE = re.compile(r"^(whatsapp:)?\+[1-9][0-9]{6,14}$")
BODY_MAX_UNITS = 1600


def sign(auth_token, url, params):
    """X-Twilio-Signature of a form POST to url (shared/external-apis.md §1.1)."""
    data = url
    for key in sorted(params):
        value = params[key]
        if isinstance(value, (list, tuple)):
            for v in sorted(set(value)):
                data += key + v
        else:
            data += key + value
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def rfc2822(t):
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))


def utf16_units(s):
    return len(s.encode("utf-16-le")) // 2


def twilio_error(code, message, status):
    return {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class State:
    """Everything the fake remembers; guarded by one lock."""

    def __init__(self, account_sid, auth_token, callbacks, callback_delay_ms, bad_numbers):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.defaults = (list(callbacks), callback_delay_ms, list(bad_numbers))
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        callbacks, delay, bad = self.defaults
        with self.lock:
            self.requests = []
            self.messages = {}
            self.order = []
            self.by_token = {}
            self.faults = []
            self.callbacks = list(callbacks)
            self.callbacks_by_to = {}
            self.callback_delay_ms = delay
            self.bad_numbers = set(bad)
            self.honour_idempotency = True
            self.callback_log = []

    def script(self, doc):
        with self.lock:
            for f in doc.get("faults", []):
                for _ in range(int(f.get("count", 1))):
                    self.faults.append({k: v for k, v in f.items() if k != "count"})
            if "callbacks" in doc:
                self.callbacks = list(doc["callbacks"])
            if "callbacks_by_to" in doc:
                self.callbacks_by_to.update(doc["callbacks_by_to"])
            if "callback_delay_ms" in doc:
                self.callback_delay_ms = int(doc["callback_delay_ms"])
            if "bad_numbers" in doc:
                self.bad_numbers = set(doc["bad_numbers"])
            if "honour_idempotency" in doc:
                self.honour_idempotency = bool(doc["honour_idempotency"])

    def next_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else None


def message_resource(state, sid, to, from_, body, status, now):
    base = f"/{API_VERSION}/Accounts/{state.account_sid}/Messages/{sid}"
    return {
        "sid": sid, "date_created": rfc2822(now), "date_updated": rfc2822(now), "date_sent": None,
        "account_sid": state.account_sid, "to": to, "from": from_, "messaging_service_sid": None,
        "body": body, "status": status, "num_segments": str(max(1, -(-utf16_units(body) // 153))),
        "num_media": "0", "direction": "outbound-api", "api_version": API_VERSION,
        "price": None, "price_unit": "USD", "error_code": None, "error_message": None,
        "uri": base + ".json", "subresource_uris": {"media": base + "/Media.json"},
    }


class CallbackSender(threading.Thread):
    """Posts one message's status callbacks in order, signed."""

    def __init__(self, state, msg, statuses, delay_ms):
        super().__init__(daemon=True)
        self.state, self.msg, self.statuses, self.delay_ms = state, msg, statuses, delay_ms

    def run(self):
        for entry in self.statuses:
            time.sleep(self.delay_ms / 1000.0)
            status, _, code = str(entry).partition(":")
            self.post(status, code)

    def fields(self, status, code):
        m = self.msg
        to_address = m["to"].split(":", 1)[1] if m["to"].startswith("whatsapp:") else m["to"]
        f = {"MessageSid": m["sid"], "SmsSid": m["sid"], "MessageStatus": status, "SmsStatus": status,
             "AccountSid": self.state.account_sid, "From": m["from"], "To": m["to"],
             "ApiVersion": API_VERSION, "StructuredMessage": "false"}
        if m["to"].startswith("whatsapp:"):
            f.update({"ChannelPrefix": "whatsapp", "ChannelToAddress": to_address,
                      "ChannelInstallSid": "XE" + m["sid"][2:]})
        if code:
            f["ErrorCode"] = code
        return f

    def post(self, status, code):
        url = self.msg["status_callback"]
        fields = self.fields(status, code)
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": sign(self.state.auth_token, url, fields),
                   "I-Twilio-Idempotency-Token": secrets.token_hex(16),
                   "User-Agent": "TwilioProxy/1.1"}
        record = {"sid": self.msg["sid"], "status": status, "error_code": code or None, "url": url,
                  "response_status": None, "error": None, "time": time.time()}
        for attempt in range(2):
            try:
                req = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=10) as r:
                    record["response_status"] = r.status
                break
            except urllib.error.HTTPError as e:
                record["response_status"] = e.code
                break
            except (urllib.error.URLError, OSError) as e:  # refused: Twilio retries once
                record["error"] = str(e)
                time.sleep(0.5)
        with self.state.lock:
            self.msg["status"] = status
            self.msg["callbacks"].append(status)
            self.state.callback_log.append(record)


class Handler(fakebase.QuietHandler):
    # Headers and body leave in two writes: with Nagle on, the second waits for
    # the client's delayed ACK (40 ms) and a kept-alive connection manages ~25
    # requests/s; with TCP_NODELAY the fake answers thousands per second.
    disable_nagle_algorithm = True
    server_version = "FakeTwilio/1.0"

    # ---- plumbing ----------------------------------------------------------

    def send_json(self, status, doc, headers=None):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def auth_ok(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(h[6:]).decode().partition(":")
        except ValueError:
            return None
        if user == self.state.account_sid and hmac.compare_digest(password, self.state.auth_token):
            return user
        return None

    # ---- routes ------------------------------------------------------------

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        s = self.state
        if path == "/_fake/health":
            return self.send_json(200, {"ok": True})
        if path == "/_fake/requests":
            with s.lock:
                return self.send_json(200, list(s.requests))
        if path == "/_fake/messages":
            with s.lock:
                return self.send_json(200, [s.messages[sid] for sid in s.order])
        if path == "/_fake/callbacks":
            with s.lock:
                return self.send_json(200, list(s.callback_log))
        m = MESSAGE_RE.match(path)
        if m and self.auth_ok() and m.group(1) == s.account_sid:
            with s.lock:
                msg = s.messages.get(m.group(2))
            if msg:
                return self.send_json(200, self.resource_of(msg))
        if m and not self.auth_ok():
            return self.send_json(401, twilio_error(20003, "Authenticate", 401))
        self.send_json(404, twilio_error(20404, f"The requested resource {path} was not found", 404))

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        raw = self.read_body()
        if path == "/_fake/reset":
            self.state.reset()
            return self.send_json(200, {"ok": True})
        if path == "/_fake/script":
            self.state.script(json.loads(raw or b"{}"))
            return self.send_json(200, {"ok": True})
        m = MESSAGES_RE.match(path)
        if not m:
            return self.send_json(404, twilio_error(20404, f"The requested resource {path} was not found", 404))
        self.create_message(m.group(1), raw)

    # ---- Messages.json -----------------------------------------------------

    def resource_of(self, msg):
        r = message_resource(self.state, msg["sid"], msg["to"], msg["from"], msg["body"], msg["status"],
                             msg["created"])
        return r

    def record(self, entry, status, response, **extra):
        entry.update(status=status, response=response, **extra)
        with self.state.lock:
            self.state.requests.append(entry)

    def create_message(self, account, raw):
        s = self.state
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        fields = {k: v[0] for k, v in form.items()}
        token = self.headers.get("I-Twilio-Idempotency-Token")
        entry = {"time": time.time(), "method": "POST", "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"},
                 "form": fields, "idempotency_token": token, "auth_ok": bool(self.auth_ok()),
                 "fault": None, "replayed": False, "sid": None}
        if not entry["auth_ok"]:
            doc = twilio_error(20003, "Authenticate", 401)
            self.record(entry, 401, doc)
            return self.send_json(401, doc, {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if account != s.account_sid:
            doc = twilio_error(20404, f"The requested resource {self.path} was not found", 404)
            self.record(entry, 404, doc)
            return self.send_json(404, doc)
        fault = s.next_fault()
        if fault is not None:
            entry["fault"] = fault
            if fault.get("delay_ms"):
                time.sleep(fault["delay_ms"] / 1000.0)
            if fault.get("drop"):
                self.record(entry, 0, None)
                self.close_connection = True
                return
            if fault.get("status"):
                return self.fault_answer(entry, fault)
        self.accept_or_refuse(entry, fields, token)

    def fault_answer(self, entry, fault):
        status = int(fault["status"])
        default = (20429, "Too Many Requests") if status == 429 else (20500, "Internal Server Error")
        doc = twilio_error(int(fault.get("code", default[0])), fault.get("message", default[1]), status)
        headers = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(fault["retry_after"])
        self.record(entry, status, doc)
        self.send_json(status, doc, headers)

    def validate(self, f):
        """Twilio's answer to a malformed send, or None."""
        to, from_, body = f.get("To", ""), f.get("From", ""), f.get("Body", "")
        if not to:
            return twilio_error(21604, "A 'To' phone number is required.", 400)
        if not from_ and not f.get("MessagingServiceSid"):
            return twilio_error(21603, "A 'From' phone number is required.", 400)
        if not body and not f.get("MediaUrl") and not f.get("ContentSid"):
            return twilio_error(21602, "Message body is required.", 400)
        if utf16_units(body) > BODY_MAX_UNITS:
            return twilio_error(21617, "The concatenated message body exceeds the 1600 character limit.", 400)
        if not E164_RE.match(to) or to in self.state.bad_numbers:
            return twilio_error(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if from_.startswith("whatsapp:") != to.startswith("whatsapp:"):
            return twilio_error(21910, "Invalid From and To pair. From and To should be of the same channel", 400)
        cb = f.get("StatusCallback")
        if cb and not re.match(r"^https?://[^/\s]+", cb):
            return twilio_error(21609, "Invalid StatusCallback URL", 400)
        return None

    def accept_or_refuse(self, entry, f, token):
        s = self.state
        with s.lock:
            known = s.by_token.get(token) if token and s.honour_idempotency else None
            msg = s.messages.get(known) if known else None
        if msg is not None:
            doc = self.resource_of(msg)
            self.record(entry, 201, doc, replayed=True, sid=msg["sid"])
            return self.send_json(201, doc)
        error = self.validate(f)
        if error is not None:
            self.record(entry, 400, error)
            return self.send_json(400, error)
        now = time.time()
        sid = "SM" + secrets.token_hex(16)
        msg = {"sid": sid, "to": f["To"], "from": f.get("From", ""), "body": f.get("Body", ""),
               "status": "queued", "status_callback": f.get("StatusCallback"), "created": now,
               "idempotency_token": token, "callbacks": []}
        with s.lock:
            s.messages[sid] = msg
            s.order.append(sid)
            if token:
                s.by_token[token] = sid
            statuses = list(s.callbacks_by_to.get(msg["to"], s.callbacks))
            delay = s.callback_delay_ms
        doc = message_resource(s, sid, msg["to"], msg["from"], msg["body"], "queued", now)
        self.record(entry, 201, doc, sid=sid)
        self.send_json(201, doc)
        if msg["status_callback"] and statuses:
            CallbackSender(s, msg, statuses, delay).start()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # http.server's 5 stalls bursts of connects (LIBRARIES.md)


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake Twilio for Sentia's tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--account-sid", required=True)
    # the secret may come from $FAKE_TWILIO_AUTH_TOKEN instead: a command line is public
    ap.add_argument("--auth-token", default=os.environ.get("FAKE_TWILIO_AUTH_TOKEN"),
                    required="FAKE_TWILIO_AUTH_TOKEN" not in os.environ)
    ap.add_argument("--callbacks", default="queued,sent,delivered")
    ap.add_argument("--callback-delay-ms", type=int, default=20)
    ap.add_argument("--bad-number", action="append", default=[])
    args = ap.parse_args(argv)
    callbacks = [c for c in args.callbacks.split(",") if c]
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args.account_sid, args.auth_token, callbacks, args.callback_delay_ms,
                         args.bad_number)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"ready {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
