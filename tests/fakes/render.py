#!/usr/bin/env python3
"""A fake Render API for the worker autoscaler (shared/external-apis.md §10).
Python stdlib only.

    python3 tests/fakes/render.py --api-key rnd_KEY [--service srv-ID]
        [--instances 2] [--rate-per-min 30] [--port 0]

Prints "ready <port>". Routes, under https://api.render.com/v1 as in §10:
  POST /v1/services/{id}/scale  {"numInstances": 1..100} → 202, no body; the
       count is stored unless the service autoscales (Render then ignores
       it, §10.2) — still 202.
  GET  /v1/services/{id}        → the Service object, serviceDetails.numInstances
       and serviceDetails.autoscaling.
Every request needs `Authorization: Bearer <api key>` (else 401). Unknown
service → 404; a bad body → 400; all answers are Render's Error schema
{"id","message"}. POSTs are limited to --rate-per-min in any 60 s window
(§10.4: "all other POST" 30/min), over it → 429; every answer carries
Ratelimit-Limit, Ratelimit-Remaining and Ratelimit-Reset (seconds until the
window frees a request, the delta reading of §10.4).
Faults: fakebase's scripted faults ({"status": 503, "error_body": {...}},
{"drop": true}, {"delay_ms": N}), and an outage switch.
Control API (besides fakebase's): GET /_fake/scales (every scale request
accepted: {"service", "numInstances", "at"} with at = epoch s),
POST /_fake/outage {"on": true|false} (every API request answers 503 while
on), POST /_fake/service {"numInstances", "autoscaling": bool}.
"""
import argparse
import hmac
import json
import re
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fakebase  # noqa: E402

SCALE_PATH = re.compile(r"^/v1/services/([A-Za-z0-9_-]+)/scale$")
SERVICE_PATH = re.compile(r"^/v1/services/([A-Za-z0-9_-]+)$")
WINDOW_S = 60.0


class Data(fakebase.SeededData):

    def reset(self):
        with self.lock:
            self.instances = self.args.instances
            self.autoscaling = False
            self.outage = False
            self.scales = []
            self.posts = []  # monotonic times of POSTs counted by the limit

    def take_post(self):
        """(allowed, remaining, reset_s) under the sliding POST window."""
        now = time.monotonic()
        with self.lock:
            self.posts = [t for t in self.posts if t > now - WINDOW_S]
            limit = self.args.rate_per_min
            if len(self.posts) >= limit:
                reset = int(self.posts[0] + WINDOW_S - now) + 1
                return False, 0, reset
            self.posts.append(now)
            reset = int(self.posts[0] + WINDOW_S - now) + 1
            return True, limit - len(self.posts), reset

    def service_doc(self, sid):
        with self.lock:
            return {"id": sid, "name": "sentia-worker", "type": "background_worker",
                    "suspended": "not_suspended",
                    "serviceDetails": {"numInstances": self.instances, "plan": "starter",
                                       "autoscaling": {"enabled": self.autoscaling, "min": 2,
                                                       "max": 10, "criteria": {}}}}


def error(eid, message):
    return {"id": eid, "message": message}


class Handler(fakebase.DataHandler):
    def control(self, method, path, doc, query):
        d = self.data
        if path == "/_fake/scales":
            with d.lock:
                return list(d.scales)
        if path == "/_fake/outage" and method == "POST":
            with d.lock:
                d.outage = bool(doc.get("on"))
                return {"outage": d.outage}
        if path == "/_fake/service" and method == "POST":
            with d.lock:
                d.instances = int(doc.get("numInstances", d.instances))
                d.autoscaling = bool(doc.get("autoscaling", d.autoscaling))
            return self.data.service_doc(self.server.args.service)
        return None

    def authorised(self):
        want = "Bearer " + self.server.args.api_key
        got = self.headers.get("Authorization", "")
        return hmac.compare_digest(got.encode(), want.encode())

    def answer(self, method, url, body):
        d, args = self.data, self.server.args
        headers = {"Ratelimit-Limit": str(args.rate_per_min)}
        if d.outage:
            return 503, error("service_unavailable", "Render is having an outage."), headers
        if not self.authorised():
            return 401, error("unauthorized", "Unauthorized"), headers
        if method == "POST":
            ok, remaining, reset = d.take_post()
            headers.update({"Ratelimit-Remaining": str(remaining), "Ratelimit-Reset": str(reset)})
            if not ok:
                return 429, error("rate_limit_exceeded", "Rate limit exceeded."), headers
        m = SCALE_PATH.match(url.path) if method == "POST" else SERVICE_PATH.match(url.path)
        if m is None:
            return 404, error("not_found", "Unable to find the requested resource."), headers
        if m.group(1) != args.service:
            return 404, error("not_found", "Unable to find the requested resource."), headers
        if method == "GET":
            return 200, d.service_doc(args.service), headers
        return self.scale(body, headers)

    def scale(self, body, headers):
        d = self.data
        try:
            doc = json.loads(body or b"null")
            n = doc["numInstances"]
        except (ValueError, TypeError, KeyError):
            return 400, error("invalid_request", "numInstances is required."), headers
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 100:
            return 400, error("invalid_request", "numInstances must be between 1 and 100."), headers
        with d.lock:
            d.scales.append({"service": self.server.args.service, "numInstances": n,
                             "at": time.time()})
            if not d.autoscaling:
                d.instances = n
        return 202, b"", headers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--service", default="srv-worker0000000000000")
    ap.add_argument("--instances", type=int, default=2)
    ap.add_argument("--rate-per-min", type=int, default=30)
    args = ap.parse_args()
    server = fakebase.FakeServer(("127.0.0.1", args.port), Handler)
    server.state = fakebase.FakeState(args)
    server.data = Data(args)
    server.args = args
    fakebase.serve(server)


if __name__ == "__main__":
    main()
