"""docs/openapi.yaml checked as a file (no server): it parses, it is shaped
like an OpenAPI 3.1 document, every schema in it is a valid JSON Schema
(2020-12), every $ref resolves, every operation carries what the contract
promises (operationId, tags, role, security, the answers of its kind) and
every example validates against its schema.

`response_validator(method, path, status)` is for the route tests: it
returns a jsonschema validator of that answer's JSON body, so a test can
check a real response against the document.
"""
import copy
import json
import os
import re

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = os.environ.get("SENTIA_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
DOC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROLES = ("viewer", "operator", "manager", "admin")
ROLE_CLASSES = ROLES + ("probe", "webhook", "metrics")
DASHBOARD_SCHEMES = ("clerkBearer", "clerkSession", "apiKey")
# Objects whose keys are not ours to close: provider/job data stored as received.
OPEN_OBJECTS = {"ProbeDocument"}

_doc_cache = {}


def load_doc():
    """The document as Python data (parsed once)."""
    if "doc" not in _doc_cache:
        with open(DOC_PATH, encoding="utf-8") as f:
            _doc_cache["doc"] = yaml.safe_load(f)
    return _doc_cache["doc"]


def _pointer(parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _resolve(doc, ref):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def _deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = _resolve(doc, node["$ref"])
    return node


def validator_at(parts):
    """A validator of the schema at JSON pointer `parts`, refs resolved in the document."""
    doc = load_doc()
    root = dict(doc)
    root["$ref"] = _pointer(parts)
    return Draft202012Validator(root)


def _operation(doc, method, path):
    item = doc["paths"].get(path)
    assert item is not None, f"{path} is not in the document"
    op = item.get(method.lower())
    assert op is not None, f"{method} {path} is not in the document"
    return op


def response_validator(method, path, status):
    """Validator of the JSON body of `status` from `method path` (path as templated)."""
    doc = load_doc()
    op = _operation(doc, method, path)
    resp = op["responses"].get(str(status))
    assert resp is not None, f"{method} {path} does not document {status}"
    parts = ["paths", path, method.lower(), "responses", str(status)]
    while "$ref" in resp:
        parts = resp["$ref"][2:].split("/")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in parts]
        resp = _resolve(doc, resp["$ref"])
    assert "application/json" in resp.get("content", {}), f"{method} {path} {status} has no JSON body"
    return validator_at(parts + ["content", "application/json", "schema"])


def _operations(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _walk(node, parts=()):
    """Every (parts, dict) in node, depth first."""
    if isinstance(node, dict):
        yield parts, node
        for k, v in node.items():
            yield from _walk(v, parts + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, parts + (i,))


# ---- the document as a whole ------------------------------------------------------


def test_parses_as_openapi_31():
    doc = load_doc()
    assert doc["openapi"].startswith("3.1.")
    for key in ("info", "paths", "components"):
        assert key in doc
    assert doc["info"]["title"] and doc["info"]["version"]
    for name in DASHBOARD_SCHEMES + ("metricsToken",):
        assert name in doc["components"]["securitySchemes"]
    cookie = doc["components"]["securitySchemes"]["clerkSession"]
    assert (cookie["type"], cookie["in"], cookie["name"]) == ("apiKey", "cookie", "__session")


def test_converts_to_json_unchanged():
    """GET /api/v1/openapi.json serves this data as JSON: no YAML-only values
    (dates, integer keys) may hide in it."""
    doc = load_doc()
    assert json.loads(json.dumps(doc)) == doc


def test_every_ref_resolves():
    doc = load_doc()
    refs = [n["$ref"] for _, n in _walk(doc) if isinstance(n.get("$ref"), str)]
    assert refs
    for ref in refs:
        _resolve(doc, ref)


def test_every_schema_is_valid_json_schema():
    doc = load_doc()
    count = 0
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        count += 1
    for parts, node in _walk(doc["paths"]):
        if "schema" in node and isinstance(node["schema"], dict):
            Draft202012Validator.check_schema(node["schema"])
            count += 1
    for kind in ("parameters", "headers", "responses"):
        for parts, node in _walk(doc["components"][kind]):
            if "schema" in node and isinstance(node["schema"], dict):
                Draft202012Validator.check_schema(node["schema"])
    assert count > 50


def test_objects_we_own_refuse_unknown_properties():
    doc = load_doc()
    for name, schema in doc["components"]["schemas"].items():
        if name in OPEN_OBJECTS:
            continue
        for parts, node in _walk(schema):
            if "properties" in node and isinstance(node["properties"], dict) \
                    and parts[-1:] != ("properties",):
                assert node.get("additionalProperties") is False, \
                    f"{name}{'/' + '/'.join(map(str, parts)) if parts else ''} is not closed"


def test_operation_ids_are_unique():
    ids = [op["operationId"] for _, _, op in _operations(load_doc())]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


# ---- every operation --------------------------------------------------------------


def _op_cases():
    return [pytest.param(path, method, id=f"{method.upper()} {path}")
            for path, method, _ in _operations(load_doc())]


@pytest.mark.parametrize("path,method", _op_cases())
def test_operation_contract(path, method):
    doc = load_doc()
    op = doc["paths"][path][method]
    assert op.get("operationId"), "operationId"
    assert op.get("tags"), "tags"
    for tag in op["tags"]:
        assert tag in {t["name"] for t in doc["tags"]}, tag
    role = op.get("x-sentia-role")
    assert role in ROLE_CLASSES, "x-sentia-role"
    assert "security" in op, "security stated on every operation"
    names = re.findall(r"{([^}]+)}", path)
    declared = [p for p in (_deref(doc, p) for p in op.get("parameters", [])) if p["in"] == "path"]
    assert sorted(names) == sorted(p["name"] for p in declared), "path parameters"
    for p in declared:
        assert p.get("required") is True
    responses = op["responses"]
    if role in ROLES:
        schemes = {k: v for req in op["security"] for k, v in req.items()}
        assert set(schemes) == set(DASHBOARD_SCHEMES), "Clerk bearer, cookie and API key"
        assert all(v == [role] for v in schemes.values()), "security roles = x-sentia-role"
        for status in ("400", "401", "403", "429"):
            assert status in responses, status
        unauth = _deref(doc, responses["401"])
        assert "WWW-Authenticate" in unauth["headers"]
    elif role in ("probe", "webhook"):
        assert op["security"] == []
    else:
        assert {"metricsToken": []} in op["security"]
    for status, resp in responses.items():
        assert re.fullmatch(r"[1-5][0-9][0-9]", str(status)), status
        resp = _deref(doc, resp)
        assert resp.get("description"), f"{status} description"
        if role in ROLES:
            assert "X-Request-Id" in resp.get("headers", {}), f"{status} X-Request-Id"
            if status != "304":
                media = resp["content"]["application/json"]
                assert "schema" in media and ("example" in media or "examples" in media), \
                    f"{status} schema and example"
    if role in ROLES and method == "get":
        assert "304" in responses, "reads answer 304"
        ok = _deref(doc, responses["200"])
        assert {"ETag", "Cache-Control"} <= set(ok["headers"]), "reads carry ETag"
        params = [_deref(doc, p)["name"] for p in op.get("parameters", [])]
        assert "If-None-Match" in params
        if "cursor" in params:
            assert "limit" in params
            body = _deref(doc, ok["content"]["application/json"]["schema"])
            assert "next_cursor" in body["required"], "paged answers carry next_cursor"
    if role in ROLES and method in ("post", "delete") and not path.startswith("/api/v1/admin/"):
        params = [_deref(doc, p)["name"] for p in op.get("parameters", [])]
        assert "Idempotency-Key" in params, "commands honour Idempotency-Key"
        assert "503" in responses
        if "requestBody" in op:
            body = _deref(doc, op["requestBody"]["content"]["application/json"]["schema"])
            assert body.get("additionalProperties") is False, "unknown fields refused"


def test_every_dashboard_route_is_documented():
    """The routes issue 10 and 12/13 name; the route-table test checks the code's side."""
    doc = load_doc()
    expected = {
        ("get", "/api/v1/me"), ("get", "/api/v1/orders"), ("get", "/api/v1/orders/{id}"),
        ("get", "/api/v1/products"), ("get", "/api/v1/inventory"),
        ("get", "/api/v1/forecasts"), ("get", "/api/v1/forecasts/runs"),
        ("get", "/api/v1/stock/recommendations"), ("get", "/api/v1/working-capital"),
        ("get", "/api/v1/integrations"), ("get", "/api/integrations/status"),
        ("get", "/api/v1/queues"), ("get", "/api/v1/queues/{queue}/jobs"),
        ("get", "/api/v1/queues/{queue}/jobs/{id}"), ("get", "/api/v1/workers"),
        ("get", "/api/v1/queues/{queue}/throughput"), ("get", "/api/v1/slo"),
        ("post", "/api/v1/sync/{provider}/{resource}"),
        ("post", "/api/v1/queues/{queue}/pause"), ("post", "/api/v1/queues/{queue}/resume"),
        ("post", "/api/v1/queues/{queue}/jobs/{id}/retry"),
        ("delete", "/api/v1/queues/{queue}/jobs/{id}"),
        ("post", "/api/v1/forecasts/run"), ("post", "/api/v1/working-capital/compute"),
        ("post", "/api/v1/queues/{queue}/dead/retry"), ("delete", "/api/v1/queues/{queue}/dead"),
        ("get", "/api/v1/jobs/{id}"),
        ("get", "/api/v1/admin/api-keys"), ("post", "/api/v1/admin/api-keys"),
        ("delete", "/api/v1/admin/api-keys/{id}"), ("get", "/api/v1/admin/audit"),
        ("get", "/api/v1/openapi.json"),
    }
    have = {(m, p) for p, m, _ in _operations(doc)}
    assert expected <= have, sorted(expected - have)
    roles = {(m, p): op["x-sentia-role"] for p, m, op in _operations(doc)}
    assert roles[("get", "/api/v1/queues")] == "operator"
    assert roles[("post", "/api/v1/forecasts/run")] == "manager"
    assert roles[("delete", "/api/v1/queues/{queue}/dead")] == "admin"
    assert roles[("post", "/api/v1/queues/{queue}/dead/retry")] == "admin"
    assert roles[("get", "/api/v1/openapi.json")] == "probe"


def test_bulk_dead_commands_need_confirm():
    doc = load_doc()
    for method, path in (("post", "/api/v1/queues/{queue}/dead/retry"),
                         ("delete", "/api/v1/queues/{queue}/dead")):
        op = doc["paths"][path][method]
        assert op["requestBody"]["required"] is True
        body = _deref(doc, op["requestBody"]["content"]["application/json"]["schema"])
        assert body["required"] == ["confirm"]
        assert "409" in op["responses"]


# ---- examples ---------------------------------------------------------------------


def _example_cases():
    doc = load_doc()
    cases = []
    for parts, node in _walk(doc):
        if not isinstance(node.get("schema"), dict):
            continue
        if "example" in node:
            cases.append((parts + ("schema",), node["example"]))
        for name, ex in (node.get("examples") or {}).items():
            cases.append((parts + ("schema",), _deref(doc, ex)["value"]))
    return [pytest.param(p, e, id="/".join(map(str, p[:-1]))) for p, e in cases]


@pytest.mark.parametrize("parts,example", _example_cases())
def test_example_validates(parts, example):
    errors = sorted(validator_at(list(parts)).iter_errors(example), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_examples_are_checked_at_all():
    assert len(_example_cases()) >= 40


def test_schemas_refuse_what_they_must():
    """A few negative cases: the strictness the tests of the routes rely on."""
    order = validator_at(["components", "schemas", "Order"])
    good = copy.deepcopy(load_doc()["paths"]["/api/v1/orders"]["get"]["responses"]["200"]
                        ["content"]["application/json"]["example"]["items"][0])
    assert order.is_valid(good)
    assert not order.is_valid(dict(good, extra=1)), "unknown property"
    assert not order.is_valid(dict(good, total=25.0)), "money is a string"
    assert not order.is_valid(dict(good, total="25.5")), "two decimals"
    assert not order.is_valid(dict(good, placed_at="2026-12-04 09:15:02")), "RFC 3339"
    assert not order.is_valid(dict(good, placed_at="2026-12-04T09:15:02+01:00")), "UTC"
    err = validator_at(["components", "schemas", "Error"])
    assert err.is_valid({"error": {"code": "not_found", "message": "m", "request_id": "r"}})
    assert not err.is_valid({"error": {"code": "nope", "message": "m", "request_id": "r"}})
    assert not err.is_valid({"error": {"code": "not_found", "message": "m"}})
    confirm = validator_at(["components", "schemas", "ConfirmCommand"])
    assert confirm.is_valid({"confirm": 3})
    assert not confirm.is_valid({}), "confirm required"
    assert not confirm.is_valid({"confirm": 3, "all": True}), "unknown field"
    empty = validator_at(["components", "schemas", "EmptyCommand"])
    assert empty.is_valid({}) and not empty.is_valid({"x": 1})
    accepted = response_validator("post", "/api/v1/forecasts/run", 202)
    assert accepted.is_valid({"job_id": "abc", "queue": "forecast", "type": "forecast.run",
                              "status_url": "/api/v1/jobs/abc"})
    assert not accepted.is_valid({"job_id": "abc", "queue": "forecast", "type": "forecast.run"})
