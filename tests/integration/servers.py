"""Servers a test owns and can take away, for the outage tests.

The suite's shared Redis and PostgreSQL (started by ./dev test) must stay up
for every other test; a test that stops a server gets one of these instead:

- PrivateRedis: a redis-server on a free port, AOF on with every write
  synced, so stop() — a SIGKILL, a crash — loses nothing it acknowledged;
- PrivatePostgres: initdb on a free port, role and database `sentia`,
  migrated; stop() is a fast shutdown (sessions terminated with SQLSTATE
  57P01, then connections refused) as an operator or a failover does;

Both are set up as ./dev sets up the suite's servers (docs/SECURITY.md): run
by an unprivileged account when we are root (`redis`, `postgres`), with the
suite's passwords (requirepass; scram-sha-256 on TCP, peer on the socket),
in a directory of ours whose data subdirectory alone the account owns.
- TcpProxy: a loopback proxy in front of a server; down() refuses new
  connections and cuts the open ones, as a network partition does.
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid

from conftest import PG_PASSWORD, REDIS_PASSWORD, TEST_DIR, base_env, database_url, free_port, run, wait_until


def connectable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateRedis:
    """A redis-server of the test's own: start(), stop() (SIGKILL), close()."""

    def __init__(self):
        self.port = free_port()
        self.dir = os.path.join(TEST_DIR, "redis-" + uuid.uuid4().hex[:8])
        os.makedirs(self.dir, mode=0o711)
        self.data = os.path.join(self.dir, "data")
        _account_dir(self.data, "redis")
        self.url = f"redis://{':' + REDIS_PASSWORD + '@' if REDIS_PASSWORD else ''}127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self):
        # the password on stdin ("-"): a command line is public
        self.proc = subprocess.Popen(
            ["redis-server", "-", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.data,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--maxmemory-policy", "noeviction", "--enable-debug-command", "local"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            **_account_kwargs("redis"))
        self.proc.stdin.write(f"requirepass {REDIS_PASSWORD}\n".encode() if REDIS_PASSWORD else b"")
        self.proc.stdin.close()
        wait_until(self._ready, what="private redis")

    def _ready(self):
        """PONG: listening and done loading its append-only file."""
        cp = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True,
                            env=dict(os.environ, REDISCLI_AUTH=REDIS_PASSWORD))
        return cp.stdout.strip() == "PONG"

    def client(self):
        import redis as redis_lib
        return redis_lib.Redis(host="127.0.0.1", port=self.port, password=REDIS_PASSWORD or None,
                               decode_responses=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        wait_until(lambda: not connectable(self.port), what="private redis down")

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class TcpProxy:
    """127.0.0.1:<port> → a server's port; down() closes the listener and
    every connection, up() listens on the same port again."""

    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self.conns = []
        self.lock = threading.Lock()
        self.listener = None
        self.up()

    def up(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(256)
        self.listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self):
        try:  # wakes the thread blocked in accept(); close() alone would not
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    close = down

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _pg_bin(name):
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(p.split("/")[-2]))
    return os.path.join(versions[-1], name)


def _as_postgres(args):
    """The command, run as the postgres account when we are root."""
    return ["runuser", "-u", "postgres", "--"] + args if os.geteuid() == 0 else args


def _account_kwargs(account):
    """Popen arguments that run a server as `account` when we are root (it
    execs in place: the Popen's pid is the server's)."""
    if os.geteuid() != 0:
        return {}
    return {"user": account, "group": account, "extra_groups": [], "cwd": "/"}


def _account_dir(path, account):
    """A new 0700 directory for the server's files, owned by its account."""
    os.mkdir(path, 0o700)
    if os.geteuid() == 0:
        os.chown(path, pwd.getpwnam(account).pw_uid, pwd.getpwnam(account).pw_gid, follow_symlinks=False)


class PrivatePostgres:
    """One test's PostgreSQL server: start(), stop(), destroy()."""

    def __init__(self):
        # A directory of ours (0711) below the test directory, to which ./dev
        # gave the postgres account traverse permission; data/ and run/ are
        # postgres's.
        self.dir = tempfile.mkdtemp(prefix="pg-", dir=TEST_DIR)
        os.chmod(self.dir, 0o711)
        self.data = os.path.join(self.dir, "data")
        self.run_dir = os.path.join(self.dir, "run")
        _account_dir(self.data, "postgres")
        _account_dir(self.run_dir, "postgres")
        self.port = free_port()
        self.superuser = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self._check(_as_postgres([
            _pg_bin("initdb"), "-D", self.data, "-U", self.superuser, "--auth-local=peer",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]))
        self.start()
        self._check(_as_postgres([
            _pg_bin("psql"), "-X", "-q", "-h", self.run_dir, "-p", str(self.port), "-U", self.superuser,
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", "-"]),
            input=f"CREATE ROLE sentia LOGIN PASSWORD '{PG_PASSWORD}';\n"
                  "CREATE DATABASE sentia OWNER sentia;\n")
        self.url = database_url("sentia", self.port)
        cp = run("sentia-migrate", "up", env=base_env(DATABASE_URL=self.url))
        assert cp.returncode == 0, cp.stdout + cp.stderr

    @staticmethod
    def _check(args, input=None):
        cp = subprocess.run(args, capture_output=True, text=True, timeout=120, input=input, cwd="/")
        assert cp.returncode == 0, f"{' '.join(args)}: {cp.stdout}{cp.stderr}"

    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user=sentia password={PG_PASSWORD} dbname=sentia"

    def start(self):
        opts = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.run_dir}"
        self._check(_as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-l",
                                  os.path.join(self.run_dir, "postgres.log"), "-o", opts, "-w", "-t", "60",
                                  "start"]))

    def stop(self):
        """A fast shutdown: open sessions are terminated, their transactions
        rolled back; new connections are refused."""
        self._check(_as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"]))

    def destroy(self):
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w",
                                     "stop"]), capture_output=True, timeout=60, cwd="/")
        # postgres's own files go as postgres; then only ours are left
        subprocess.run(_as_postgres(["rm", "-rf", "--", self.data, self.run_dir]), capture_output=True,
                       timeout=60, cwd="/")
        shutil.rmtree(self.dir, ignore_errors=True)
