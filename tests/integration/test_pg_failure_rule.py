"""The Postgres failure rule in every job family (worker/kit/pg_outcome.c),
through the real sentia-worker: the SQL function a family calls is replaced
by one that raises a chosen SQLSTATE, a job of the family is enqueued, and
the job must end where the rule says — a data error (class 22 or 23) in
`dead` after one run, with its SQLSTATE and message; a serialization
failure (40001) or a deadlock (40P01) in `delayed`, retried. sys.db_ping
(SELECT 1 only) is covered by tests/worker/kit/test_pg_outcome.c, which
runs the rule itself against Postgres.
"""
import json
import types

import pytest

from conftest import pg
from sync_support import provider_env
from whatsapp_support import Queues, envelope, new_sid, start_worker, worker_env

# family → (queue, job type, payload, the SQL function its first statement calls)
FAMILIES = {
    "whatsapp": ("webhooks", "whatsapp.status",
                 {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"},
                 "whatsapp_message_status"),
    "notify": ("notify", "notify.whatsapp",
               {"to": "whatsapp:+447700900123", "body": "hello", "idempotency_key": "rule:1",
                "in_reply_to": "1"}, "notification_claim"),
    "planning": ("forecast", "working_capital.compute", {}, "working_capital_compute"),
    "shopify": ("sync", "shopify.sync_orders", {}, "sync_begin"),
    "xero": ("sync", "xero.sync_contacts", {}, "sync_begin"),
    "unleashed": ("sync", "unleashed.sync_stock", {}, "sync_begin"),
}
NOWHERE = types.SimpleNamespace(url="http://127.0.0.1:9")  # never reached: SQL fails first


def envelope_id(text):
    return json.loads(text)["id"]


def break_function(database, name, sqlstate):
    """Replaces every overload of `name` with one that raises `sqlstate`."""
    conn = pg(database)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_get_function_arguments(oid), pg_get_function_result(oid) "
                    "FROM pg_proc WHERE proname = %s", (name,))
        for args, result in cur.fetchall():
            cur.execute(f"CREATE OR REPLACE FUNCTION {name}({args}) RETURNS {result} "
                        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'rule test {sqlstate}' "
                        f"USING ERRCODE = '{sqlstate}'; END $$")
    conn.commit()
    conn.close()


@pytest.fixture
def rule_worker(services, prefix, database):
    env = worker_env(prefix, database, WORKER_QUEUES="webhooks:2,notify:2,sync:2,forecast:1",
                     TWILIO_API_BASE=NOWHERE.url + "/2010-04-01",
                     **provider_env(shopify=NOWHERE, xero=NOWHERE, unleashed=NOWHERE))
    return lambda: start_worker(services, env)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("sqlstate", ["23514", "22003"])
def test_a_data_error_is_dead_at_once(family, sqlstate, rule_worker, redis, prefix, database):
    queue, type_, payload, function = FAMILIES[family]
    break_function(database, function, sqlstate)
    rule_worker()
    q = Queues(redis, prefix)
    env = envelope(queue, type_, payload)
    assert q.enqueue(env)
    job = q.wait_job(queue, "dead", envelope_id(env))
    assert job["attempt"] == 1, "one run, no retry"
    assert f"SQLSTATE {sqlstate}" in job["last_error"] and f"rule test {sqlstate}" in job["last_error"]
    assert q.stats(queue).get("retried", 0) == 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failure_and_deadlock_are_retried(family, sqlstate, rule_worker, redis, prefix,
                                                         database):
    queue, type_, payload, function = FAMILIES[family]
    break_function(database, function, sqlstate)
    rule_worker()
    q = Queues(redis, prefix)
    env = envelope(queue, type_, payload, backoff_ms=600_000)
    assert q.enqueue(env)
    job = q.wait_job(queue, "delayed", envelope_id(env))
    assert job["attempt"] == 1 and f"rule test {sqlstate}" in job["last_error"]
    assert "refused by the database" not in job["last_error"]
    assert q.stats(queue).get("dead", 0) == 0
