"""sentia-migrate against a real PostgreSQL: applying, recording checksums,
status, refusing changed/missing/stray files, rolling back a failing file,
two replicas migrating at once, and configuration and connection failures.

Tests that need their own migrations copy migrations/ into a temporary folder
and add files there; each works on its own database.
"""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import time

import psycopg2
import pytest

from conftest import ROOT, base_env, binary, free_port, pg, run, sanitizer_report

MIGRATIONS = os.path.join(ROOT, "migrations")


def migration_files():
    return sorted(glob.glob(os.path.join(MIGRATIONS, "*.sql")))


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def version_of(path):
    return int(os.path.basename(path).split("_", 1)[0])


@pytest.fixture
def mdir(tmp_path):
    """A copy of migrations/ that a test may add files to."""
    d = tmp_path / "migrations"
    d.mkdir()
    for f in migration_files():
        shutil.copy(f, d)
    return d


def migrate(dbname, *args, **extra):
    return run("sentia-migrate", *args, env=base_env(dbname=dbname, **extra))


def logs(cp):
    """JSON log lines of a finished run (stdout)."""
    out = []
    for line in cp.stdout.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def recorded(dbname):
    """schema_migrations as {version: (name, checksum)}."""
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        rows = {v: (n, c) for v, n, c in cur.fetchall()}
    conn.close()
    return rows


def table_exists(dbname, name):
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        found = cur.fetchone()[0]
    conn.close()
    return found


def test_up_applies_all_and_records_checksums(empty_database):
    env = base_env(dbname=empty_database)
    del env["REDIS_URL"]  # migrating must not need Redis
    cp = run("sentia-migrate", "up", "--dir", MIGRATIONS, env=env)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    want = {version_of(f): sha256_of(f) for f in migration_files()}
    got = recorded(empty_database)
    assert {v: c for v, (_, c) in got.items()} == want
    assert got[1][0] == "foundation"
    applied = [r["file"] for r in logs(cp) if r.get("msg") == "applied migration"]
    assert applied == [os.path.basename(f) for f in migration_files()]


def test_default_folder_is_found_from_anywhere(empty_database, tmp_path):
    cp = subprocess.run([binary("sentia-migrate"), "up"], env=base_env(dbname=empty_database),
                        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert len(recorded(empty_database)) == len(migration_files())


def test_foundation_schema(database):
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO integrations (provider, account, status) VALUES ('xero', 'acme', 'connected')")
        cur.execute("UPDATE integrations SET updated_at = 'epoch' WHERE provider = 'xero'")
        cur.execute("UPDATE integrations SET status = 'unauthorised' WHERE provider = 'xero'")
        cur.execute("SELECT updated_at > now() - interval '1 minute' FROM integrations")
        assert cur.fetchone()[0], "set_updated_at() did not stamp the row"
        with pytest.raises(psycopg2.errors.CheckViolation):
            cur.execute("INSERT INTO integrations (provider, account, status) VALUES ('x', 'y', 'bogus')")
        cur.execute("INSERT INTO sync_state (source, resource) VALUES ('shopify', 'orders')")
        cur.execute("SELECT rows_seen, cursor FROM sync_state")
        assert cur.fetchone() == (0, None)
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("INSERT INTO sync_state (source, resource) VALUES ('shopify', 'orders')")
    conn.close()


def test_second_up_is_a_no_op(database):
    before = recorded(database)
    cp = migrate(database, "up")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    done = [r for r in logs(cp) if r.get("msg") == "migrations up to date"]
    assert done and done[0]["applied"] == 0
    assert not [r for r in logs(cp) if r.get("msg") == "applying migration"]
    assert recorded(database) == before


def test_status_lists_applied_and_pending(empty_database, mdir):
    assert migrate(empty_database, "up", "--dir", mdir).returncode == 0
    (mdir / "9000_extra_things.sql").write_text("CREATE TABLE extra_things (id int);\n")
    cp = migrate(empty_database, "status", "--dir", mdir)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    lines = cp.stdout.splitlines()
    foundation = next(line for line in lines if "foundation" in line)
    assert foundation.startswith("0001") and foundation.rstrip().endswith("ok")
    extra = next(line for line in lines if "extra_things" in line)
    assert extra.startswith("9000") and extra.rstrip().endswith("pending")

    cp = migrate(empty_database, "status", "--json", "--dir", mdir)
    assert cp.returncode == 0, cp.stderr
    doc = json.loads(cp.stdout)
    states = {m["version"]: m["state"] for m in doc["migrations"]}
    assert states[1] == "applied" and states[9000] == "pending"
    assert doc["pending"] == 1 and doc["applied"] == len(migration_files())
    first = next(m for m in doc["migrations"] if m["version"] == 1)
    assert first["checksum"] == first["recorded_checksum"] == sha256_of(os.path.join(MIGRATIONS, "0001_foundation.sql"))


def test_status_on_an_empty_database_changes_nothing(empty_database):
    cp = migrate(empty_database, "status", "--json", "--dir", MIGRATIONS)
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout)["pending"] == len(migration_files())
    assert not table_exists(empty_database, "schema_migrations")


def test_changed_applied_file_is_refused(empty_database, mdir):
    assert migrate(empty_database, "up", "--dir", mdir).returncode == 0
    with open(mdir / "0001_foundation.sql", "a") as f:
        f.write("\n-- an innocent-looking edit\n")
    (mdir / "9000_after.sql").write_text("CREATE TABLE after_change (id int);\n")
    cp = migrate(empty_database, "up", "--dir", mdir)
    assert cp.returncode == 1
    assert "0001_foundation.sql was changed after it was applied" in cp.stderr
    assert not table_exists(empty_database, "after_change")
    cp = migrate(empty_database, "status", "--dir", mdir)
    assert cp.returncode == 1
    assert next(line for line in cp.stdout.splitlines() if "foundation" in line).rstrip().endswith("CHANGED")


def test_missing_applied_file_is_refused(empty_database, mdir):
    (mdir / "9000_gone.sql").write_text("CREATE TABLE gone (id int);\n")
    assert migrate(empty_database, "up", "--dir", mdir).returncode == 0
    os.remove(mdir / "9000_gone.sql")
    cp = migrate(empty_database, "status", "--dir", mdir)
    assert cp.returncode == 1
    assert "MISSING FILE" in next(line for line in cp.stdout.splitlines() if "gone" in line)
    cp = migrate(empty_database, "up", "--dir", mdir)
    assert cp.returncode == 1
    assert "9000_gone.sql" in cp.stderr and "restore the file" in cp.stderr


def test_pending_below_applied_version_is_refused(empty_database, mdir):
    (mdir / "9000_late.sql").write_text("CREATE TABLE late (id int);\n")
    assert migrate(empty_database, "up", "--dir", mdir).returncode == 0
    (mdir / "8000_early.sql").write_text("CREATE TABLE early (id int);\n")
    cp = migrate(empty_database, "up", "--dir", mdir)
    assert cp.returncode == 1
    assert "8000_early.sql is pending but version 9000 is already applied" in cp.stderr
    assert not table_exists(empty_database, "early")


def test_failing_migration_rolls_back_and_stops(empty_database, mdir):
    (mdir / "9001_bad.sql").write_text(
        "CREATE TABLE half_done (id int);\n"
        "INSERT INTO half_done VALUES (1);\n"
        "SELECT * FROM\n"
        "    no_such_table;\n")
    (mdir / "9002_later.sql").write_text("CREATE TABLE later_table (id int);\n")
    cp = migrate(empty_database, "up", "--dir", mdir)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "9001_bad.sql failed at line 4" in cp.stderr
    assert 'relation "no_such_table" does not exist' in cp.stderr
    assert not table_exists(empty_database, "half_done")
    assert not table_exists(empty_database, "later_table")
    assert sorted(recorded(empty_database)) == sorted(version_of(f) for f in migration_files())


def test_concurrent_up_applies_each_migration_once(empty_database, mdir):
    (mdir / "9001_slow.sql").write_text("CREATE TABLE slow_one (id int);\nSELECT pg_sleep(1);\n")
    (mdir / "9002_after_slow.sql").write_text("CREATE TABLE after_slow (id int);\n")
    env = base_env(dbname=empty_database)
    cmd = [binary("sentia-migrate"), "up", "--dir", str(mdir)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
    applied, waited = [], 0
    for out, err, code in results:
        assert code == 0, out + err
        assert sanitizer_report(err) is None, err
        cp = subprocess.CompletedProcess(cmd, code, out, err)
        applied += [r["version"] for r in logs(cp) if r.get("msg") == "applied migration"]
        waited += any(r.get("msg", "").startswith("waiting for the migration lock") for r in logs(cp))
    want = sorted(version_of(f) for f in migration_files()) + [9001, 9002]
    assert sorted(applied) == want, "every migration applied exactly once across both runs"
    assert waited == 1, "one run waited for the other's lock"
    assert sorted(recorded(empty_database)) == want


def test_bad_database_url_exits_78():
    cp = run("sentia-migrate", "up", env=base_env(DATABASE_URL="localhost:5432/sentia"))
    assert cp.returncode == 78
    assert "DATABASE_URL is not a valid URL" in cp.stderr
    cp = run("sentia-migrate", "status", env=base_env())
    assert cp.returncode == 78
    assert "DATABASE_URL is required" in cp.stderr


def test_unreachable_server_three_attempts_and_no_password():
    port = free_port()
    url = f"postgresql://sentia:hunter2-secret@127.0.0.1:{port}/nowhere_db"
    started = time.monotonic()
    cp = run("sentia-migrate", "up", "--dir", MIGRATIONS, env=base_env(DATABASE_URL=url))
    took = time.monotonic() - started
    assert cp.returncode == 1, cp.stdout + cp.stderr
    attempts = [r for r in logs(cp) if r.get("msg") == "postgres connect failed"]
    assert [r["attempt"] for r in attempts] == [1, 2, 3]
    assert all(r["level"] == "warn" and r["port"] == str(port) for r in attempts)
    assert took >= 1.5, "backoff of 0.5 s then 1 s between the attempts"
    assert f"host=127.0.0.1 port={port} database=nowhere_db" in cp.stderr
    assert "after 3 attempts" in cp.stderr
    assert "hunter2" not in cp.stdout + cp.stderr


def test_stray_sql_file_is_refused(empty_database, mdir):
    (mdir / "foo.sql").write_text("CREATE TABLE foo (id int);\n")
    (mdir / "README.md").write_text("not a migration, ignored\n")
    cp = migrate(empty_database, "up", "--dir", mdir)
    assert cp.returncode == 1
    assert "foo.sql is not a migration file name" in cp.stderr
    assert "README" not in cp.stderr
    assert not table_exists(empty_database, "schema_migrations")


def test_duplicate_versions_are_refused(empty_database, mdir):
    (mdir / "9000_one.sql").write_text("SELECT 1;\n")
    (mdir / "09000_two.sql").write_text("SELECT 2;\n")
    cp = migrate(empty_database, "up", "--dir", mdir)
    assert cp.returncode == 1
    assert "have the same version 9000" in cp.stderr


def test_usage():
    assert run("sentia-migrate").returncode == 2
    assert run("sentia-migrate", "sideways").returncode == 2
    assert run("sentia-migrate", "up", "--json").returncode == 2
    cp = run("sentia-migrate", "--help")
    assert cp.returncode == 0 and "usage: sentia-migrate" in cp.stdout


def test_slow_migration_is_logged_without_changing_the_outcome(empty_database, mdir):
    (mdir / "9001_sleepy.sql").write_text("SELECT pg_sleep(0.2);\n")
    cp = migrate(empty_database, "up", "--dir", mdir, SLOW_QUERY_MS=100)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    slow = [r for r in logs(cp) if r.get("msg") == "slow query" and r["sql"].startswith("SELECT pg_sleep(0.2)")]
    assert len(slow) == 1 and slow[0]["level"] == "warn"
    assert slow[0]["duration_ms"] >= 200 and slow[0]["threshold_ms"] == 100


# ---- migrations/functions/*.sql: re-applied when their bytes change ----------

LAYOUT_FN_V1 = "CREATE OR REPLACE FUNCTION layout_answer() RETURNS integer\n" \
               "    LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;\n"
LAYOUT_FN_V2 = LAYOUT_FN_V1.replace("SELECT 1", "SELECT 2")
LAYOUT_FN_BROKEN = "CREATE OR REPLACE FUNCTION layout_answer() RETURNS integer\n" \
                   "    LANGUAGE plpgsql AS $$ BEGIN RETURN 3 END; $$;\n"


def scalar(dbname, sql):
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute(sql)
        value = cur.fetchone()[0]
    conn.close()
    return value


def function_runs(cp):
    return [r["file"] for r in logs(cp) if r.get("msg") == "applied function file"]


@pytest.fixture
def fdir(mdir):
    """mdir with a functions/ folder holding layout_answer() = 1."""
    (mdir / "functions").mkdir()
    (mdir / "functions" / "layout_answer.sql").write_text(LAYOUT_FN_V1)
    return mdir


def test_function_file_applied_once_and_again_only_when_changed(empty_database, fdir):
    cp = migrate(empty_database, "up", "--dir", fdir)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert function_runs(cp) == ["layout_answer.sql"]
    assert scalar(empty_database, "SELECT layout_answer()") == 1
    cp = migrate(empty_database, "up", "--dir", fdir)
    assert cp.returncode == 0 and function_runs(cp) == [], "an unchanged file never runs again"
    (fdir / "functions" / "layout_answer.sql").write_text(LAYOUT_FN_V2)
    cp = migrate(empty_database, "up", "--dir", fdir)
    assert cp.returncode == 0 and function_runs(cp) == ["layout_answer.sql"]
    assert scalar(empty_database, "SELECT layout_answer()") == 2
    assert migrate(empty_database, "up", "--dir", fdir).returncode == 0
    assert scalar(empty_database, "SELECT checksum FROM schema_functions WHERE name = 'layout_answer'") \
        == hashlib.sha256(LAYOUT_FN_V2.encode()).hexdigest()
    assert sorted(recorded(empty_database)) == sorted(version_of(f) for f in migration_files())


def test_function_that_fails_to_compile_leaves_the_previous_one(empty_database, fdir):
    assert migrate(empty_database, "up", "--dir", fdir).returncode == 0
    (fdir / "functions" / "another_one.sql").write_text(
        "CREATE OR REPLACE FUNCTION layout_other() RETURNS integer LANGUAGE sql AS $$ SELECT 7 $$;\n")
    (fdir / "functions" / "layout_answer.sql").write_text(LAYOUT_FN_BROKEN)
    cp = migrate(empty_database, "up", "--dir", fdir)
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert "layout_answer.sql failed" in cp.stderr and "previous definitions stay" in cp.stderr
    assert scalar(empty_database, "SELECT layout_answer()") == 1
    assert scalar(empty_database, "SELECT to_regprocedure('layout_other()') IS NULL"), \
        "one transaction: the good file of the same run is not applied either"
    cp = migrate(empty_database, "status", "--json", "--dir", fdir)
    states = {f["name"]: f["state"] for f in json.loads(cp.stdout)["functions"]}
    assert states == {"another_one": "pending", "layout_answer": "changed"}


def test_concurrent_up_applies_a_function_once(empty_database, fdir):
    (fdir / "9001_slow.sql").write_text("SELECT pg_sleep(1);\n")
    env = base_env(dbname=empty_database)
    cmd = [binary("sentia-migrate"), "up", "--dir", str(fdir)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    runs = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, out + err
        runs += function_runs(subprocess.CompletedProcess(cmd, 0, out, err))
    assert runs == ["layout_answer.sql"]


def test_status_lists_function_files(empty_database, fdir):
    cp = migrate(empty_database, "status", "--dir", fdir)
    assert cp.returncode == 0, cp.stderr
    line = next(line for line in cp.stdout.splitlines() if line.startswith("layout_answer"))
    assert line.rstrip().endswith("pending")
    assert migrate(empty_database, "up", "--dir", fdir).returncode == 0
    cp = migrate(empty_database, "status", "--dir", fdir)
    line = next(line for line in cp.stdout.splitlines() if line.startswith("layout_answer"))
    assert line.rstrip().endswith("ok")
    doc = json.loads(migrate(empty_database, "status", "--json", "--dir", fdir).stdout)
    assert doc["functions"][0]["state"] == "ok" and doc["functions"][0]["applied_at"]


def test_stray_function_file_name_is_refused(empty_database, fdir):
    (fdir / "functions" / "Bad-Name.sql").write_text("SELECT 1;\n")
    cp = migrate(empty_database, "up", "--dir", fdir)
    assert cp.returncode == 1
    assert "Bad-Name.sql is not a function file name" in cp.stderr
    assert not table_exists(empty_database, "schema_migrations")
