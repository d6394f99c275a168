"""Whether a Docker engine answers here, and why not when it doesn't: one check for everything
that needs Docker (the containers backend, the local Aurora's database containers).

Example:
    client, reason = docker_client()     # (DockerClient, None) or (None, "no Docker engine ...")
    docker_unavailable_reason()          # None where Docker runs
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from hybridstack.locations import tools_dir


def setup_note() -> Path:
    """What scripts/setup.d/40-docker.sh writes when it could not start Docker."""
    return tools_dir() / "docker" / "unavailable"


def _setup_note() -> str:
    with contextlib.suppress(OSError):
        return "set-up said: " + setup_note().read_text().strip()
    return "run scripts/setup as root to install and start Debian's docker.io"


def docker_client(timeout: int = 10) -> tuple[Any | None, str | None]:
    """(a client that answered a ping, None), or (None, why no Docker engine can be used)."""
    import docker

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as error:  # docker raises many kinds (DockerException, requests, OSError)
        where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        return None, (
            f"no Docker engine answers at {where} ({type(error).__name__}: {error}); "
            + _setup_note()
        )
    return client, None


def docker_unavailable_reason() -> str | None:
    """Why Docker can't be used here, or ``None`` when an engine answers."""
    client, reason = docker_client()
    if client is not None:
        client.close()
    return reason
