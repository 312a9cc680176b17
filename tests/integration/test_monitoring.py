"""monitoring/: the Prometheus rules, their promtool tests, the scrape
configuration and the Grafana dashboard load and say what they should.

promtool (Debian package `prometheus`) checks the syntax and runs
alerts_test.yml; the checks here add what promtool cannot see: every alert
has `for:`, a severity, a summary and a runbook anchor that exists in
docs/OPERATIONS.md, every alert has a firing and a silent test case, every
dashboard expression parses, and every metric the rules and the dashboard
read is in the contract table of docs/OPERATIONS.md.
"""
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT

MON = os.path.join(ROOT, "monitoring")
OPS = os.path.join(ROOT, "docs", "OPERATIONS.md")
PROMTOOL = shutil.which("promtool")

needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool missing: ./dev installs `prometheus`")


def promtool(*args, cwd=None):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def load(name):
    with open(os.path.join(MON, name)) as f:
        return yaml.safe_load(f)


def alerts():
    return [r for g in load("alerts.yml")["groups"] for r in g["rules"] if "alert" in r]


def ops_anchors():
    """GitHub's anchors of the headings in docs/OPERATIONS.md."""
    anchors = set()
    with open(OPS) as f:
        for line in f:
            m = re.match(r"#+\s+(.*)", line)
            if m:
                text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
                anchors.add(text.replace(" ", "-"))
    return anchors


@needs_promtool
def test_rules_pass_promtool_check():
    cp = promtool("check", "rules", os.path.join(MON, "alerts.yml"))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "SUCCESS" in cp.stdout


@needs_promtool
def test_alert_rules_unit_tests_pass():
    cp = promtool("test", "rules", "alerts_test.yml", cwd=MON)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_every_alert_has_for_severity_summary_and_runbook():
    anchors = ops_anchors()
    names = [a["alert"] for a in alerts()]
    assert len(names) == len(set(names)), "duplicate alert names"
    for a in alerts():
        assert "for" in a, a["alert"]
        assert a["labels"]["severity"] in ("warning", "critical"), a["alert"]
        assert a["annotations"]["summary"], a["alert"]
        url = a["annotations"]["runbook_url"]
        assert url == "docs/OPERATIONS.md#" + a["alert"].lower(), (a["alert"], url)
        assert url.split("#")[1] in anchors, f"no heading for {url} in docs/OPERATIONS.md"


def test_every_issue_threshold_has_an_alert():
    names = {a["alert"] for a in alerts()}
    expected = {
        "SentiaErrorRateHigh", "SentiaErrorRateCritical", "SentiaLatencyP95High",
        "SentiaLatencyP95Critical", "SentiaQueueBacklog", "SentiaQueueBacklogCritical",
        "SentiaQueueOldestJobOld", "SentiaDeadJobsGrowing", "SentiaQueueNoWorkers",
        "SentiaRedisDown", "SentiaPostgresDown", "SentiaFreshnessPromiseBroken",
        "SentiaForecastRunFailed", "SentiaWorkingCapitalStale", "SentiaMemoryHigh",
        "SentiaAvailabilityBurnFast", "SentiaAvailabilityBurnSlow",
    }
    assert expected <= names, expected - names
    by = {a["alert"]: a for a in alerts()}
    assert "> 0.01" in by["SentiaErrorRateHigh"]["expr"]
    assert "> 0.05" in by["SentiaErrorRateCritical"]["expr"]
    assert "> 2" in by["SentiaLatencyP95High"]["expr"]
    assert "> 5" in by["SentiaLatencyP95Critical"]["expr"]
    assert "> 1000" in by["SentiaQueueBacklog"]["expr"]
    assert "> 5000" in by["SentiaQueueBacklogCritical"]["expr"]
    assert "> 0.85" in by["SentiaMemoryHigh"]["expr"]
    assert "> 1800" in by["SentiaFreshnessPromiseBroken"]["expr"]
    assert "24 * 3600" in by["SentiaWorkingCapitalStale"]["expr"]
    fast = by["SentiaAvailabilityBurnFast"]["expr"]
    assert "14.4 * 0.001" in fast and "ratio_rate1h" in fast and "ratio_rate5m" in fast


def test_every_alert_has_a_firing_and_a_silent_case():
    fired, silent = set(), set()
    for case in load("alerts_test.yml")["tests"]:
        for t in case.get("alert_rule_test", []):
            (fired if t.get("exp_alerts") else silent).add(t["alertname"])
    names = {a["alert"] for a in alerts()}
    assert names - fired == set(), "alerts never shown firing"
    assert names - silent == set(), "alerts never shown silent"


@needs_promtool
def test_prometheus_config_passes_promtool(tmp_path):
    # credentials_file is relative to the configuration: promtool insists
    # that it exists, so the check runs on a copy with a made-up token.
    for f in ("prometheus.yml", "alerts.yml"):
        shutil.copy(os.path.join(MON, f), tmp_path / f)
    (tmp_path / "metrics_token").write_text("test-token")
    cp = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    cfg = load("prometheus.yml")
    job = cfg["scrape_configs"][0]
    assert job["job_name"] == "sentia-api"  # the alerts select job="sentia-api"
    assert job["authorization"]["type"] == "Bearer"
    assert cfg["rule_files"] == ["alerts.yml"]


def dashboard_exprs():
    with open(os.path.join(MON, "grafana-dashboard.json")) as f:
        dash = json.load(f)
    return dash, [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def check_exprs(tmp_path, exprs):
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr{i}", "expr": e} for i, e in enumerate(exprs)]}]}
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules))
    return promtool("check", "rules", str(path))


@needs_promtool
def test_dashboard_json_loads_and_every_expression_parses(tmp_path):
    dash, exprs = dashboard_exprs()
    assert dash["uid"] and dash["panels"]
    titles = " ".join(p["title"] for p in dash["panels"])
    for word in ("Queues", "Latency", "SLOs"):
        assert word in titles
    assert len(exprs) >= 20
    cp = check_exprs(tmp_path, exprs)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in cp.stdout


@needs_promtool
def test_the_expression_check_rejects_a_broken_expression(tmp_path):
    cp = check_exprs(tmp_path, ["sum(rate(sentia_http_requests_total[5m])"])
    assert cp.returncode != 0


def metric_names(expr):
    names = set(re.findall(r"\b(sentia_[a-z_]+)", expr))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}


def test_every_metric_read_is_in_the_contract():
    with open(OPS) as f:
        text = f.read()
    section = text.split("## Metrics the rules read", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(sentia_[a-z_]+)", section))
    used = set()
    for r in (r for g in load("alerts.yml")["groups"] for r in g["rules"]):
        used |= metric_names(r["expr"])
    used |= {n for e in dashboard_exprs()[1] for n in metric_names(e)}
    assert used - listed == set(), "metrics read but not in docs/OPERATIONS.md's contract"
