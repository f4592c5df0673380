"""Dependencies that misbehave on purpose: a server that never answers, one that is starting up."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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
