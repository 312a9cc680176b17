"""WhatsApp ordering end to end (issue 4): real sentia-api, real
sentia-worker(s), real Redis and PostgreSQL, the fake Twilio
(tests/fakes/twilio.py) for sending and for the signed status callbacks.

    Twilio (us) ──signed webhook──▶ sentia-api ──▶ Redis {webhooks}
    sentia-worker: whatsapp.inbound ──▶ Postgres (order, lines, allocation)
                                    └─▶ Redis {notify}: notify.whatsapp
    sentia-worker: notify.whatsapp ──▶ fake Twilio ──signed callbacks──▶ sentia-api
    sentia-worker: whatsapp.status ──▶ notification delivered

Proves: one signed inbound ORDER gives the order rows, exactly one message at
Twilio and, through its status callbacks, a delivered notification; a
redelivered webhook changes nothing; bad input gets the right reply and no
partial order; kill -9 of the worker in the middle of 1 000 orders, then a
new worker: every message has exactly one order and exactly one reply;
Postgres stopped for 10 s under load (the server shut down and started
again) and, separately, unreachable for 10 s (a proxy cutting every
connection): every job completes, none dead, none lost; 429 then 201: sent once; a refused number: the notify job is dead
in queue `notify` with Twilio's code and message (sentia-queue peek notify
--state dead) while its inbound job in `webhooks` completed; SIGTERM under
load: exit 0 within the shutdown timeout, nothing lost, nothing that had
finished run again.

These tests need sentia-api and sentia-worker, which other branches build;
without them the module is skipped. Assumed interfaces (DESIGN.md §4–6): the
API reads PORT, REDIS_URL, QUEUE_PREFIX, PUBLIC_BASE_URL and the provider
secrets and answers GET /health; the worker reads WORKER_QUEUES and the
variables of jobs_whatsapp_config_vars and registers in <prefix>:workers.
"""
import concurrent.futures
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import PG_PORT, base_env, binary, database_url, free_port, pg, run, wait_until
from servers import PrivatePostgres, TcpProxy
from whatsapp_support import (AUTH_TOKEN, DEFAULT_CATALOG, WHATSAPP_FROM, FakeTwilio, Queues, fake_module,
                              inbound_payload, seed_catalog, start_worker, worker_env)

try:
    binary("sentia-api")
    binary("sentia-worker")
except FileNotFoundError as e:
    pytest.skip(f"end-to-end WhatsApp tests need the API and the worker runtime: {e}",
                allow_module_level=True)

sign = fake_module().sign
WEBHOOK_PATH = "/api/v1/whatsapp/webhook"
WORKER_QUEUES = "webhooks:32,notify:16"
BAD_NUMBER = "whatsapp:+15005550009"


# ---- the system under test ----------------------------------------------------------


class System:
    """API + worker(s) + fake Twilio for one test."""

    def __init__(self, prefix, database, services, redis, fake, database_url=None, pg_port=PG_PORT,
                 **api_env):
        self.prefix, self.database, self.services, self.redis, self.fake = \
            prefix, database, services, redis, fake
        self.pg_port = pg_port  # where sql() looks: the workers' server
        self.api_port = free_port()
        self.public = f"http://127.0.0.1:{self.api_port}"
        self.database_url = database_url
        self.api = services("sentia-api", env=base_env(
            prefix=prefix, PORT=self.api_port, PUBLIC_BASE_URL=self.public,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN, SHOPIFY_WEBHOOK_SECRET="test-shopify",
            XERO_WEBHOOK_KEY="test-xero", **api_env))
        wait_until(self._api_up, timeout=20, what="sentia-api /health")
        self.workers = []
        self.queues = Queues(redis, prefix)

    def _api_up(self):
        try:
            with urllib.request.urlopen(self.public + "/health", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start_worker(self, **extra):
        # The load tests send up to 20 orders per sender, all left pending: the per-customer
        # limit (tests/integration/test_whatsapp_limits.py) is raised out of their way.
        extra = {"WHATSAPP_MAX_PENDING_ORDERS": 1000, **extra}
        env = worker_env(self.prefix, self.database, self.fake, public_base_url=self.public,
                         WORKER_QUEUES=WORKER_QUEUES, **extra)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        w = start_worker(self.services, env)
        self.workers.append(w)
        return w

    def post_inbound(self, body, sid=None, from_="whatsapp:+447700900001", **extra):
        """Posts a Twilio-signed inbound webhook; returns the MessageSid."""
        p = inbound_payload(body, sid=sid, from_=from_, **extra)
        url = self.public + WEBHOOK_PATH
        req = urllib.request.Request(url, data=urllib.parse.urlencode(p).encode(), method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(AUTH_TOKEN, url, p)})
        for attempt in range(5):
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    assert r.status == 200
                    return p["MessageSid"]
            except urllib.error.HTTPError as e:
                assert e.code == 503, f"webhook refused: {e.code} {e.read()[:300]}"
                time.sleep(0.5)  # Twilio would retry a 503 too
        raise AssertionError("webhook kept failing")

    def post_many(self, bodies, threads=16, senders=50):
        def one(i):
            return self.post_inbound(bodies[i], from_=f"whatsapp:+4477009{i % senders:05d}")
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as ex:
            return list(ex.map(one, range(len(bodies))))

    def sql(self, query, *args):
        conn = pg(self.database, self.pg_port)
        try:
            with conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall()
        finally:
            conn.close()

    def scalar(self, query, *args):
        return self.sql(query, *args)[0][0]

    def dead(self, queue):
        return self.redis.llen(self.queues.key(queue, "dead"))

    def stop(self):
        for w in self.workers:
            if w.proc.poll() is None:
                w.stop(timeout=30)
        self.api.stop(timeout=30)


@pytest.fixture
def fake():
    f = FakeTwilio(callback_delay_ms=20, bad_numbers=[BAD_NUMBER])
    yield f
    f.stop()


@pytest.fixture
def system(prefix, database, services, redis, fake):
    seed_catalog(database, DEFAULT_CATALOG + [("BULK-1", "Bulk item", "1.00", "GBP", True, 1_000_000)])
    s = System(prefix, database, services, redis, fake)
    yield s


def all_sent(system, n):
    return system.scalar("SELECT count(*) FROM notifications WHERE provider_id IS NOT NULL") >= n


def assert_exactly_once(system, sids):
    """Every inbound message: one order, one notification, one message at Twilio."""
    per_sid = dict(system.sql("SELECT external_id, count(*) FROM orders WHERE source = 'whatsapp' "
                              "GROUP BY external_id"))
    assert set(per_sid) == set(sids) and set(per_sid.values()) == {1}
    keys = dict(system.sql("SELECT idempotency_key, provider_id FROM notifications"))
    assert set(keys) == {"reply:" + s for s in sids} and all(keys.values())
    created = system.fake.messages()
    tokens = [m["idempotency_token"] for m in created]
    assert len(created) == len(sids) and len(set(tokens)) == len(tokens)
    assert set(tokens) == set(keys)
    assert {m["sid"] for m in created} == set(keys.values())


# ---- the flow ---------------------------------------------------------------------------


def test_signed_order_to_delivered_notification(system, fake):
    system.start_worker()
    sid = system.post_inbound("ORDER 2 SKU-1, 1 SKU-2")
    wait_until(lambda: system.scalar("SELECT count(*) FROM notifications WHERE status = 'delivered'") == 1,
               timeout=30, what="the reply delivered")
    assert system.sql("SELECT o.number, o.status, o.total::text, o.external_id, c.wa_id FROM orders o "
                      "JOIN customers c ON c.id = o.customer_id") == [(1001, "pending", "28.00", sid, "447700900001")]
    assert system.sql("SELECT sku, quantity, unit_price::text FROM order_lines ORDER BY line_no") == \
        [("SKU-1", 2, "12.50"), ("SKU-2", 1, "3.00")]
    assert system.sql("SELECT sku, allocated FROM inventory WHERE sku IN ('SKU-1', 'SKU-2') ORDER BY sku") == \
        [("SKU-1", 2), ("SKU-2", 1)]
    (msg,) = fake.messages()
    assert msg["to"] == "whatsapp:+447700900001" and msg["from"] == WHATSAPP_FROM
    assert msg["body"].startswith("Thank you! Order 1001 is placed (pending):")
    (req,) = fake.requests()
    assert req["form"]["StatusCallback"] == system.public + "/api/v1/whatsapp/status"
    wait_until(lambda: len(fake.callbacks()) == 3, what="three callbacks")
    assert {c["response_status"] for c in fake.callbacks()} == {200}  # the API verified our signatures
    assert system.sql("SELECT status FROM whatsapp_messages WHERE direction = 'out'") == [("delivered",)]
    # Twilio redelivering the same webhook changes nothing
    system.post_inbound("ORDER 2 SKU-1, 1 SKU-2", sid=sid)
    time.sleep(1)
    assert system.scalar("SELECT count(*) FROM orders") == 1 and len(fake.messages()) == 1
    assert system.dead("webhooks") == 0 and system.dead("notify") == 0
    system.stop()


NOTHING = "Nothing was ordered."
def test_receipt_and_start_are_logged_in_microseconds(prefix, database, services, redis, fake):
    """The debug lines bench/e2e.sh joins: the API's receipt and the worker's
    start of the same job, by request id, on the same clock."""
    seed_catalog(database, DEFAULT_CATALOG)
    system = System(prefix, database, services, redis, fake, LOG_LEVEL="debug")
    worker = system.start_worker(LOG_LEVEL="debug")
    sid = system.post_inbound("ORDER 1 SKU-1")
    wait_until(lambda: system.scalar("SELECT count(*) FROM notifications WHERE status = 'delivered'") == 1,
               timeout=30, what="the reply delivered (its status callbacks are webhooks too)")
    (received,) = [r for r in system.api.logs() if r.get("msg") == "webhook enqueued"
                   and r.get("type") == "whatsapp.inbound"]  # status callbacks come too
    assert received["request_id"]
    (started,) = [r for r in worker.logs() if r.get("msg") == "job started"
                  and r.get("job_id") == received["job_id"]]
    assert started["request_id"] == received["request_id"]
    assert 0 <= started["started_us"] - received["received_us"] < 5_000_000
    reply = [r for r in worker.logs() if r.get("msg") == "job started" and r.get("type") == "notify.whatsapp"]
    assert [r["request_id"] for r in reply] == [received["request_id"]]  # the reply job carries it on
    assert system.scalar("SELECT external_id FROM orders") == sid
    system.stop()


BAD = [  # (body, texts the reply must contain); every valid item next to a bad one stays unordered
    ("ORDER 2 SKU-404", ["- SKU-404: no such product", NOTHING]),
    ("ORDER 2 SKU-1, 1 SKU-404", ["- SKU-404: no such product", NOTHING]),
    ("ORDER 0 SKU-1", ["- SKU-1: quantity 0 is not allowed", NOTHING]),
    ("ORDER 99999999999 SKU-1", ["- SKU-1: quantity 99999999999 is not allowed", NOTHING]),
    ("ORDER 10001 SKU-1, 1 SKU-2", ["- SKU-1: quantity 10001 is not allowed", NOTHING]),
    ("ORDER -2 SKU-1", ["- SKU-1: quantity -2 is not allowed", NOTHING]),
    ("", ["Your message was empty."]),
    ("x" * 5000, ["Sorry, I did not understand that."]),
    ("ORDER 1 " + "Z" * 4992, ["not an item", NOTHING]),
    ("ORDER " + ", ".join(f"1 SKU-{i}" for i in range(600)), ["- too many items: at most 50 per order"]),
    ("\U0001F600\U0001F355 hola, ¿qué tal? 你好", ["Sorry, I did not understand that."]),
    ("Заказ 2 SKU-1", ["Sorry, I did not understand that."]),
    ("ORDER 1 SKU-1, 2 商品-1", ["- \"2 商品-1\": not an item", NOTHING]),
    ("ORDER 1 SKU-1 \U0001F600, 1 SKU-3 \U0001F355", ["- SKU-3: no longer sold", NOTHING]),
    ("ORDER 1 SKU-1'; DROP TABLE orders;--", ["- \"1 SKU-1'\": not an item", NOTHING]),
    ("ORDER 1 SKU-1 UNION SELECT * FROM customers", ["not an item", NOTHING]),
    ("'; DELETE FROM orders; --", ["Sorry, I did not understand that."]),
]


def test_bad_input_gets_the_right_reply_and_no_order(system, fake):
    system.start_worker()
    sids = {system.post_inbound(body): expected for body, expected in BAD}
    wait_until(lambda: all_sent(system, len(BAD)), timeout=60, what="every reply sent")
    replies = {m["idempotency_token"][len("reply:"):]: m["body"] for m in fake.messages()}
    assert len(replies) == len(BAD)
    for sid, expected in sids.items():
        for text in expected:
            assert text in replies[sid], (text, replies[sid])
        assert len(replies[sid].encode("utf-16-le")) // 2 <= 1600
    assert system.scalar("SELECT count(*) FROM orders") == 0
    assert system.scalar("SELECT sum(allocated) FROM inventory") == 0
    assert system.dead("webhooks") == 0 and system.dead("notify") == 0
    system.stop()


def held(system, worker):
    """Jobs in a worker's active lists, per queue."""
    return {q: system.redis.llen(system.queues.key(q, "active:" + worker.worker_id))
            for q in ("webhooks", "notify")}


def test_kill_9_in_the_middle_of_1000_orders(system, fake):
    lease = {"WORKER_LEASE_MS": 2000}  # the crashed worker's jobs come back after 2 s
    first = system.start_worker(**lease)
    bodies = [f"ORDER {1 + i % 3} BULK-1" for i in range(1000)]
    poster = concurrent.futures.ThreadPoolExecutor(max_workers=1).submit(system.post_many, bodies)
    wait_until(lambda: system.scalar("SELECT count(*) FROM orders") >= 150, timeout=120,
               what="150 orders before the crash")
    wait_until(lambda: sum(held(system, first).values()) > 0, interval=0.001, what="jobs in flight")
    first.kill()
    lost = held(system, first)  # what the crash left in its active lists
    assert sum(lost.values()) > 0, "the worker was killed with nothing in flight"
    second = system.start_worker(**lease)
    sids = poster.result(timeout=300)
    wait_until(lambda: all_sent(system, 1000), timeout=240, interval=0.5, what="1000 replies sent")
    assert_exactly_once(system, sids)
    assert {q: system.queues.stats(q).get("recovered", 0) for q in lost} == lost
    assert any(r.get("msg") == "recovered the jobs of a worker whose heartbeat stopped"
               for r in second.logs())
    expected = sum(1 + i % 3 for i in range(1000))
    assert system.scalar("SELECT allocated FROM inventory WHERE sku = 'BULK-1'") == expected
    assert system.dead("webhooks") == 0 and system.dead("notify") == 0
    system.stop()


BULK_CATALOG = DEFAULT_CATALOG + [("BULK-1", "Bulk item", "1.00", "GBP", True, 1_000_000)]


def orders_survive_outage(system, take_down, bring_up):
    """300 orders posted while Postgres goes away for 10 s (take_down() once
    50 are placed, bring_up() 10 s later): every order and reply exactly
    once, none dead, and no job spent an attempt on the outage."""
    system.start_worker()
    bodies = ["ORDER 1 BULK-1"] * 300
    poster = concurrent.futures.ThreadPoolExecutor(max_workers=1).submit(system.post_many, bodies)
    wait_until(lambda: system.scalar("SELECT count(*) FROM orders") >= 50, timeout=60, what="50 orders")
    take_down()
    time.sleep(10)
    bring_up()
    sids = poster.result(timeout=120)
    wait_until(lambda: all_sent(system, 300), timeout=240, interval=0.5, what="300 replies sent")
    assert_exactly_once(system, sids)
    assert system.dead("webhooks") == 0 and system.dead("notify") == 0
    # the outage did reach running jobs, and none of them spent an attempt on it
    msgs = [r.get("msg") for r in system.workers[0].logs()]
    assert "postgres down" in msgs and "postgres up" in msgs
    assert system.queues.stats("webhooks")["deferred"] > 0
    assert system.queues.stats("webhooks").get("retried", 0) == 0
    assert system.queues.stats("notify").get("retried", 0) == 0
    assert system.scalar("SELECT allocated FROM inventory WHERE sku = 'BULK-1'") == 300
    system.stop()


def test_postgres_unreachable_for_10s_under_load(prefix, database, services, redis, fake):
    """Every connection cut and new ones refused (a partition)."""
    seed_catalog(database, BULK_CATALOG)
    proxy = TcpProxy(PG_PORT)
    system = System(prefix, database, services, redis, fake,
                    database_url=database_url(database, proxy.port))
    orders_survive_outage(system, proxy.down, proxy.up)


@pytest.fixture
def private_postgres():
    cluster = PrivatePostgres()
    yield cluster
    cluster.destroy()


def test_postgres_stopped_for_10s_under_load(prefix, services, redis, fake, private_postgres):
    """The server itself shut down (pg_ctl stop -m fast: running
    transactions terminated with 57P01, then connections refused) and
    started again."""
    cluster = private_postgres
    seed_catalog("sentia", BULK_CATALOG, port=cluster.port)
    system = System(prefix, "sentia", services, redis, fake, database_url=cluster.url,
                    pg_port=cluster.port)
    orders_survive_outage(system, cluster.stop, cluster.start)


def test_429_then_201_is_sent_once(system, fake):
    fake.script(faults=[{"status": 429, "retry_after": "1"}, {"status": 429}])
    system.start_worker()
    sid = system.post_inbound("ORDER 1 SKU-1")
    wait_until(lambda: all_sent(system, 1), timeout=60, what="the reply sent")
    assert [r["status"] for r in fake.requests()] == [429, 429, 201]
    assert len(fake.messages()) == 1
    assert system.sql("SELECT attempts FROM notifications") == [(3,)]
    assert_exactly_once(system, [sid])
    system.stop()


def test_refused_number_is_dead_with_twilios_reason(system, fake):
    system.start_worker()
    sid = system.post_inbound("ORDER 1 SKU-1", from_=BAD_NUMBER)
    wait_until(lambda: system.dead("notify") == 1, timeout=30, what="the notify job dead")
    (job,) = system.queues.peek_dead("notify")
    env = job["envelope"]
    assert env["type"] == "notify.whatsapp" and env["dedup_key"] == "reply:" + sid
    assert env["last_error"] == f"twilio 21211: The 'To' number {BAD_NUMBER} is not a valid phone number."
    assert system.queues.peek_dead("webhooks") == []  # the inbound job did its work: the order exists
    assert system.scalar("SELECT count(*) FROM orders") == 1
    assert system.sql("SELECT status, error_code FROM notifications") == [("failed", 21211)]
    cp = run("sentia-queue", "peek", "notify", "--state", "dead", env=base_env(prefix=system.prefix))
    assert "notify.whatsapp" in cp.stdout and "twilio 21211" in cp.stdout
    assert fake.messages() == []
    system.stop()


def test_sigterm_under_load(system, fake):
    first = system.start_worker()
    bodies = ["ORDER 1 BULK-1"] * 500
    poster = concurrent.futures.ThreadPoolExecutor(max_workers=1).submit(system.post_many, bodies)
    wait_until(lambda: system.scalar("SELECT count(*) FROM orders") >= 100, timeout=60, what="100 orders")
    t = time.time()
    assert first.stop(timeout=30, expect_code=0) == 0
    assert time.time() - t < 30
    system.start_worker()
    sids = poster.result(timeout=120)
    wait_until(lambda: all_sent(system, 500), timeout=180, interval=0.5, what="500 replies sent")
    assert_exactly_once(system, sids)
    handled = [r for w in system.workers for r in w.logs() if r.get("msg") == "whatsapp message handled"]
    assert not [r for r in handled if r.get("replay")], "a finished inbound job ran again"
    assert not [r for r in fake.requests() if r["replayed"]], "a finished notify job sent again"
    # every job ran exactly once: none finished twice, none was abandoned and run again
    assert system.queues.count("webhooks", "whatsapp.inbound") == 500
    assert system.queues.count("notify", "notify.whatsapp") == 500
    assert system.dead("webhooks") == 0 and system.dead("notify") == 0
    system.stop()
