"""./dev itself (docs/SECURITY.md, README's ./dev section):

- run as root it follows no link under the checkout and uses no directory
  another account can write: a swapped link makes it refuse with a clear
  message and change nothing outside .local/ (run in a temp copy of dev);
- the suite's servers want their per-run passwords and do not run as root;
- `./dev run` with no provider credentials starts the fakes, loads the sample
  data, and a WhatsApp order sent with `./dev send-order` is answered through
  the fake Twilio, whose status callbacks reach the API; `./dev demo-traffic`
  orders come from enough customers that the default limit of open orders
  refuses none; with credentials set no fake starts for that provider;
- the sample data is deterministic and idempotent.
"""
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import psycopg2
import pytest
import redis as redis_lib

from conftest import (BUILD, PG_PASSWORD, PG_PORT, REDIS_PASSWORD, REDIS_PORT, ROOT, TEST_DIR, database_url,
                      free_port, pg, sanitizer_report, wait_until)

DEV = os.path.join(ROOT, "dev")
PYTHON = "/usr/bin/python3"


# ---- a swapped link is refused ----------------------------------------------------


def snapshot(top, skip=None):
    """Every path under top (not below `skip`) with its type, owner, mode and
    size or link target: what "changed nothing" compares."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        if skip and (dirpath == skip or dirpath.startswith(skip + os.sep)):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            extra = os.readlink(p) if stat.S_ISLNK(st.st_mode) else st.st_size
            out[p] = (stat.S_IFMT(st.st_mode), st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), extra,
                      st.st_mtime_ns)
    return out


@pytest.fixture
def checkout():
    """A copy of dev in a fresh directory (the checkout) beside a victim
    directory holding one file; removed afterwards."""
    top = tempfile.mkdtemp(prefix="devcopy-", dir=TEST_DIR)
    root = os.path.join(top, "p")
    os.mkdir(root)
    shutil.copy2(DEV, os.path.join(root, "dev"))
    victim = os.path.join(top, "victim")
    os.mkdir(victim, 0o755)
    with open(os.path.join(victim, "precious"), "w") as f:
        f.write("not yours\n")
    yield top, root, victim
    shutil.rmtree(top)


def dev_function(root, script, env=None, timeout=120):
    """Sources the copy's dev (functions only) and runs `script` in bash."""
    cp = subprocess.run(["bash", "-c", f'source "{root}/dev"; {script}'], cwd=root, capture_output=True,
                        text=True, timeout=timeout, env=dict(os.environ, **(env or {})))
    return cp


LINKS = {
    # what is swapped: (path below the checkout that becomes a link, the dev call)
    "pg data": (".local/pg/data", 'start_postgres "$LOCAL/pg" {port} fast'),
    "pg directory": (".local/pg", 'start_postgres "$LOCAL/pg" {port} fast'),
    "pg socket directory": (".local/pg/run", 'start_postgres "$LOCAL/pg" {port} fast'),
    "older data-link": (".local/pg/data-link", 'start_postgres "$LOCAL/pg" {port} fast'),
    ".local itself": (".local", 'start_redis "$LOCAL/redis" {port}'),
    "redis data": (".local/redis/data", 'start_redis "$LOCAL/redis" {port}'),
    "password file": (".local/redis/password", 'start_redis "$LOCAL/redis" {port}'),
}


@pytest.mark.parametrize("case", sorted(LINKS))
def test_swapped_link_refused(checkout, case):
    top, root, victim = checkout
    rel, call = LINKS[case]
    link = os.path.join(root, rel)
    for d in {os.path.join(root, ".local"), os.path.dirname(link)} - {link}:
        if not os.path.lexists(d):
            os.makedirs(d, 0o711, exist_ok=True)
    os.symlink(victim, link)
    local = os.path.join(root, ".local")
    before = snapshot(top, skip=local)
    port = free_port()
    cp = dev_function(root, call.format(port=port))
    assert cp.returncode != 0, cp.stdout + cp.stderr
    assert "refusing" in cp.stderr and "symbolic link" in cp.stderr, cp.stderr
    assert rel.split("/")[-1] in cp.stderr, cp.stderr
    # nothing outside .local/ changed (the victim least of all), nothing listens
    assert snapshot(top, skip=local) == before
    assert os.listdir(victim) == ["precious"]
    assert not connectable(port)


def test_directory_of_another_account_refused(checkout):
    """A data directory that belongs to someone else than the service account
    (or a writable .local) is refused, not chowned."""
    top, root, victim = checkout
    os.makedirs(os.path.join(root, ".local", "pg"), 0o711)
    os.chmod(os.path.join(root, ".local"), 0o777)
    cp = dev_function(root, f'start_postgres "$LOCAL/pg" {free_port()} fast')
    assert cp.returncode != 0 and "writable by group or others" in cp.stderr, cp.stderr
    os.chmod(os.path.join(root, ".local"), 0o711)
    if os.geteuid() == 0:
        data = os.path.join(root, ".local", "pg", "data")
        os.mkdir(data, 0o700)
        os.chown(data, 65534, 65534)  # nobody
        cp = dev_function(root, f'start_postgres "$LOCAL/pg" {free_port()} fast')
        assert cp.returncode != 0 and "belongs to" in cp.stderr, cp.stderr
        assert os.stat(data).st_uid == 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="the older layout handed .local/pg to postgres as root")
def test_older_layout_taken_back(checkout):
    """.local/pg owned by postgres (an older ./dev) becomes ours again; its
    data directory stays postgres's; data/ and run/ are postgres's, 0700."""
    top, root, victim = checkout
    pg_dir = os.path.join(root, ".local", "pg")
    os.makedirs(os.path.join(pg_dir, "data"), 0o700)
    os.chmod(os.path.join(root, ".local"), 0o711)
    import pwd
    uid = pwd.getpwnam("postgres").pw_uid
    for p in (pg_dir, os.path.join(pg_dir, "data")):
        os.chown(p, uid, -1)
    cp = dev_function(root, 'server_dirs "$LOCAL/pg" postgres')
    assert cp.returncode == 0, cp.stderr
    assert "took" in cp.stderr and os.stat(pg_dir).st_uid == 0
    assert stat.S_IMODE(os.stat(pg_dir).st_mode) == 0o711
    for sub in ("data", "run"):
        st = os.stat(os.path.join(pg_dir, sub))
        assert st.st_uid == uid, sub
    assert stat.S_IMODE(os.stat(os.path.join(pg_dir, "run")).st_mode) == 0o700


def test_teardown_deletes_only_what_it_verified(checkout):
    """remove_tree refuses a test directory swapped for a link: the tree it
    points to stays."""
    top, root, victim = checkout
    local = os.path.join(root, ".local")
    os.mkdir(local, 0o711)
    fake_test_dir = os.path.join(local, "tmp.x.test")
    os.symlink(victim, fake_test_dir)
    cp = dev_function(root, f'remove_tree "{fake_test_dir}" postgres redis')
    assert cp.returncode != 0 and "not deleting" in cp.stderr, cp.stderr
    assert os.listdir(victim) == ["precious"]


# ---- the passwords are required ---------------------------------------------------


needs_passwords = pytest.mark.skipif(not (REDIS_PASSWORD and PG_PASSWORD),
                                     reason="SENTIA_TEST_*_PASSWORD unset: not run by ./dev test")


@needs_passwords
def test_redis_wants_its_password():
    with pytest.raises(redis_lib.exceptions.AuthenticationError):
        redis_lib.Redis(host="127.0.0.1", port=REDIS_PORT).ping()
    with pytest.raises(redis_lib.exceptions.ResponseError, match="WRONGPASS"):
        redis_lib.Redis(host="127.0.0.1", port=REDIS_PORT, password="sentia").ping()
    r = redis_lib.Redis(host="127.0.0.1", port=REDIS_PORT, password=REDIS_PASSWORD)
    assert r.ping()
    pid = r.info("server")["process_id"]
    if os.geteuid() == 0:
        assert os.stat(f"/proc/{pid}").st_uid != 0, "redis-server runs as root"
    assert stat.S_IMODE(os.stat(os.path.join(TEST_DIR, "redis", "password")).st_mode) == 0o600


@needs_passwords
@pytest.mark.parametrize("user,password", [("sentia", "sentia"), ("sentia", ""), ("postgres", "postgres"),
                                           ("postgres", "")])
def test_postgres_wants_its_password(user, password):
    with pytest.raises(psycopg2.OperationalError) as e:
        psycopg2.connect(f"host=127.0.0.1 port={PG_PORT} user={user} password='{password}' dbname=postgres",
                         connect_timeout=5)
    assert "password" in str(e.value)


@needs_passwords
def test_postgres_runs_unprivileged_with_scram():
    conn = pg("sentia")
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid(), current_setting('password_encryption')")
        pid, enc = cur.fetchone()
    conn.close()
    assert enc == "scram-sha-256"
    if os.geteuid() == 0:
        assert os.stat(f"/proc/{pid}").st_uid != 0, "postgres runs as root"
    assert stat.S_IMODE(os.stat(os.path.join(TEST_DIR, "pg", "password")).st_mode) == 0o600


# ---- sample data ------------------------------------------------------------------


def load_sample(dbname):
    cp = subprocess.run([PYTHON, os.path.join(ROOT, "tests", "fakes", "sample_data.py"), "--today", "2026-06-30"],
                        env=dict(os.environ, DATABASE_URL=database_url(dbname)), capture_output=True, text=True,
                        timeout=120)
    assert cp.returncode == 0, cp.stderr


def digest(dbname):
    conn = pg(dbname)
    out = {}
    with conn.cursor() as cur:
        for table, cols in (("products", "sku, name, unit_price, active"), ("inventory", "sku, location, on_hand"),
                            ("orders", "source, external_id, status, total, placed_at"),
                            ("order_lines", "o.external_id, l.line_no, l.sku, l.quantity"),
                            ("invoices", "invoice_id, type, total, issued_on"),
                            ("purchase_orders", "po_id, ordered_on, received_on")):
            src = "order_lines l JOIN orders o ON o.id = l.order_id" if table == "order_lines" else table
            cur.execute(f"SELECT {cols} FROM {src} ORDER BY 1, 2")
            rows = cur.fetchall()
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    conn.close()
    return out


def test_sample_data_deterministic_and_idempotent(template_db):
    from conftest import create_database, drop_database
    a, b = create_database(template_db), create_database(template_db)
    try:
        load_sample(a)
        first = digest(a)
        load_sample(a)
        assert digest(a) == first  # idempotent
        load_sample(b)
        assert digest(b) == first  # deterministic
        assert first["orders"][0] > 365 and first["invoices"][0] > 50 and first["products"][0] == 24
        conn = pg(a)
        with conn.cursor() as cur:
            cur.execute("SELECT DISTINCT source FROM orders ORDER BY 1")
            assert [r[0] for r in cur.fetchall()] == ["shopify", "unleashed", "whatsapp"]
            cur.execute("SELECT max(placed_at)::date - min(placed_at)::date FROM orders")
            assert cur.fetchone()[0] >= 360
        conn.close()
    finally:
        drop_database(a)
        drop_database(b)


# ---- ./dev run --------------------------------------------------------------------


def connectable(port):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def run_env(local, **extra):
    env = dict(os.environ, SENTIA_LOCAL=local, SENTIA_RUN_BUILD=BUILD, SENTIA_FAKE_PORTS="0",
               SENTIA_WORKERS="1", SENTIA_API_PORT=str(free_port()), SENTIA_REDIS_PORT=str(free_port()),
               SENTIA_PG_PORT=str(free_port()), LOG_LEVEL="warn")
    for k in ("TWILIO_AUTH_TOKEN", "SHOPIFY_ACCESS_TOKEN", "XERO_CLIENT_ID", "UNLEASHED_API_KEY",
              "SHOPIFY_WEBHOOK_SECRET", "XERO_WEBHOOK_KEY", "QUEUE_PREFIX", "DATABASE_URL", "REDIS_URL"):
        env.pop(k, None)
    env.update(extra)
    return env


below_local = pytest.mark.skipif(not TEST_DIR.startswith(os.path.join(ROOT, ".local") + os.sep),
                                 reason="needs ./dev test's directory below .local/")


@below_local
def test_dev_run_answers_a_whatsapp_order():
    local = tempfile.mkdtemp(prefix="devrun-", dir=TEST_DIR)
    os.chmod(local, 0o711)
    env = run_env(local)
    err_path = os.path.join(local, "dev-run.stderr")
    t0 = time.time()
    with open(err_path, "w") as err:
        proc = subprocess.Popen([DEV, "run"], cwd=ROOT, env=env, stdout=err, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        def up():
            if proc.poll() is not None:
                raise AssertionError(f"./dev run exited {proc.returncode}: {open(err_path).read()[-3000:]}")
            return "up; Ctrl-C stops everything" in open(err_path).read()
        wait_until(up, timeout=90, interval=0.2, what="./dev run up")
        banner = open(err_path).read()
        for name in ("twilio", "shopify", "xero", "unleashed"):
            assert f"fake {name} on http://127.0.0.1:" in banner, banner
        assert "./dev send-order" in banner and "./dev queue enqueue sync" in banner and "forecast.run" in banner
        assert "sample data: 24 products" in banner, banner

        cp = subprocess.run([DEV, "send-order", "ORDER 2 MUG-BLU", "--from", "whatsapp:+447700900555"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert "HTTP 200" in cp.stdout and "Thank you! Order" in cp.stdout, cp.stdout
        assert "delivered → 200" in cp.stdout, cp.stdout  # the callback came back to the API

        password = open(os.path.join(local, "pg", "password")).read().strip()
        conn = psycopg2.connect(f"host=127.0.0.1 port={env['SENTIA_PG_PORT']} user=sentia "
                                f"password={password} dbname=sentia")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT o.status, l.sku, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id "
                        "JOIN customers c ON c.id = o.customer_id WHERE c.wa_id = '447700900555'")
            assert cur.fetchall() == [("pending", "MUG-BLU", 2)]

            def delivered():
                cur.execute("SELECT status FROM notifications WHERE to_address = 'whatsapp:+447700900555'")
                return cur.fetchall() == [("delivered",)]
            wait_until(delivered, timeout=15, what="the reply's notification delivered")

            # demo traffic: a newcomer's demo is not refused by WHATSAPP_MAX_PENDING_ORDERS (3)
            cp = subprocess.run([DEV, "demo-traffic", "10"], cwd=ROOT, env=dict(env, SENTIA_DEMO_RATE="10"),
                                capture_output=True, text=True, timeout=60)
            assert cp.returncode == 0, cp.stdout + cp.stderr
            m = re.search(r"^demo traffic: (\d+) webhooks sent \((\d+) WhatsApp orders, .*\): HTTP 200 × \1$",
                          cp.stdout, re.M)
            assert m and int(m.group(2)) >= 30, cp.stdout

            def demo_orders():
                cur.execute("SELECT count(*), count(order_id), count(*) FILTER (WHERE result->'problems' @> "
                            "'[{\"problem\": \"too_many_pending\"}]') FROM whatsapp_messages "
                            "WHERE direction = 'in' AND command = 'order'")
                row = cur.fetchone()
                return row if row[0] == int(m.group(2)) + 1 else None
            handled, placed, limited = wait_until(demo_orders, timeout=30, what="the demo orders handled")
            assert (placed, limited) == (handled, 0), (handled, placed, limited)
        conn.close()

        cp = subprocess.run([DEV, "queue", "--json", "stats"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=30)
        assert cp.returncode == 0 and '"webhooks"' in cp.stdout, cp.stdout + cp.stderr
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # as Ctrl-C would: dev stops what it started
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            raise
    out = open(err_path).read()
    assert "dev: stopped" in out, out[-2000:]
    assert sanitizer_report(out) is None, out[-4000:]
    for k in ("SENTIA_API_PORT", "SENTIA_REDIS_PORT", "SENTIA_PG_PORT"):
        assert not connectable(int(env[k])), k
    assert not os.path.exists(os.path.join(local, "run.env"))
    assert time.time() - t0 < 120


@below_local
def test_real_credentials_start_no_fake():
    """provider_setup: a provider with credentials in the environment gets no
    fake; the others do."""
    local = tempfile.mkdtemp(prefix="devfakes-", dir=TEST_DIR)
    os.chmod(local, 0o711)
    env = run_env(local, SHOPIFY_ACCESS_TOKEN="shpat_real", TWILIO_AUTH_TOKEN="real-token",
                  TWILIO_ACCOUNT_SID="AC" + "1" * 32)
    cp = dev_function(ROOT, 'provider_setup; printf "%s\\n" "${FAKES[@]}"; '
                            'printf "base %s %s\\n" "${TWILIO_API_BASE:-real}" "${SHOPIFY_API_BASE:-real}"; '
                            'for p in "${PIDS[@]}"; do kill "$p"; wait "$p" || true; done', env=env)
    assert cp.returncode == 0, cp.stderr
    started = [line.split()[0] for line in cp.stdout.splitlines() if not line.startswith("base ")]
    assert started == ["xero", "unleashed"], cp.stdout
    assert "base real real" in cp.stdout
