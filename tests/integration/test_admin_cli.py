"""sentia-admin keys create|list|revoke (lib/auth/cli.c) against a migrated
test database: the key is printed once and only its SHA-256 is stored,
--json output, revocation (and revoking twice), audit rows, and the exit
codes 0 ok, 1 not found, 2 usage, 3 database unreachable."""
import hashlib
import json
import os
import re
import subprocess

from conftest import BUILD, base_env, free_port, pg, sanitizer_report

ADMIN = os.path.join(BUILD, "lib", "auth", "sentia-admin")


def admin(*args, dbname=None, url=None):
    env = base_env(dbname=dbname)
    if url:
        env["DATABASE_URL"] = url
    cp = subprocess.run([ADMIN, *args], env=env, capture_output=True, text=True, timeout=60)
    bad = sanitizer_report(cp.stderr)
    assert bad is None, f"sentia-admin {args}: sanitizer: {bad}\n{cp.stderr[-3000:]}"
    return cp


def rows(dbname, sql, *params):
    conn = pg(dbname)
    with conn.cursor() as cur:
        cur.execute(sql, params)
        out = cur.fetchall()
    conn.close()
    return out


def test_create_prints_the_key_once_and_stores_only_its_hash(database):
    cp = admin("keys", "create", "--name", "prometheus", "--role", "operator", dbname=database)
    assert cp.returncode == 0, cp.stderr
    keys = re.findall(r"sentia_[A-Za-z0-9_-]{43}", cp.stdout)
    assert len(keys) == 1
    key = keys[0]
    stored = rows(database, "SELECT name, role, key_hash, created_by, last_used_at, revoked_at FROM api_keys")
    assert len(stored) == 1
    name, role, key_hash, created_by, last_used, revoked = stored[0]
    assert (name, role, last_used, revoked) == ("prometheus", "operator", None, None)
    assert key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert created_by.startswith("cli:")
    # The key text is nowhere in the database.
    dump = json.dumps(rows(database, "SELECT row_to_json(k)::text FROM api_keys k"))
    assert key not in dump and key[7:] not in dump
    listed = admin("keys", "list", dbname=database)
    assert listed.returncode == 0 and "prometheus" in listed.stdout and key not in listed.stdout


def test_json_create_list_revoke_and_audit(database):
    cp = admin("--json", "keys", "create", "--name", "console", "--role", "admin", dbname=database)
    assert cp.returncode == 0, cp.stderr
    made = json.loads(cp.stdout)
    assert made["name"] == "console" and made["role"] == "admin"
    assert re.fullmatch(r"sentia_[A-Za-z0-9_-]{43}", made["key"])
    listed = json.loads(admin("keys", "list", "--json", dbname=database).stdout)["keys"]
    assert [k["id"] for k in listed] == [made["id"]]
    assert "key" not in listed[0] and listed[0]["revoked_at"] is None

    cp = admin("--json", "keys", "revoke", made["id"], dbname=database)
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout) == {"id": made["id"], "found": True, "already_revoked": False}
    again = admin("--json", "keys", "revoke", made["id"], dbname=database)
    assert again.returncode == 0 and json.loads(again.stdout)["already_revoked"] is True
    listed = json.loads(admin("--json", "keys", "list", dbname=database).stdout)["keys"]
    assert listed[0]["revoked_at"] is not None

    audit = rows(database, "SELECT action, target, auth_kind, role, outcome FROM audit_log ORDER BY id")
    target = "api_key:" + made["id"]
    assert audit == [("api_key.create", target, "cli", "admin", "ok"),
                     ("api_key.revoke", target, "cli", "admin", "ok"),
                     ("api_key.revoke", target, "cli", "admin", "already_revoked")]


def test_revoke_unknown_key_is_not_found(database):
    cp = admin("keys", "revoke", "424242", dbname=database)
    assert cp.returncode == 1
    assert "no API key" in cp.stderr
    assert rows(database, "SELECT count(*) FROM audit_log") == [(0,)]


def test_usage_errors_exit_2(database):
    for args in (["keys", "create", "--name", "x", "--role", "root"],
                 ["keys", "create", "--role", "viewer"],
                 ["keys", "create", "--name", "", "--role", "viewer"],
                 ["keys", "create", "--name", "n" * 101, "--role", "viewer"],
                 ["keys", "revoke"], ["keys", "revoke", "abc"], ["keys", "list", "extra"],
                 ["keys", "rotate"], ["users", "list"], [], ["--bogus", "keys", "list"]):
        cp = admin(*args, dbname=database)
        assert cp.returncode == 2, (args, cp.stdout, cp.stderr)
        assert "sentia-admin:" in cp.stderr
    assert rows(database, "SELECT count(*) FROM api_keys") == [(0,)]
    helped = admin("--help")
    assert helped.returncode == 0 and "keys create" in helped.stdout


def test_database_unreachable_exits_3():
    url = f"postgresql://sentia:sentia@127.0.0.1:{free_port()}/sentia"
    cp = admin("keys", "list", url=url)
    assert cp.returncode == 3, cp.stderr
    assert "sentia:sentia" not in cp.stderr  # never the password
    env = base_env()
    env.pop("DATABASE_URL", None)
    cp = subprocess.run([ADMIN, "keys", "list"], env=env, capture_output=True, text=True)
    assert cp.returncode == 2 and "DATABASE_URL" in cp.stderr
