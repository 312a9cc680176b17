#!/usr/bin/env python3
"""Signed webhooks to a running `./dev run`, as the providers send them
(shared/external-apis.md): `./dev send-order` and `./dev demo-traffic`.
Python stdlib only. Everything comes from the environment ./dev loads from
.local/run.env: PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, TWILIO_ACCOUNT_SID,
TWILIO_WHATSAPP_FROM, SHOPIFY_WEBHOOK_SECRET, FAKE_TWILIO_URL.

    webhooks.py order "ORDER 2 MUG-BLU" [--from whatsapp:+447700900123] [--wait 20]
        posts one inbound WhatsApp message signed with X-Twilio-Signature; with
        the fake Twilio running, waits for the reply it received and for the
        status callbacks it posted back to the API, and prints them.
    webhooks.py traffic [--seconds 300] [--rate 2]
        a steady trickle: WhatsApp ORDER, STATUS and CATALOG messages from
        demo customers and Shopify orders/create webhooks, `rate` a second
        (at most 20) for at most an hour. The customers are the 1000 numbers
        of sample_data's range, the sample customers and newcomers alike; each
        orders once before any orders again, so, as with real customers, few
        ever have WHATSAPP_MAX_PENDING_ORDERS (3) orders open at once.

Only loopback addresses are accepted: this drives a local demo, not a server.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sample_data  # noqa: E402

INBOUND = "/api/v1/whatsapp/webhook"
SHOPIFY = "/api/v1/webhooks/shopify"
MAX_RATE = 20.0
MAX_SECONDS = 3600


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"dev: {name} is not set (is ./dev run up?)")
    return v


def loopback(url):
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"dev: {url} is not a loopback address; webhooks.py only talks to a local ./dev run")
    return url.rstrip("/")


def twilio_signature(token, url, params):
    """shared/external-apis.md §1.1: base64(HMAC-SHA1(token, url + sorted key+value))."""
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def post(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def send_whatsapp(base, text, sender, profile="Demo customer"):
    """Posts one signed inbound message; returns (status, MessageSid)."""
    sid = "SM" + uuid.uuid4().hex
    params = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": env("TWILIO_ACCOUNT_SID"),
              "From": sender, "To": env("TWILIO_WHATSAPP_FROM"), "Body": text, "NumMedia": "0",
              "ProfileName": profile, "WaId": sender.split("+", 1)[-1], "SmsStatus": "received",
              "NumSegments": "1", "MessageType": "text", "ApiVersion": "2010-04-01"}
    url = base + INBOUND
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": twilio_signature(env("TWILIO_AUTH_TOKEN"), url, params)}
    status, _ = post(url, urllib.parse.urlencode(params).encode(), headers)
    return status, sid


def send_shopify_order(base, rnd, n):
    """Posts one signed Shopify orders/create webhook of the sample catalogue."""
    skus = [s for s in sample_data.catalogue() if s[4]]
    lines, total = [], 0.0
    for i, (sku, name, price, _, _) in enumerate(rnd.sample(skus, rnd.randint(1, 3))):
        qty = rnd.randint(1, 3)
        total += price * qty
        lines.append({"id": 9100000000 + n * 10 + i, "variant_id": None, "sku": sku, "title": name,
                      "name": name, "quantity": qty, "price": f"{price:.2f}", "total_discount": "0.00"})
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    order_id = 7300000000000 + int(time.time() * 1000) % 10**9 * 10 + n % 10
    doc = {"id": order_id, "name": f"#D{n}", "order_number": 50000 + n, "created_at": now, "updated_at": now,
           "processed_at": now, "cancelled_at": None, "currency": "GBP", "total_price": f"{total:.2f}",
           "subtotal_price": f"{total:.2f}", "financial_status": "paid", "fulfillment_status": None,
           "line_items": lines}
    body = json.dumps(doc).encode()
    secret = env("SHOPIFY_WEBHOOK_SECRET")
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
               "X-Shopify-Shop-Domain": "sentia-demo.myshopify.com", "X-Shopify-API-Version": "2025-07",
               "X-Shopify-Webhook-Id": str(uuid.uuid4()),
               "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256)
                                                         .digest()).decode()}
    status, _ = post(base + SHOPIFY, body, headers)
    return status


def wait_reply(fake, to, after, timeout):
    """The first message the fake Twilio received for `to` since `after`, or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for m in get_json(fake + "/_fake/messages"):
            if m["to"] == to and m["created"] >= after:
                return m
        time.sleep(0.2)
    return None


def wait_callbacks(fake, sid, n, timeout):
    deadline = time.time() + timeout
    got = []
    while time.time() < deadline:
        got = [c for c in get_json(fake + "/_fake/callbacks") if c["sid"] == sid]
        if len(got) >= n:
            break
        time.sleep(0.2)
    return got


def cmd_order(args):
    base = loopback(env("PUBLIC_BASE_URL"))
    started = time.time()
    status, sid = send_whatsapp(base, args.text, args.sender)
    print(f"sent {args.text!r} from {args.sender} as {sid}: HTTP {status}")
    if status != 200:
        return 1
    fake = os.environ.get("FAKE_TWILIO_URL")
    if not fake:
        print("the reply goes to the real Twilio (credentials set): look at your phone")
        return 0
    fake = loopback(fake)
    reply = wait_reply(fake, args.sender, started - 1, args.wait)
    if reply is None:
        print(f"no reply reached the fake Twilio within {args.wait} s (./dev queue stats shows why)")
        return 1
    print(f"reply {reply['sid']} to {reply['to']}:\n" + "\n".join("  " + x for x in reply["body"].splitlines()))
    callbacks = wait_callbacks(fake, reply["sid"], 3, args.wait)
    print("status callbacks to the API: " +
          (", ".join(f"{c['status']} → {c['response_status'] or c['error']}" for c in callbacks) or "none"))
    return 0


def order_senders(rnd):
    """Demo number indexes for the WhatsApp ORDERs, endlessly: every number
    once in a random order, then again in another."""
    while True:
        numbers = list(range(sample_data.DEMO_NUMBERS))
        rnd.shuffle(numbers)
        yield from numbers


def whatsapp_sender(i):
    """(From, ProfileName) of demo number i."""
    return "whatsapp:+" + sample_data.wa_id(i), sample_data.profile_name(i)


def cmd_traffic(args):
    base = loopback(env("PUBLIC_BASE_URL"))
    rate = min(max(args.rate, 0.1), MAX_RATE)
    seconds = min(max(args.seconds, 1), MAX_SECONDS)
    rnd = random.Random()
    skus = [s[0] for s in sample_data.catalogue() if s[4]]
    orderers = order_senders(rnd)
    shopify = bool(os.environ.get("SHOPIFY_WEBHOOK_SECRET"))
    print(f"demo traffic: {rate:g} signed webhooks a second for {seconds} s to {base} (Ctrl-C stops)")
    sent, statuses, n, kinds = 0, {}, 0, {"WhatsApp orders": 0, "other WhatsApp messages": 0, "Shopify orders": 0}
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            n += 1
            pick = rnd.random()
            if pick < 0.25 and shopify:
                status, kind = send_shopify_order(base, rnd, n), "Shopify orders"
            elif pick < 0.85:
                text = "ORDER " + ", ".join(f"{rnd.randint(1, 3)} {s}" for s in rnd.sample(skus, rnd.randint(1, 2)))
                status, _ = send_whatsapp(base, text, *whatsapp_sender(next(orderers)))
                kind = "WhatsApp orders"
            else:
                text = rnd.choice(["STATUS", "CATALOG", "HELP"])
                status, _ = send_whatsapp(base, text, *whatsapp_sender(rnd.randrange(sample_data.DEMO_NUMBERS)))
                kind = "other WhatsApp messages"
            sent += 1
            kinds[kind] += 1
            statuses[status] = statuses.get(status, 0) + 1
            if sent % max(1, int(rate * 10)) == 0:
                print(f"  {sent} sent: " + ", ".join(f"HTTP {k} × {v}" for k, v in sorted(statuses.items())),
                      flush=True)
            time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
    except KeyboardInterrupt:
        pass
    print(f"demo traffic: {sent} webhooks sent (" + ", ".join(f"{v} {k}" for k, v in kinds.items()) + "): " +
          ", ".join(f"HTTP {k} × {v}" for k, v in sorted(statuses.items())))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="signed webhooks to a local ./dev run")
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("order", help="one WhatsApp message")
    o.add_argument("text")
    o.add_argument("--from", dest="sender", default="whatsapp:+447700900123")
    o.add_argument("--wait", type=float, default=20)
    t = sub.add_parser("traffic", help="a steady trickle of webhooks")
    t.add_argument("--seconds", type=int, default=300)
    t.add_argument("--rate", type=float, default=2)
    args = ap.parse_args(argv)
    return cmd_order(args) if args.cmd == "order" else cmd_traffic(args)


if __name__ == "__main__":
    sys.exit(main())
