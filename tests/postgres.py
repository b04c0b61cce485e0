"""A throwaway PostgreSQL server from Debian's binaries: initdb in a temporary folder, loopback only, a free port."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import free_port

# initdb and postgres refuse to run as root; as root they run as Debian's `postgres` account.
SERVER_ACCOUNT = "postgres"


def binaries() -> Path | None:
    """Debian's /usr/lib/postgresql/<version>/bin, the newest installed; None when PostgreSQL is not installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class PostgresServer:
    """`initdb` + `pg_ctl start` on 127.0.0.1; trust authentication for the superuser `worldsmith`."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port = free_port()
        # Not under pytest's tmp_path: the server account must be able to reach the folder.
        self.root = Path(tempfile.mkdtemp(prefix="worldsmith-pg-"))
        self.data = self.root / "data"
        self.names = itertools.count()
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_ACCOUNT)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)

    def start(self) -> "PostgresServer":
        self._run("initdb", "-D", str(self.data), "-U", "worldsmith", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.resume()
        return self

    def resume(self) -> None:
        """Start the server on its folder and port (again, after `halt`)."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def halt(self) -> None:
        """Stop the server at once, as a crash would, keeping its files."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://worldsmith@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"worldsmith_{next(self.names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self.halt()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the test session (import this fixture into a conftest to use it)."""
    bin_dir = binaries()
    if bin_dir is None:
        message = "PostgreSQL is not installed (`make postgresql` installs it)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()
