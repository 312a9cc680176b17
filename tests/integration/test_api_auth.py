"""Authentication wired into sentia-api's gate (issue 10 §2, §6; DESIGN.md
§8), real binary: Clerk session tokens signed with python3-jwt against the
fake JWKS (tests/fakes/jwks.py), API keys stored as sentia-admin stores them.
Every refusal of §6 answers 401 with nothing enqueued; the JWKS going down
keeps cached keys working; a rotated key is accepted after one refetch;
a revoked key is refused within the cache TTL; clients leaving while their
authentication waits do not hurt the server (ASan build)."""
import base64
import hashlib
import hmac
import json
import subprocess
import threading
import time

import pytest

from conftest import free_port, pg, wait_until
from dashapi import (PARTY, bearer, check_contract, create_api_key, fake_jwks, jwks,  # noqa: F401
                     ready_total, revoke_api_key, start_dash_api, token)

ME = "/api/v1/me"


@pytest.fixture
def api(services, prefix, database, jwks):
    a = start_dash_api(services, prefix, database, jwks)
    yield a
    a.stop()


def b64(data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**over):
    over.setdefault("azp", PARTY)
    over.setdefault("role", "viewer")
    return fake_jwks.session_claims("https://clerk.sentia.test", **over)


def assert_refused(api, headers, code="unauthenticated", sent=True):
    status, h, body = api.get(ME, headers)
    assert status == 401, (status, body)
    assert h["www-authenticate"] == ('Bearer error="invalid_token"' if sent else "Bearer")
    doc = check_contract("get", ME, 401, body)
    assert doc["error"]["code"] == code
    return doc


def refusal_cases(jwks):
    """(name, headers, code) for every refusal of issue 10 §6 but the key cases."""
    key = jwks.key
    good = token(jwks)
    h, p, s = good.split(".")
    pem = key.public_pem().encode()
    hs_head = b64({"alg": "HS256", "kid": key.kid, "typ": "JWT"})
    hs_body = b64(claims())
    hs_sig = b64(hmac.new(pem, (hs_head + "." + hs_body).encode(), hashlib.sha256).digest())
    now = int(time.time())
    return [
        ("alg none", bearer(b64({"alg": "none", "kid": key.kid}) + "." + b64(claims()) + "."), None),
        ("HS256 with the public key", bearer(hs_head + "." + hs_body + "." + hs_sig), None),
        ("expired", bearer(token(jwks, exp=now - 60, iat=now - 120, nbf=now - 120)), "token_expired"),
        ("nbf in the future", bearer(token(jwks, nbf=now + 60)), None),
        ("iat in the future", bearer(token(jwks, iat=now + 60)), None),
        ("wrong iss", bearer(token(jwks, iss="https://evil.example.com")), None),
        ("azp not allowed", bearer(token(jwks, azp="https://evil.example.com")), None),
        ("cookie without azp", {"Cookie": "__session=" + token(jwks, azp=None)}, None),
        ("9 KiB token", bearer(h + "." + b64(claims(pad="x" * 9 * 1024)) + "." + s), None),
        ("bad base64url", bearer(h + "." + p + "." + s[:-4] + "+/==" ), None),
        ("truncated segments", bearer(h + "." + p), None),
        ("signature of another payload", bearer(h + "." + b64(claims(role="admin")) + "." + s), None),
        ("unknown API key", bearer("sentia_" + "A" * 43), None),
        ("malformed API key", bearer("sentia_short"), None),
    ]


def test_valid_token_and_cookie_and_key(api, jwks, database):
    status, h, body = api.get(ME, bearer(token(jwks, role="operator", sub="user_abc", sid="sess_def")))
    assert status == 200, body
    me = check_contract("get", ME, 200, body)
    assert me["subject"] == "user_abc" and me["session"] == "sess_def"
    assert me["role"] == "operator" and me["auth"] == "clerk" and me["api_key_id"] is None
    assert me["expires_at"].endswith("Z")
    status, _, body = api.get(ME, {"Cookie": "theme=dark; __session=" + token(jwks, role="admin")})
    assert status == 200 and json.loads(body)["auth"] == "clerk", body
    kid, key = create_api_key(database, "manager", "prometheus")
    status, _, body = api.get(ME, bearer(key))
    me = check_contract("get", ME, 200, body)
    assert me == {"subject": f"api_key:{kid}", "session": None, "role": "manager", "auth": "api_key",
                  "api_key_id": kid, "expires_at": None}
    # The scheme is case-insensitive (RFC 7235) for tokens as for the metrics token.
    assert api.get(ME, {"Authorization": "bearer " + token(jwks)})[0] == 200


def test_every_refusal_is_401_and_enqueues_nothing(api, jwks, redis, prefix):
    assert_refused(api, {}, sent=False)
    assert_refused(api, {"Authorization": "Basic dXNlcjpwYXNz"}, sent=False)
    for name, headers, code in refusal_cases(jwks):
        try:
            assert_refused(api, headers, code or "unauthenticated")
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from e
    assert ready_total(redis, prefix) == 0
    # Refusals are logged with their reason, never with the token.
    line = api.service.wait_log(lambda r: r.get("msg") == "authentication refused"
                                and "token_invalid_algorithm" in r.get("reason", ""))
    assert line["route"] == ME
    with open(api.service.log_path) as f:
        logs = f.read()
    for _, headers, _ in refusal_cases(jwks)[:3]:
        assert headers["Authorization"][7:] not in logs


def test_token_without_role_is_403(api, jwks):
    status, _, body = api.get(ME, bearer(token(jwks, role=None)))
    assert status == 403 and check_contract("get", ME, 403, body)["error"]["code"] == "forbidden"


def test_unknown_kid_refetches_once_then_401(api, jwks):
    assert api.get(ME, bearer(token(jwks)))[0] == 200
    time.sleep(1.1)  # past CLERK_JWKS_REFETCH_INTERVAL_MS of the start-up fetch
    before = jwks.requests
    stranger = fake_jwks.SigningKey()
    assert_refused(api, bearer(token(jwks, key=stranger)))
    assert jwks.requests == before + 1
    # Again at once: no second fetch (one per interval), still refused.
    assert_refused(api, bearer(token(jwks, key=stranger)))
    assert jwks.requests == before + 1


def test_kid_of_a_non_rsa_key_is_refused(services, prefix, database, jwks):
    from cryptography.hazmat.primitives.asymmetric import ec
    pub = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    ec_jwk = {"kty": "EC", "crv": "P-256", "kid": "ins_ec_key", "use": "sig", "alg": "ES256",
              "x": b64(pub.x.to_bytes(32, "big")), "y": b64(pub.y.to_bytes(32, "big"))}
    jwks._control("/_fake/set", json.dumps({"keys": [jwks.key.jwk(), ec_jwk]}).encode())
    api = start_dash_api(services, prefix, database, jwks)
    assert api.get(ME, bearer(token(jwks)))[0] == 200
    assert_refused(api, bearer(token(jwks, headers={"kid": "ins_ec_key"})))
    api.stop()


def test_jwks_down_keeps_cached_keys_and_refuses_new_kids(api, jwks):
    assert api.get(ME, bearer(token(jwks)))[0] == 200
    jwks.set_down(True)
    time.sleep(1.1)
    newcomer = fake_jwks.SigningKey()
    jwks.keys.append(newcomer)  # served once the JWKS is up again
    assert api.get(ME, bearer(token(jwks, key=jwks.keys[0])))[0] == 200
    assert_refused(api, bearer(token(jwks, key=newcomer)))
    assert api.get(ME, bearer(token(jwks, key=jwks.keys[0])))[0] == 200
    jwks.set_down(False)
    time.sleep(1.1)
    assert api.get(ME, bearer(token(jwks, key=newcomer)))[0] == 200


def test_key_rotation_accepted_after_one_refetch(api, jwks):
    assert api.get(ME, bearer(token(jwks)))[0] == 200
    time.sleep(1.1)
    before = jwks.requests
    jwks.rotate()
    status, _, body = api.get(ME, bearer(token(jwks)))
    assert status == 200, body
    assert jwks.requests == before + 1
    assert api.get(ME, bearer(token(jwks)))[0] == 200
    assert jwks.requests == before + 1


def test_revoked_api_key_refused_within_the_ttl(api, database):
    kid, key = create_api_key(database, "viewer")
    assert api.get(ME, bearer(key))[0] == 200
    revoke_api_key(database, kid)
    t0 = time.time()
    wait_until(lambda: api.get(ME, bearer(key))[0] == 401, timeout=5, what="revocation")
    assert time.time() - t0 < 2.0  # API_KEY_CACHE_TTL_MS=500, plus a look-up
    assert_refused(api, bearer(key))


def test_api_key_without_database_is_503(services, prefix, jwks):
    api = start_dash_api(services, prefix, None, jwks)
    status, h, body = api.get(ME, bearer("sentia_" + "B" * 43))
    assert status == 503 and h["retry-after"] == "1"
    assert check_contract("get", ME, 503, body)["error"]["code"] == "database_unavailable"
    assert api.get(ME, bearer(token(jwks)))[0] == 200  # Clerk needs no database
    api.stop()


def test_integrations_alias_needs_a_viewer(api, jwks):
    for path in ("/api/integrations/status",):
        status, h, body = api.get(path)
        assert status == 401 and h["www-authenticate"] == "Bearer"
        assert api.get(path, bearer(token(jwks, role=None)))[0] == 403
        assert api.get(path, bearer(token(jwks)))[0] == 200


def _lock_api_keys(database, seconds, started):
    conn = pg(database)
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
        started.set()
        time.sleep(seconds)
    conn.rollback()
    conn.close()


def test_clients_leaving_while_auth_waits(api, database):
    kid, key = create_api_key(database, "viewer")
    started = threading.Event()
    locker = threading.Thread(target=_lock_api_keys, args=(database, 2.0, started))
    locker.start()
    started.wait(5)
    for proto in ("--http1.1", "--http2-prior-knowledge"):
        for _ in range(3):
            subprocess.run(["curl", "-s", proto, "--max-time", "0.2", "-H", "Authorization: Bearer " + key,
                            f"http://127.0.0.1:{api.port}{ME}"], timeout=10)
    locker.join()
    status, _, body = api.get(ME, bearer(key))
    assert status == 200, body
    assert api.get("/health")[0] == 200


def test_auth_slower_than_5s_is_503(services, prefix, database, jwks):
    api = start_dash_api(services, prefix, database, jwks, API_QUERY_TIMEOUT_MS=20000)
    kid, key = create_api_key(database, "viewer")
    started = threading.Event()
    locker = threading.Thread(target=_lock_api_keys, args=(database, 6.5, started))
    locker.start()
    started.wait(5)
    t0 = time.time()
    status, h, body = api.get(ME, bearer(key))
    elapsed = time.time() - t0
    locker.join()
    assert status == 503 and 4.5 < elapsed < 6.5, (status, elapsed)
    assert check_contract("get", ME, 503, body)["error"]["code"] == "auth_unavailable"
    assert api.get(ME, bearer(key))[0] == 200
    api.stop()


def test_clerk_configuration_errors_exit_78(prefix):
    from conftest import base_env, run
    env = base_env(prefix=prefix, PORT=free_port(), CLERK_JWKS_URL="http://127.0.0.1:9/jwks.json",
                   CLERK_ROLE_CLAIM="o..rol")
    cp = run("sentia-api", env=env, timeout=30)
    assert cp.returncode == 78, cp.stderr
    assert "CLERK_ISSUER" in cp.stderr and "CLERK_ROLE_CLAIM" in cp.stderr
