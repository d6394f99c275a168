"""AWS: MiniStack, run from its own virtual environment (``.tools/ministack``), on 127.0.0.1.

MiniStack pins botocore and runs Lambdas on its own interpreter, so it never shares the project's
environment. Options: IAM enforcement (``AUTH=true``) and persistence (``PERSIST_STATE`` +
``S3_PERSIST`` under the state directory). Its IoT mTLS listener (a second port, 8883) is off.

Example:
    launch = ministack.launch(4566, run_dir, iam=True)
    ...                                       # ManagedProcess.spawn(launch, run_dir)
    ministack.health("http://127.0.0.1:4566")  # True once it answers
    ministack.reset("http://127.0.0.1:4566")   # every service's state wiped, no restart
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import requests

from hybridstack.emulators import aurora, tools
from hybridstack.emulators.endpoints import DEFAULT_REGION
from hybridstack.emulators.ports import LOOPBACK
from hybridstack.emulators.process import Launch

NAME = "aws"
TIMEOUT = 5.0


def address(port: int) -> str:
    """The endpoint URL clients use (``AWS_ENDPOINT_URL``)."""
    return f"http://{LOOPBACK}:{port}"


def launch(
    port: int,
    run_dir: Path,
    *,
    iam: bool = False,
    persist_dir: Path | None = None,
    region: str = DEFAULT_REGION,
    extra_env: Mapping[str, str] | None = None,
) -> Launch:
    """How to run MiniStack on ``127.0.0.1:port``; ``persist_dir`` keeps state across restarts;
    ``extra_env`` adds settings (Aurora's Docker settings, :mod:`hybridstack.emulators.aurora`)."""
    python = tools.ministack_python()
    tmp = run_dir / "aws-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "BIND_HOST": LOOPBACK,
        "GATEWAY_PORT": str(port),
        "IOT_MTLS_ENABLED": "0",
        "SFTP_ENABLED": "0",
        "AUTH": "true" if iam else "false",
        "MINISTACK_REGION": region,
        "TMPDIR": str(tmp),  # MiniStack's own pid file and Lambda scratch space stay in the run
        "STATE_DIR": str((persist_dir or tmp) / "state"),
        "S3_DATA_DIR": str((persist_dir or tmp) / "s3"),
        "PERSIST_STATE": "1" if persist_dir else "0",
        "S3_PERSIST": "1" if persist_dir else "0",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    address_ = address(port)
    return Launch(
        name=NAME,
        argv=[str(python), "-m", "ministack"],
        env=env,
        # A shell's endpoint settings (e.g. from `hybridstack local env` of another run) must
        # not reach MiniStack: its Lambda workers inherit its environment, and MiniStack points
        # them at itself only when AWS_ENDPOINT_URL is absent.
        env_remove_prefixes=("AWS_ENDPOINT_URL", "AWS_PROFILE", "LOCALSTACK_HOST", "EDGE_PORT"),
        cwd=tmp,
        ready=lambda: ready(address_),
        start_timeout=60.0,
    )


def ready(address: str) -> bool:
    """MiniStack answers and its start-up scripts have run (``/_ministack/ready``)."""
    response = requests.get(f"{address}/_ministack/ready", timeout=TIMEOUT)
    return response.status_code == 200


def health(address: str) -> bool:
    """Whether MiniStack answers its health request."""
    try:
        response = requests.get(f"{address}/_ministack/health", timeout=TIMEOUT)
    except requests.RequestException:
        return False
    return response.status_code == 200 and "services" in response.json()


def reset(address: str, project_id: str | None = None) -> None:
    """Wipe every AWS service's state without restarting (``POST /_ministack/reset``)."""
    del project_id  # one account, no projects
    # the reset removes the clusters' containers, not their data
    with aurora.databases_removed_after(port_of(address), running=True, keep_data=False):
        response = requests.post(f"{address}/_ministack/reset", timeout=30)
        response.raise_for_status()


def port_of(address: str) -> int:
    """The gateway port of a MiniStack address (``http://127.0.0.1:4566`` -> 4566)."""
    return int(address.rstrip("/").rsplit(":", 1)[1])
