"""Dependencies that misbehave on purpose: a server that never answers, one that is starting up, and
a PostgreSQL of the test's own to freeze and restart."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def silent_listener() -> Iterator[int]:
    """A local TCP port that takes connections (the kernel completes the handshake) and never says
    a word: what a hung database or cache looks like to its clients. Yields the port."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(512)
        yield int(server.getsockname()[1])


@contextmanager
def postgres_starting_up() -> Iterator[int]:
    """A local port that answers every connection as PostgreSQL does while it starts up (or shuts
    down): it declines SSL, reads the startup message, then sends FATAL 57P03 "the database system
    is starting up" and hangs up. Yields the port."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        stop = threading.Event()

        def serve() -> None:
            server.settimeout(0.1)
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                with conn:
                    _refuse(conn)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield int(server.getsockname()[1])
        finally:
            stop.set()
            thread.join(timeout=5)


def _refuse(conn: socket.socket) -> None:
    conn.settimeout(2)
    try:
        while True:
            length = struct.unpack("!i", _read(conn, 4))[0]
            body = _read(conn, length - 4)
            if struct.unpack("!i", body[:4])[0] == 80877103:  # SSLRequest
                conn.sendall(b"N")
                continue
            break
        fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"
        conn.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
    except (OSError, struct.error):
        return


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise OSError("the client hung up")
        data += chunk
    return data


class PostgresCluster:
    """A PostgreSQL server of the test's own (initdb in a temporary directory, its own port), to
    freeze, stop and start at will without touching the shared one. As root, its commands run as
    the postgres user (PostgreSQL refuses to run as root). Use it as a context manager: on the way
    out it is thawed, stopped and deleted, whatever happened."""

    def __init__(self) -> None:
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="bookshop-pg-"))
        self.data = self._dir / "data"
        self._log = self._dir / "server.log"
        self._bin = _postgres_bin()
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self._dir, owner.pw_uid, owner.pw_gid)
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str = "bookshop") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PostgresCluster:
        try:
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"
            )
            self.start()
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "bookshop")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.resume()
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", check=False)
        finally:
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            shutil.rmtree(self._dir, ignore_errors=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self._log), "-o", options, "-w", "start")

    def stop(self, mode: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def freeze(self) -> None:
        """SIGSTOP the server and every one of its processes: it takes connections (the kernel does)
        and answers nothing, on new connections and pooled ones alike."""
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def pids(self) -> list[int]:
        """The postmaster and its children."""
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        subprocess.run(  # noqa: S603 - PostgreSQL's own tools, with our arguments
            [*self._as_owner, str(self._bin / program), *args],
            check=check,
            capture_output=True,
            timeout=120,
        )


def _postgres_bin() -> Path:
    """The newest PostgreSQL's binaries (Debian keeps them out of PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    return Path(initdb).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
