"""A throwaway PostgreSQL server on loopback for tests and benchmarks: initdb + pg_ctl in a temp dir.

Uses the Debian server binaries (`scripts/install_postgres.sh` installs them). The server runs as the
`postgres` system user when we are root, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import getpass
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"
DATABASE = "pipedrive"
PASSWORD = "throwaway"  # dlt's postgres credentials require one; the server only listens on loopback


def server_bin_dir() -> Path | None:
    """The newest installed `/usr/lib/postgresql/<version>/bin` that has initdb, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def dsn(self) -> str:
        """A libpq URL in the form dlt's `destination.postgres.credentials` accepts."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


@contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """Start a fresh cluster (password auth, loopback only, fsync off) and remove it afterwards."""
    bin_dir = server_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found; run scripts/install_postgres.sh")
    workdir = Path(tempfile.mkdtemp(prefix="pipedrive-sync-pg-"))
    data_dir, socket_dir, password_file = workdir / "data", workdir / "sock", workdir / "password"
    socket_dir.mkdir()
    password_file.write_text(PASSWORD)
    is_root = os.geteuid() == 0
    if is_root:
        for path in (workdir, socket_dir, password_file):
            shutil.chown(path, SERVER_USER)
    user = SERVER_USER if is_root else getpass.getuser()
    port = free_port()

    def run(tool: str, *args: str) -> None:
        command = as_server_user([str(bin_dir / tool), *args])
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)

    server_options = f"-h 127.0.0.1 -p {port} -k {socket_dir} -F -c synchronous_commit=off"
    try:
        run("initdb", "-D", str(data_dir), "-U", user, "-E", "UTF8", "-A", "scram-sha-256",
            f"--pwfile={password_file}")  # fmt: skip
        run("pg_ctl", "-D", str(data_dir), "-o", server_options, "-l", str(workdir / "log"), "-w", "start")
        try:
            run("createdb", "-h", str(socket_dir), "-p", str(port), "-U", user, DATABASE)
            yield PostgresServer("127.0.0.1", port, user, PASSWORD, DATABASE)
        finally:
            run("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
