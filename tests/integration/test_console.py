"""The operators' console (issue 12) in a real browser: Debian's headless
chromium driven by python3-selenium against the real sentia-api (ASan
build), Redis and Postgres. One browser and one API for the module.

- The page and its assets: media types, the console's CSP and the API's
  security headers, ETag and 304, 404 for unknown assets.
- Signed out: the sign-in view with a labelled API key field.
- Overview counts equal `sentia-queue stats --json`; the key handed over in
  the URL leaves the address bar.
- A dead job found by search is retried through the UI and leaves the dead
  list; "delete all dead" shows and touches exactly N.
- A viewer's pages have no action controls.
- No console error and no CSP violation on any page (the browser log, plus a
  securitypolicyviolation listener installed before the page's scripts);
  a PNG screenshot of every page under SENTIA_TEST_DIR/console/.
"""
import base64
import json
import os
import shutil
import tempfile
import time
import uuid

import pytest

from apiutil import start_api  # noqa: F401  (dashapi builds on it)
from conftest import TEST_DIR, Service, base_env, create_database, drop_database, drop_prefix, \
    new_prefix, redis_client, run, wait_until
from dashapi import create_api_key, seed, start_dash_api

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, \
    TimeoutException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service as ChromeService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
ASSETS = {"app.js": "text/javascript", "api.js": "text/javascript", "views.js": "text/javascript",
          "charts.js": "text/javascript", "console.css": "text/css", "icon.svg": "image/svg+xml"}
CHROME_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--window-size=1280,800")
# Installed before any script of the page runs; CSP does not apply to it.
CSP_LISTENER = ("window.__csp = [];"
                "document.addEventListener('securitypolicyviolation', e =>"
                " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
SHOTS = os.path.join(TEST_DIR, "console")
DEAD_N = 4  # dead jobs in queue "notify" at the start


class Stack:
    """The API, its keys, the queue data and the browser, for the module."""

    def __init__(self, api, prefix, db, keys, driver):
        self.api, self.prefix, self.db, self.keys, self.driver = api, prefix, db, keys, driver

    @property
    def base(self):
        return f"http://127.0.0.1:{self.api.port}"

    def env(self):
        return base_env(prefix=self.prefix)


def _enqueue(prefix, queue, jtype, payload, count=1):
    cp = run("sentia-queue", "enqueue", queue, jtype, json.dumps(payload), "--count", str(count),
             env=base_env(prefix=prefix))
    assert cp.returncode == 0, cp.stdout + cp.stderr


def _kill_to_dead(r, prefix, queue, n, error):
    """Moves n ready envelopes of queue to its dead list as the fail script would."""
    ids = []
    for _ in range(n):
        raw = r.rpop(f"{prefix}:{{{queue}}}:ready")
        env = json.loads(raw)
        env.update(attempt=env["max_attempts"], last_error=error, failed_ms=int(time.time() * 1000))
        r.lpush(f"{prefix}:{{{queue}}}:dead", json.dumps(env, separators=(",", ":")))
        ids.append(env["id"])
    return ids


def _seed(prefix):
    r = redis_client()
    _enqueue(prefix, "webhooks", "whatsapp.inbound", {"from": "+15550001", "body": "ORDER 2 MUG"}, 7)
    _enqueue(prefix, "notify", "whatsapp.reply", {"to": "+15550002", "body": "thanks"}, DEAD_N)
    _kill_to_dead(r, prefix, "notify", DEAD_N, "twilio: 503 Service Unavailable")
    _enqueue(prefix, "notify", "whatsapp.reply", {"to": "+15550003", "body": "needle-" + prefix}, 1)
    needle = _kill_to_dead(r, prefix, "notify", 1, "twilio: 400 invalid number")[0]
    _enqueue(prefix, "notify", "whatsapp.reply", {"to": "+15550004", "body": "later"}, 2)
    r.close()
    return needle


def _driver(profile):
    opts = Options()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in CHROME_ARGS:
        opts.add_argument(a)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    svc = ChromeService(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    d = webdriver.Chrome(service=svc, options=opts)
    d.set_page_load_timeout(30)
    d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER})
    return d


@pytest.fixture(scope="module")
def stack(template_db):
    prefix, db = new_prefix(), create_database(template_db)
    started, profile, driver = [], tempfile.mkdtemp(prefix="chromium.", dir=TEST_DIR), None

    def services(name, *args, env):
        s = Service(name, args, env, "console")
        started.append(s)
        return s

    try:
        seed(db)  # products, stock, orders, a forecast run, recommendations, working capital
        api = start_dash_api(services, prefix, db)
        keys = {role: create_api_key(db, role, f"console-{role}")[1] for role in ("viewer", "operator", "admin")}
        os.makedirs(SHOTS, exist_ok=True)
        driver = _driver(profile)
        st = Stack(api, prefix, db, keys, driver)
        st.needle = _seed(prefix)
        yield st
    finally:
        if driver is not None:
            driver.quit()
        for s in started:
            s.stop()
        r = redis_client()
        drop_prefix(r, prefix)
        r.close()
        drop_database(db)
        shutil.rmtree(profile, ignore_errors=True)


# ---- browser helpers ---------------------------------------------------------


def problems(d):
    """Console errors and CSP violations since the last call."""
    bad = [f"{e['level']}: {e['message']}" for e in d.get_log("browser") if e["level"] == "SEVERE"
           or "Content Security Policy" in e["message"]]
    bad += [f"CSP: {v}" for v in (d.execute_script("return window.__csp || []") or [])]
    d.execute_script("window.__csp = []")
    return bad


def sign_in(st, role):
    """Loads the console with the role's key in the URL, as ./dev run prints it."""
    d = st.driver
    d.get("about:blank")
    d.get(f"{st.base}/console#key={st.keys[role]}")
    wait(d, lambda: d.find_element(By.ID, "who").get_attribute("data-role") == role, "signed in")


def wait(d, cond, what, timeout=15):
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.1, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException)).until(lambda _: cond())
    except TimeoutException:
        banner = d.find_element(By.ID, "banner")
        raise AssertionError(f"{what}: not within {timeout}s; banner: {banner.text!r}; "
                             f"log: {problems(d)}") from None


def refreshed(d):
    return d.find_element(By.ID, "refreshed").get_attribute("data-at")


def go(st, fragment):
    """Navigates to a page and waits for its first completed refresh."""
    d = st.driver
    before = refreshed(d)
    d.execute_script("location.hash = arguments[0]", fragment)
    main = d.find_element(By.ID, "main")
    wait(d, lambda: refreshed(d) not in (None, before) and main.get_attribute("data-loaded") == fragment,
         f"refresh of {fragment}")


def shot(d, name):
    """A PNG of the whole page (not only the window) under SHOTS."""
    size = d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = dict(x=0, y=0, width=size["width"], height=min(size["height"], 4000), scale=1)
    png = d.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                         "clip": clip})["data"]
    with open(os.path.join(SHOTS, name + ".png"), "wb") as f:
        f.write(base64.b64decode(png))


def stable(d, read):
    """read() retried while the 5 s refresh replaces the elements it reads."""
    box = []
    wait(d, lambda: box.append(read()) or True, "a stable read")
    return box[-1]


def click(d, css):
    wait(d, lambda: d.find_element(By.CSS_SELECTOR, css).click() or True, f"click {css}")


def actions(d):
    """The data-action values of the page's controls."""
    return stable(d, lambda: [b.get_attribute("data-action") for b in
                              d.find_elements(By.CSS_SELECTOR, "[data-action]")])


def route_exists(st, path):
    return st.api.get(path, {"Authorization": "Bearer " + st.keys["admin"]})[0] != 404


# ---- static ------------------------------------------------------------------


def test_page_and_assets_headers(stack):
    status, h, body = stack.api.get("/console")
    assert status == 200
    assert h["content-type"] == "text/html; charset=utf-8"
    assert h["content-security-policy"] == CSP
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    assert h["cache-control"] == "no-cache"
    assert b"<script" in body and b"style=" not in body and b"<style" not in body
    assert body.count(b"<script") == body.count(b'<script type="module" src="/console/')
    etag = h["etag"]
    status, h2, body2 = stack.api.get("/console", {"If-None-Match": f'"x", W/{etag}'})
    assert (status, body2, h2["etag"]) == (304, b"", etag)
    for name, ctype in ASSETS.items():
        status, h, body = stack.api.get("/console/" + name)
        assert status == 200 and h["content-type"].split(";")[0] == ctype, name
        assert h["content-security-policy"] == CSP and h["etag"].startswith('"') and body
        assert stack.api.get("/console/" + name, {"If-None-Match": h["etag"]})[0] == 304
        assert b"innerHTML" not in body and b".style." not in body, name
    status, h, body = stack.api.get("/console/nope.js")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"
    assert h["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    status, h, body = stack.api.request("HEAD", "/console/app.js")
    assert status == 200 and body == b""


def test_signed_out_shows_sign_in(stack):
    d = stack.driver
    d.get("about:blank")
    d.get(f"{stack.base}/console")
    d.execute_script("sessionStorage.clear()")
    d.refresh()
    field = wait(d, lambda: d.find_element(By.ID, "api-key"), "sign-in field")
    label = d.find_element(By.CSS_SELECTOR, "label[for=api-key]")
    assert label.text == "API key" and field.get_attribute("type") == "password"
    assert not d.find_element(By.ID, "nav").is_displayed()
    shot(d, "signin")
    assert problems(d) == []
    field.send_keys(stack.keys["operator"] + "\n")  # keyboard only
    wait(d, lambda: d.find_element(By.ID, "who").get_attribute("data-role") == "operator", "key sign-in")
    assert d.execute_script("return sessionStorage.length") == 1
    assert problems(d) == []


# ---- overview ----------------------------------------------------------------


def _cells(d):
    out = {}
    for c in d.find_elements(By.CSS_SELECTOR, "td[data-queue][data-field]"):
        out.setdefault(c.get_attribute("data-queue"), {})[c.get_attribute("data-field")] = c.text
    return out


def test_overview_counts_equal_cli_stats(stack):
    d = stack.driver
    sign_in(stack, "admin")
    assert "key=" not in d.current_url and d.current_url.endswith("#/overview")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#throughput svg.chart"), "throughput chart")
    cp = run("sentia-queue", "--json", "stats", env=stack.env())
    assert cp.returncode == 0, cp.stderr
    cli = {q["queue"]: q for q in json.loads(cp.stdout)["queues"]}
    shown = stable(d, lambda: _cells(d))
    assert set(shown) == set(cli) == {"webhooks", "notify"}
    for q, s in cli.items():
        for f in ("ready", "delayed", "active", "dead", "workers"):
            assert shown[q][f] == f"{s[f]:,}", (q, f, shown[q], s)
        assert shown[q]["paused"] == ("paused" if s["paused"] else "no")
    assert shown["notify"]["dead"] == str(DEAD_N + 1)
    # the pause control stops the 5 s refresh and says so
    pause = d.find_element(By.ID, "pause")
    pause.click()
    assert pause.get_attribute("aria-pressed") == "true" and pause.text == "Resume auto-refresh"
    at = refreshed(d)
    time.sleep(6)
    assert refreshed(d) == at
    pause.click()
    wait(d, lambda: refreshed(d) != at, "refresh resumed")
    d.find_element(By.CSS_SELECTOR, "button[data-window='24h']").click()
    wait(d, lambda: "24 hours" in d.find_element(By.CSS_SELECTOR, "#throughput svg title").get_attribute(
        "textContent"), "24 h chart")
    shot(d, "overview")
    assert problems(d) == []


# ---- queue view: search, retry one, delete all dead ------------------------------


def test_dead_job_found_by_search_is_retried(stack):
    d, r = stack.driver, redis_client()
    sign_in(stack, "admin")
    go(stack, "#/queue/notify?state=dead")
    box = d.find_element(By.ID, "job-search")
    box.send_keys("needle-" + stack.prefix + "\n")
    wait(d, lambda: [e.get_attribute("data-job") for e in d.find_elements(By.CSS_SELECTOR, "tr[data-job]")]
         == [stack.needle], "search result")
    shot(d, "queue-dead-search")
    click(d, f"tr[data-job='{stack.needle}'] a")
    wait(d, lambda: "twilio: 400" in d.find_element(By.ID, "main").text, "job detail")
    assert stack.needle in d.find_element(By.CSS_SELECTOR, "pre.json").text
    shot(d, "job")
    d.back()
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, f"tr[data-job='{stack.needle}'] button[data-action=retry]"),
         "row again")
    click(d, f"tr[data-job='{stack.needle}'] button[data-action=retry]")
    wait(d, lambda: not d.find_elements(By.CSS_SELECTOR, f"tr[data-job='{stack.needle}']"), "row gone")
    dead = [json.loads(e)["id"] for e in r.lrange(f"{stack.prefix}:{{notify}}:dead", 0, -1)]
    ready = [json.loads(e)["id"] for e in r.lrange(f"{stack.prefix}:{{notify}}:ready", 0, -1)]
    assert stack.needle not in dead and stack.needle in ready and len(dead) == DEAD_N
    r.close()
    assert problems(d) == []


def test_delete_all_dead_confirms_and_touches_exactly_n(stack):
    d, r = stack.driver, redis_client()
    dead_key = f"{stack.prefix}:{{notify}}:dead"
    n = r.llen(dead_key)
    assert n >= 1
    sign_in(stack, "admin")
    go(stack, "#/queue/notify?state=dead")
    bulk = "button[data-action=delete-all-dead]"
    wait(d, lambda: d.find_element(By.CSS_SELECTOR, bulk).text == f"Delete all dead ({n})", "bulk button")
    click(d, bulk)
    dlg = wait(d, lambda: d.find_element(By.CSS_SELECTOR, "dialog[open]"), "dialog")
    assert f"exactly {n} jobs will be deleted" in dlg.text
    shot(d, "queue-delete-all-dead")
    ready_before = r.llen(f"{stack.prefix}:{{notify}}:ready")
    dlg.find_element(By.CSS_SELECTOR, "button[data-action=confirm]").click()
    wait(d, lambda: f"{n} dead jobs deleted" in d.find_element(By.ID, "banner").text, "result banner")
    assert r.llen(dead_key) == 0 and r.llen(f"{stack.prefix}:{{notify}}:ready") == ready_before
    r.close()
    assert problems(d) == []


# ---- roles -------------------------------------------------------------------


def test_viewer_sees_no_action_controls(stack):
    d = stack.driver
    sign_in(stack, "viewer")
    pages = ["#/overview", "#/integrations"]
    if route_exists(stack, "/api/v1/working-capital"):
        pages.append("#/business")
    for page in pages:
        go(stack, page)
        assert actions(d) == [], page
        assert problems(d) == [], page
    assert not d.find_element(By.CSS_SELECTOR, "nav a[data-page=workers]").is_displayed()
    go(stack, "#/overview")
    shot(d, "viewer-overview")


def test_operator_has_no_bulk_dead_controls(stack):
    d, r = stack.driver, redis_client()
    _enqueue(stack.prefix, "notify", "whatsapp.reply", {"to": "+15550005", "body": "op"}, 1)
    _kill_to_dead(r, stack.prefix, "notify", 1, "boom")
    r.close()
    sign_in(stack, "operator")
    go(stack, "#/queue/notify?state=dead")
    kinds = set(actions(d))
    assert {"retry", "delete", "pause"} <= kinds
    assert not kinds & {"retry-all-dead", "delete-all-dead"}
    assert problems(d) == []


# ---- the other pages ---------------------------------------------------------


def test_workers_integrations_business_pages(stack):
    d = stack.driver
    sign_in(stack, "admin")
    go(stack, "#/workers")
    assert "live worker" in d.find_element(By.TAG_NAME, "caption").text
    shot(d, "workers")
    go(stack, "#/integrations")
    assert d.find_element(By.CSS_SELECTOR, "p.status").text
    shot(d, "integrations")
    assert problems(d) == []
    if not route_exists(stack, "/api/v1/working-capital"):
        pytest.skip("GET /api/v1/working-capital is not in this build's route table yet")
    go(stack, "#/business")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#forecast svg.chart"), "forecast chart")
    assert len(d.find_elements(By.CSS_SELECTOR, "[data-tile] svg.spark")) == 7
    assert d.find_elements(By.CSS_SELECTOR, "#forecast path.band.b80") and \
        d.find_elements(By.CSS_SELECTOR, "#forecast path.band.b95")
    assert d.find_elements(By.CSS_SELECTOR, "tr[data-sku]")  # stock that needs an order
    shot(d, "business")
    assert problems(d) == []


def test_phone_width_is_readable(stack):
    d = stack.driver
    sign_in(stack, "admin")
    d.set_window_size(390, 844)
    try:
        go(stack, "#/overview")
        width = d.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, width  # wide tables scroll inside their box, not the page
        shot(d, "overview-phone")
    finally:
        d.set_window_size(1280, 800)
    assert problems(d) == []
