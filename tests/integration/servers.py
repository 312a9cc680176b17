"""Servers a test owns and can take away, for the outage tests.

The suite's shared Redis and PostgreSQL (started by ./dev test) must stay up
for every other test; a test that stops a server gets one of these instead:

- PrivateRedis: a redis-server on a free port, AOF on with every write
  synced, so stop() — a SIGKILL, a crash — loses nothing it acknowledged;
- PrivatePostgres: initdb on a free port, role and database `sentia`,
  migrated; stop() is a fast shutdown (sessions terminated with SQLSTATE
  57P01, then connections refused) as an operator or a failover does;
- TcpProxy: a loopback proxy in front of a server; down() refuses new
  connections and cuts the open ones, as a network partition does.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid

from conftest import TEST_DIR, base_env, free_port, run, wait_until


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
        os.makedirs(self.dir)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--maxmemory-policy", "noeviction", "--enable-debug-command", "local"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ready, what="private redis")

    def _ready(self):
        """PONG: listening and done loading its append-only file."""
        cp = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return cp.stdout.strip() == "PONG"

    def client(self):
        import redis as redis_lib
        return redis_lib.Redis(host="127.0.0.1", port=self.port, decode_responses=True)

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


class PrivatePostgres:
    """One test's PostgreSQL server: start(), stop(), destroy()."""

    def __init__(self):
        # /tmp, not the test directory: as root, postgres must be able to
        # enter every directory on the way to its data.
        self.dir = tempfile.mkdtemp(prefix="sentia-pgtest-", dir="/tmp")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write("postgres\n")
        os.chmod(pwfile, 0o644)
        self._check(_as_postgres([
            _pg_bin("initdb"), "-D", self.data, "-U", "postgres", f"--pwfile={pwfile}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]))
        self.start()
        self._check(_as_postgres([
            _pg_bin("psql"), "-X", "-q", "-h", self.dir, "-p", str(self.port), "-U", "postgres",
            "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-c", "CREATE ROLE sentia LOGIN PASSWORD 'sentia'",
            "-c", "CREATE DATABASE sentia OWNER sentia"]))
        self.url = f"postgresql://sentia:sentia@127.0.0.1:{self.port}/sentia"
        cp = run("sentia-migrate", "up", env=base_env(DATABASE_URL=self.url))
        assert cp.returncode == 0, cp.stdout + cp.stderr

    @staticmethod
    def _check(args):
        cp = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert cp.returncode == 0, f"{' '.join(args)}: {cp.stdout}{cp.stderr}"

    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user=sentia password=sentia dbname=sentia"

    def start(self):
        opts = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir}"
        self._check(_as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-l",
                                  os.path.join(self.dir, "postgres.log"), "-o", opts, "-w", "-t", "60",
                                  "start"]))

    def stop(self):
        """A fast shutdown: open sessions are terminated, their transactions
        rolled back; new connections are refused."""
        self._check(_as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"]))

    def destroy(self):
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w",
                                     "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
