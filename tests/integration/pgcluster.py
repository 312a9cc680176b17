"""A PostgreSQL cluster of one test's own, for tests that stop the server.

The suite's shared cluster (started by ./dev test) must stay up for every
other test; a test that shuts PostgreSQL down — as an operator or a crash
would — gets this one instead: initdb on a free port under a temporary
directory, role and database `sentia`, migrated with sentia-migrate. As root
the server runs as the `postgres` account, as under ./dev. Settings are the
production defaults (fsync on), so what a client sees on `stop()` is what it
would see in production: sessions terminated with SQLSTATE 57P01, then
refused connections until `start()`.
"""
import glob
import os
import shutil
import subprocess
import tempfile

from conftest import base_env, free_port, run


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
