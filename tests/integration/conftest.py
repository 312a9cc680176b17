"""Shared fixtures for integration and end-to-end tests.

`./dev test` starts one throw-away Redis and one PostgreSQL cluster on free
ports and passes them here through SENTIA_TEST_* variables. Each test owns its
keys and its schema, so tests never interfere:

- `prefix`: a fresh QUEUE_PREFIX; every key a test's programs write starts
  with it, and it is deleted afterwards.
- `database`: a fresh database cloned from a template that `sentia-migrate up`
  prepared once per session (the template is also the migration test).
- `service(...)`: starts a real binary of the sanitizer build with an
  environment, captures its JSON log, and on stop checks it exited cleanly and
  that ASan/UBSan reported nothing.
"""
import json
import os
import signal
import socket
import subprocess
import time
import uuid

import psycopg2
import pytest
import redis as redis_lib

ROOT = os.environ.get("SENTIA_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("SENTIA_BUILD", os.path.join(ROOT, "build-asan"))
REDIS_PORT = int(os.environ.get("SENTIA_TEST_REDIS_PORT", "6379"))
PG_PORT = int(os.environ.get("SENTIA_TEST_PG_PORT", "5432"))
TEST_DIR = os.environ.get("SENTIA_TEST_DIR", "/tmp")
# ./dev test gives both servers a new random password per run (docs/SECURITY.md);
# every URL, DSN and client below carries it.
REDIS_PASSWORD = os.environ.get("SENTIA_TEST_REDIS_PASSWORD", "")
PG_PASSWORD = os.environ.get("SENTIA_TEST_PG_PASSWORD", "")
REDIS_URL = f"redis://{':' + REDIS_PASSWORD + '@' if REDIS_PASSWORD else ''}127.0.0.1:{REDIS_PORT}/0"
PG_ADMIN_DSN = f"host=127.0.0.1 port={PG_PORT} user=sentia password={PG_PASSWORD} dbname=sentia"
TEMPLATE_DB = "sentia_template"

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer")


def binary(name):
    """Path of a built program, e.g. binary('sentia-queue')."""
    for sub in ("queue", "api", "worker", "lib", "tests", "."):
        p = os.path.join(BUILD, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(f"{name} not built in {BUILD}")


def git_head():
    """The commit the binaries were built from (what they report), or None
    outside a git checkout."""
    cp = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                        capture_output=True, text=True)
    return cp.stdout.strip() if cp.returncode == 0 else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(dbname, port=PG_PORT):
    """DATABASE_URL of a test database (on the suite's cluster unless `port`)."""
    return f"postgresql://sentia:{PG_PASSWORD}@127.0.0.1:{port}/{dbname}"


def base_env(prefix=None, dbname=None, **extra):
    """The environment a Sentia program needs in tests, plus `extra`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_ENV": "test",
        "LOG_LEVEL": "info",
        "REDIS_URL": REDIS_URL,
        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "detect_leaks=1"),
        "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1"),
        "LSAN_OPTIONS": os.environ.get("LSAN_OPTIONS", ""),
    }
    if prefix:
        env["QUEUE_PREFIX"] = prefix
    if dbname:
        env["DATABASE_URL"] = database_url(dbname)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def sanitizer_report(text):
    """The first sanitizer complaint in `text`, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKERS):
            return line
    return None


def run(name, *args, env=None, input=None, timeout=60, check_sanitizers=True):
    """Runs a program to completion; returns CompletedProcess (text mode)."""
    cp = subprocess.run([binary(name), *map(str, args)], env=env or base_env(), input=input,
                        capture_output=True, text=True, timeout=timeout)
    if check_sanitizers:
        bad = sanitizer_report(cp.stderr)
        assert bad is None, f"{name} {args}: sanitizer: {bad}\n{cp.stderr[-4000:]}"
    return cp


class Service:
    """A long-running Sentia program under test (api, worker)."""

    def __init__(self, name, args, env, tag):
        self.name = name
        self.log_path = os.path.join(TEST_DIR, f"{tag}.{name}.{uuid.uuid4().hex[:6]}.log")
        self.err_path = self.log_path + ".stderr"
        self._log = open(self.log_path, "w")
        self._err = open(self.err_path, "w")
        self.proc = subprocess.Popen([binary(name), *map(str, args)], env=env,
                                     stdout=self._log, stderr=self._err)

    @property
    def pid(self):
        return self.proc.pid

    def logs(self):
        """Parsed JSON log lines written so far (non-JSON lines as {'raw': …})."""
        out = []
        with open(self.log_path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"raw": line})
        return out

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def wait_log(self, predicate, timeout=15):
        """Waits until a log line satisfies predicate(dict); returns it."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for rec in self.logs():
                if predicate(rec):
                    return rec
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}: {self.stderr()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: no matching log line within {timeout}s; last: {self.logs()[-5:]}")

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL: the crash case."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._close()

    def stop(self, timeout=30, expect_code=0):
        """SIGTERM, wait, and check the exit code and sanitizer output."""
        self.signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            self._close()
            raise AssertionError(f"{self.name} did not stop within {timeout}s")
        self._close()
        bad = sanitizer_report(self.stderr())
        assert bad is None, f"{self.name}: sanitizer: {bad}\n{self.stderr()[-4000:]}"
        if expect_code is not None:
            assert code == expect_code, f"{self.name} exited {code}: {self.stderr()[-3000:]}"
        return code

    def _close(self):
        for f in (self._log, self._err):
            if not f.closed:
                f.close()


@pytest.fixture
def services(request):
    """Factory: services('sentia-worker', env=…) → Service; all stopped after the test."""
    started = []

    def start(name, *args, env):
        s = Service(name, args, env, request.node.name[:40])
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait(10)
        s._close()


def redis_client():
    """A client of the test Redis that answers str."""
    return redis_lib.Redis(host="127.0.0.1", port=REDIS_PORT, password=REDIS_PASSWORD or None,
                           decode_responses=True)


def new_prefix():
    return "t" + uuid.uuid4().hex[:10]


def drop_prefix(r, p):
    """Deletes every key of QUEUE_PREFIX p."""
    keys = list(r.scan_iter(match=p + ":*", count=1000))
    if keys:
        r.delete(*keys)


@pytest.fixture
def redis():
    r = redis_client()
    yield r
    r.close()


@pytest.fixture
def prefix(redis):
    """A QUEUE_PREFIX no other test uses; its keys are removed afterwards."""
    p = new_prefix()
    yield p
    drop_prefix(redis, p)


def _admin():
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def template_db():
    """A database migrated once with `sentia-migrate up`; tests clone it."""
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        cur.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    cp = run("sentia-migrate", "up", env=base_env(dbname=TEMPLATE_DB))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    conn.close()
    return TEMPLATE_DB


def create_database(template=None):
    """A new database, a clone of `template` when given; returns its name.
    For fixtures of a wider scope than one test; drop it with drop_database."""
    name = ("t_" if template else "e_") + uuid.uuid4().hex[:12]
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    conn.close()
    return name


def drop_database(name):
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


@pytest.fixture
def database(template_db):
    """A fresh, migrated database for one test; dropped afterwards."""
    name = create_database(template_db)
    yield name
    drop_database(name)


@pytest.fixture
def empty_database():
    """A fresh database with no schema at all."""
    name = create_database()
    yield name
    drop_database(name)


def pg(dbname, port=PG_PORT):
    """An autocommit psycopg2 connection to a test database (of the suite's
    cluster unless `port` names another)."""
    conn = psycopg2.connect(f"host=127.0.0.1 port={port} user=sentia password={PG_PASSWORD} dbname={dbname}")
    conn.autocommit = True
    return conn


def wait_until(predicate, timeout=10, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
