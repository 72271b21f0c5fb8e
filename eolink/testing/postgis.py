"""A throwaway PostgreSQL + PostGIS cluster on 127.0.0.1, for tests and benchmarks.

The cluster lives in a temporary directory, listens on a free loopback port, and
is stopped and deleted when the context ends. PostgreSQL refuses to run as root,
so when eolink runs as root the server runs as the ``postgres`` system user the
Debian package creates. ``make test`` installs the Debian packages
(``postgresql``, ``postgresql-*-postgis-3``) when missing.

>>> with temporary_postgis() as pg:            # doctest: +SKIP
...     import psycopg
...     with psycopg.connect(pg.dsn) as conn:
...         conn.execute("SELECT postgis_version()").fetchone()
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eolink.errors import StoreError

__all__ = ["PostGIS", "temporary_postgis", "postgis_available", "pg_bin_dir"]


@dataclass(frozen=True)
class PostGIS:
    """Connection facts of a running cluster."""

    host: str
    port: int
    user: str
    database: str

    @property
    def dsn(self) -> str:
        """libpq connection string."""
        return f"host={self.host} port={self.port} user={self.user} dbname={self.database}"

    @property
    def url(self) -> str:
        """SQLAlchemy/psycopg URL."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


def pg_bin_dir() -> Path | None:
    """Directory of the newest installed PostgreSQL server binaries (Debian layout), if any."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def postgis_available() -> bool:
    """Whether a PostgreSQL server and the PostGIS extension are installed."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        return False
    version = bin_dir.parent.name
    return bool(glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        raise StoreError("running as root needs `runuser` to start PostgreSQL as the postgres user")
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def temporary_postgis(*, database: str = "eolink", settings: dict[str, str] | None = None) -> Iterator[PostGIS]:
    """Start a fresh cluster with the ``postgis`` extension in ``database``; stop and delete it afterwards."""
    bin_dir = pg_bin_dir()
    if bin_dir is None or not postgis_available():
        raise StoreError("PostgreSQL/PostGIS are not installed (Debian: postgresql postgresql-15-postgis-3; `make test` installs them)")
    root = Path(tempfile.mkdtemp(prefix="eolink-pg-"))
    data = root / "data"
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    port = _free_port()
    options = {"listen_addresses": "'127.0.0.1'", "port": str(port), "unix_socket_directories": f"'{root}'",
               "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "shared_buffers": "'512MB'",
               "work_mem": "'64MB'", "maintenance_work_mem": "'512MB'", "max_parallel_workers_per_gather": "2"}
    options.update(settings or {})
    try:
        subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True, text=True)
        with open(data / "postgresql.conf", "a") as conf:
            for key, value in options.items():
                conf.write(f"{key} = {value}\n")
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "start"]),
                       check=True, capture_output=True, text=True)
        pg = PostGIS("127.0.0.1", port, user, database)
        for sql in (f"CREATE DATABASE {database}",):
            subprocess.run(_as_server_user([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", "postgres", "-c", sql]),
                           check=True, capture_output=True, text=True)
        subprocess.run(_as_server_user([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", database, "-c", "CREATE EXTENSION postgis"]),
                       check=True, capture_output=True, text=True)
        yield pg
    except subprocess.CalledProcessError as err:
        raise StoreError(f"cannot start PostGIS: {err.stderr.strip() or err}") from err
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        deadline = time.monotonic() + 10
        while (data / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(root, ignore_errors=True)
