"""A TCP proxy in front of the real server that 'goes down' at the N-th task import:
either before the server sees the request, or after it handled it but before the reply."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from types import TracebackType

IMPORT = re.compile(rb"POST /api/projects/\d+/import")


class FaultProxy:
    """127.0.0.1 proxy to *upstream_port*; dies at import number *fail_on_import*."""

    def __init__(self, upstream_port: int, fail_on_import: int, mode: str) -> None:
        self.upstream, self.fail_on, self.mode = upstream_port, fail_on_import, mode
        self.imports = 0
        self.dead = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.lock = threading.Lock()

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.dead.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self.dead.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            up = socket.create_connection(("127.0.0.1", self.upstream))
            swallow = threading.Event()  # drop_response: the server's reply never arrives
            threading.Thread(target=self._up, args=(client, up, swallow), daemon=True).start()
            threading.Thread(target=self._down, args=(up, client, swallow), daemon=True).start()

    def _die(self, *socks: socket.socket) -> None:
        self.dead.set()
        for s in (*socks, self.sock):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _up(self, client: socket.socket, up: socket.socket, swallow: threading.Event) -> None:
        try:
            while chunk := client.recv(65536):
                with self.lock:
                    self.imports += len(IMPORT.findall(chunk))
                    hit = self.imports >= self.fail_on
                if hit and self.mode == "drop_request":
                    self._die(client, up)
                    return
                if hit:
                    swallow.set()
                up.sendall(chunk)
        except OSError:
            pass

    def _down(self, up: socket.socket, client: socket.socket, swallow: threading.Event) -> None:
        try:
            while chunk := up.recv(65536):
                if swallow.is_set():  # the import was done by the server; the reply is lost
                    self._die(client, up)
                    return
                client.sendall(chunk)
        except OSError:
            pass
