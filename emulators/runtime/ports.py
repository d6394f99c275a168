"""Ports on 127.0.0.1 for the local cloud: a free one, or the one asked for when it is free.

Every emulator listens on the loopback interface only. A port that is asked for but taken is not
an error: the emulator gets another free port and the endpoints say which.

Example:
    port = choose_port(8080)  # 8080 when free, else any free port
    assert port_is_free(free_port())
"""

from __future__ import annotations

import socket
import threading

LOOPBACK = "127.0.0.1"

_handed_out: set[int] = set()
_lock = threading.Lock()


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether nothing listens on ``host:port`` and we can bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = LOOPBACK) -> int:
    """A port the kernel says is free on ``host``, never one this process handed out before."""
    with _lock:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((host, 0))
                port = int(sock.getsockname()[1])
            if port not in _handed_out:
                _handed_out.add(port)
                return port


def choose_port(preferred: int | None = None, host: str = LOOPBACK) -> int:
    """``preferred`` when it is free, otherwise another free port on ``host``."""
    if preferred:
        with _lock:
            taken_here = preferred in _handed_out
        if not taken_here and port_is_free(preferred, host):
            with _lock:
                _handed_out.add(preferred)
            return preferred
    return free_port(host)


def release_port(port: int) -> None:
    """Let :func:`choose_port` hand ``port`` out again (after its emulator stopped)."""
    with _lock:
        _handed_out.discard(port)
