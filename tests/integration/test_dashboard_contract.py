"""The contract kept true from the binary's side (issue 10 §5): GET
/api/v1/openapi.json serves docs/openapi.yaml as JSON (no auth, ETag), and
the route table (`sentia-api --routes`) and the document list the same
routes with the same roles. Every JSON body the dashboard tests receive is
validated against its schema by dashapi.check_contract."""
import json
import os
import subprocess

import yaml

from apiutil import start_api
from conftest import ROOT, binary

METHODS = ("get", "post", "put", "patch", "delete")
# Documented operations delivered by later issues (x-sentia-issue 12, 13) and,
# until branch dashqueue is merged, the issue-10 queue, command and admin
# routes it builds in parallel: absent from this table, checked once present.
PARALLEL = {
    ("get", "/api/v1/queues"), ("get", "/api/v1/queues/{queue}/jobs"),
    ("get", "/api/v1/queues/{queue}/jobs/{id}"), ("delete", "/api/v1/queues/{queue}/jobs/{id}"),
    ("post", "/api/v1/queues/{queue}/jobs/{id}/retry"), ("post", "/api/v1/queues/{queue}/pause"),
    ("post", "/api/v1/queues/{queue}/resume"), ("post", "/api/v1/queues/{queue}/dead/retry"),
    ("delete", "/api/v1/queues/{queue}/dead"), ("get", "/api/v1/workers"),
    ("post", "/api/v1/sync/{provider}/{resource}"), ("post", "/api/v1/forecasts/run"),
    ("post", "/api/v1/working-capital/compute"), ("get", "/api/v1/jobs/{id}"),
    ("get", "/api/v1/admin/api-keys"), ("post", "/api/v1/admin/api-keys"),
    ("delete", "/api/v1/admin/api-keys/{id}"), ("get", "/api/v1/admin/audit"),
}


def load_doc():
    with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def table():
    cp = subprocess.run([binary("sentia-api"), "--routes"], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, cp.stderr
    return {(m.lower(), row["path"]): row["class"] for row in json.loads(cp.stdout)
            for m in row["methods"]}


def documented():
    out = {}
    for path, item in load_doc()["paths"].items():
        for method in METHODS:
            if method in item:
                out[(method, path)] = item[method]
    return out


def expected_class(op):
    role = op["x-sentia-role"]
    if role == "probe":  # open: probes, and public routes such as this document
        return {"probe", "public"}
    return {role}


def test_openapi_json_is_the_document(services, prefix):
    api = start_api(services, prefix)
    status, h, body = api.get("/api/v1/openapi.json")
    assert status == 200 and h["content-type"] == "application/json"
    assert json.loads(body) == load_doc()
    assert api.get("/api/v1/openapi.json", {"If-None-Match": h["etag"]})[0] == 304
    api.stop()


def test_every_route_is_documented_and_every_document_route_exists():
    rows, doc = table(), documented()
    undocumented = sorted(set(rows) - set(doc))
    assert not undocumented, f"in the route table, not in docs/openapi.yaml: {undocumented}"
    later = {k for k, op in doc.items() if op.get("x-sentia-issue") in (12, 13)}
    missing = sorted(set(doc) - set(rows) - later - PARALLEL)
    assert not missing, f"in docs/openapi.yaml, not in the route table: {missing}"
    wrong = sorted((k, rows[k], doc[k]["x-sentia-role"]) for k in rows
                   if rows[k] not in expected_class(doc[k]))
    assert not wrong, f"route class differs from x-sentia-role: {wrong}"
