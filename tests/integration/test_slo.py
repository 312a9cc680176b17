"""GET /api/v1/slo (api/routes/slo.h): the seeds' SLOs with their targets,
values over 5 min / 1 h / 24 h of this instance's answers, the error budget
left, and the data SLOs from Postgres — checked against docs/openapi.yaml
by dashapi's contract check on every answer."""
import json

from dashapi import bearer, create_api_key, start_dash_api, token
from dashqueue_support import jwks  # noqa: F401  (fixture)
from test_ops_metrics import SEED, pg_exec

TARGETS = {"availability": (">", 0.999), "latency_p95": ("<", 0.5), "error_rate": ("<", 0.01),
           "data_freshness": ("<", 1800), "forecast_success": (">", 0.99),
           "working_capital_age": ("<", 86400)}


def slos(api, key):
    status, h, body = api.get("/api/v1/slo", bearer(key))
    assert status == 200, body
    doc = json.loads(body)
    return h, doc, {s["name"]: s for s in doc["slos"]}


def test_slo_report_from_requests_and_postgres(services, prefix, database):
    pg_exec(database, SEED)
    api = start_dash_api(services, prefix, database=database)
    _, viewer = create_api_key(database, "viewer")
    assert api.get("/api/v1/slo", bearer(viewer))[0] == 403
    _, key = create_api_key(database, "operator")
    for _ in range(30):
        assert api.get("/health")[0] == 200
    assert api.get("/nope")[0] == 404  # a 4xx is not an error of the service
    h, doc, by = slos(api, key)
    assert set(by) == set(TARGETS) and doc["instance"].count(":") == 1
    for name, (op, target) in TARGETS.items():
        assert (by[name]["objective"], by[name]["target"]) == (op, target)
    avail = by["availability"]
    for w in ("5m", "1h", "24h"):
        assert avail["windows"][w] == {"value": 1.0, "met": True}
        assert by["error_rate"]["windows"][w] == {"value": 0.0, "met": True}
        p95 = by["latency_p95"]["windows"][w]
        assert 0 < p95["value"] < 0.5 and p95["met"] is True
    assert avail["error_budget_remaining"] == 1.0
    # Postgres: xero/contacts 2 h old, unleashed/stock never: freshness broken.
    fresh = by["data_freshness"]
    assert fresh["windows"]["5m"]["met"] is False and fresh["windows"]["1h"]["value"] is None
    fc = by["forecast_success"]["windows"]
    assert fc["1h"] == {"value": 0.0, "met": False}   # j2 failed 50 min ago
    assert fc["24h"] == {"value": 0.5, "met": False}
    assert by["working_capital_age"]["windows"]["5m"]["value"] is None
    assert api.get("/api/v1/slo", {**bearer(key), "If-None-Match": h["etag"]})[0] in (200, 304)


def test_slo_without_postgres_answers_with_notes(services, prefix, jwks):
    # No DATABASE_URL (Clerk sessions only): the data SLOs are null with a note.
    api = start_dash_api(services, prefix, jwks=jwks)
    assert api.get("/health")[0] == 200
    _, doc, by = slos(api, token(jwks, role="operator"))
    assert by["availability"]["windows"]["5m"] == {"value": 1.0, "met": True}
    for name in ("data_freshness", "forecast_success", "working_capital_age"):
        assert all(w == {"value": None, "met": None} for w in by[name]["windows"].values())
        assert by[name]["note"] == "DATABASE_URL is not set"
        assert by[name]["error_budget_remaining"] is None
