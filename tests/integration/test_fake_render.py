"""The fake Render API itself (tests/fakes/render.py), which the worker
autoscaler's tests will drive: scaling, auth, bounds, the POST rate limit
with its headers, autoscaling ignoring /scale, and an outage."""
import json
import urllib.error
import urllib.request

import pytest

from sync_support import Fake

KEY = "rnd_testkey"
SID = "srv-worker0000000000000"


@pytest.fixture
def render():
    f = Fake("render", "--api-key", KEY, "--service", SID, "--rate-per-min", "5")
    yield f
    f.stop()


def call(fake, method, path, doc=None, key=KEY):
    data = json.dumps(doc).encode() if doc is not None else None
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Authorization"] = "Bearer " + key
    req = urllib.request.Request(fake.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_scale_sets_the_count_and_is_recorded(render):
    status, body, headers = call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 4})
    assert status == 202 and body == b""
    assert headers["Ratelimit-Limit"] == "5" and headers["Ratelimit-Remaining"] == "4"
    status, body, _ = call(render, "GET", f"/v1/services/{SID}")
    assert status == 200
    assert json.loads(body)["serviceDetails"]["numInstances"] == 4
    scales = render.get("/_fake/scales")
    assert [(s["service"], s["numInstances"]) for s in scales] == [(SID, 4)]


def test_auth_service_and_bounds(render):
    assert call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 3}, key=None)[0] == 401
    assert call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 3}, key="rnd_bad")[0] == 401
    status, body, _ = call(render, "POST", "/v1/services/srv-other/scale", {"numInstances": 3})
    assert status == 404 and json.loads(body)["id"] == "not_found"
    for bad in ({"numInstances": 0}, {"numInstances": 101}, {"numInstances": "3"}, {}):
        status, body, _ = call(render, "POST", f"/v1/services/{SID}/scale", bad)
        assert status == 400 and "message" in json.loads(body)
    assert render.get("/_fake/scales") == []


def test_posts_over_the_limit_get_429_with_reset(render):
    statuses = [call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 2})[0]
                for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    status, body, headers = call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 2})
    assert status == 429 and json.loads(body)["id"] == "rate_limit_exceeded"
    assert headers["Ratelimit-Remaining"] == "0" and 1 <= int(headers["Ratelimit-Reset"]) <= 61
    assert call(render, "GET", f"/v1/services/{SID}")[0] == 200  # GETs are not counted


def test_autoscaling_service_ignores_scale(render):
    render.post("/_fake/service", {"autoscaling": True, "numInstances": 3})
    assert call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 7})[0] == 202
    doc = json.loads(call(render, "GET", f"/v1/services/{SID}")[1])
    assert doc["serviceDetails"]["numInstances"] == 3
    assert doc["serviceDetails"]["autoscaling"]["enabled"] is True


def test_outage_and_scripted_faults(render):
    render.post("/_fake/outage", {"on": True})
    assert call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 3})[0] == 503
    render.post("/_fake/outage", {"on": False})
    render.script({"status": 500, "error_body": {"id": "internal", "message": "boom"}})
    assert call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 3})[0] == 500
    assert call(render, "POST", f"/v1/services/{SID}/scale", {"numInstances": 3})[0] == 202
    assert [s["numInstances"] for s in render.get("/_fake/scales")] == [3]
