"""AWS: MiniStack, run from its own virtual environment (``.tools/ministack``), on 127.0.0.1.

MiniStack pins botocore and runs Lambdas on its own interpreter, so it never shares the project's
environment. Options: IAM enforcement (``AUTH=true``) and persistence (``PERSIST_STATE`` +
``S3_PERSIST`` under the state directory). Its IoT mTLS listener (a second port, 8883) is off.

It runs through ``emulators/runtime/aws/ministack_patches.py`` (what MiniStack's Lambda service
lacks:
queueing, a bound on live workers, removal of their folders, JWT ``exp`` required). Lambda
concurrency, sized for the machine:

- ``HYBRIDSTACK_LAMBDA_CONCURRENCY``: executions in flight at once, all functions together (the
  account limit, MiniStack's ``LAMBDA_ACCOUNT_CONCURRENCY``; live workers are at most twice
  it); default 2 per CPU. A function's reserved concurrency bounds it further.
- ``HYBRIDSTACK_LAMBDA_QUEUE_SECONDS``: how long a synchronous invocation past a limit waits for
  a slot before it is throttled (``TooManyRequestsException``, HTTP 429); default 30, the longest
  an HTTP API waits for its integration on AWS, so a request that waited longer would fail there.

Example:
    launch = ministack.launch(4566, run_dir, iam=True)
    ...                                       # ManagedProcess.spawn(launch, run_dir)
    ministack.health("http://127.0.0.1:4566")  # True once it answers
    ministack.reset("http://127.0.0.1:4566")   # every service's state wiped, no restart
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import psutil
import requests

from hybridstack.emulators.runtime import aurora, tools
from hybridstack.emulators.runtime.aws import ministack_patches
from hybridstack.emulators.runtime.endpoints import DEFAULT_REGION
from hybridstack.emulators.runtime.ports import LOOPBACK
from hybridstack.emulators.runtime.process import Launch

NAME = "aws"
TIMEOUT = 5.0
PATCHED_ENTRY_POINT = Path(__file__).resolve().parent / "aws" / "ministack_patches.py"
CONCURRENCY_ENV = "HYBRIDSTACK_LAMBDA_CONCURRENCY"
QUEUE_SECONDS_ENV = "HYBRIDSTACK_LAMBDA_QUEUE_SECONDS"
CONCURRENCY_PER_CPU = 2
DEFAULT_QUEUE_SECONDS = 30.0
WORKER_FOLDER_PREFIX = ministack_patches.SCRATCH_PREFIX  # MiniStack's name for a worker's folder


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
    ``extra_env`` adds settings (Aurora's Docker settings,
    :mod:`hybridstack.emulators.runtime.aurora`)."""
    python = tools.ministack_python()
    tmp = run_dir / "aws-tmp"  # see worker_folders
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
        "LAMBDA_ACCOUNT_CONCURRENCY": str(lambda_concurrency()),
        QUEUE_SECONDS_ENV: str(queue_seconds()),
        **(extra_env or {}),
    }
    address_ = address(port)
    return Launch(
        name=NAME,
        argv=[str(python), str(PATCHED_ENTRY_POINT)],
        env=env,
        # A shell's endpoint settings (e.g. from `hybridstack local env` of another run) must
        # not reach MiniStack: its Lambda workers inherit its environment, and MiniStack points
        # them at itself only when AWS_ENDPOINT_URL is absent.
        env_remove_prefixes=("AWS_ENDPOINT_URL", "AWS_PROFILE", "LOCALSTACK_HOST", "EDGE_PORT"),
        cwd=tmp,
        ready=lambda: ready(address_),
        start_timeout=60.0,
    )


def lambda_concurrency() -> int:
    """The account limit on Lambda executions at once (``HYBRIDSTACK_LAMBDA_CONCURRENCY``)."""
    raw = os.environ.get(CONCURRENCY_ENV)
    if raw is None or not raw.strip():
        return CONCURRENCY_PER_CPU * (os.cpu_count() or 1)
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{CONCURRENCY_ENV} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def queue_seconds() -> float:
    """How long an invocation past a limit waits (``HYBRIDSTACK_LAMBDA_QUEUE_SECONDS``)."""
    raw = os.environ.get(QUEUE_SECONDS_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_QUEUE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 900:  # a Lambda function's longest timeout
        raise ValueError(f"{QUEUE_SECONDS_ENV} must be seconds from 0 to 900, not {raw!r}")
    return seconds


def check_tools() -> None:
    """Locate MiniStack's interpreter (a missing one raises, naming its installer)."""
    tools.ministack_python()


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


def lambda_workers(ministack_pid: int) -> list[psutil.Process]:
    """MiniStack's running Lambda worker processes (each runs a script in its worker folder)."""
    try:
        children = psutil.Process(ministack_pid).children()
    except psutil.Error:
        return []
    workers = []
    for child in children:
        try:
            if any(WORKER_FOLDER_PREFIX in part for part in child.cmdline()):
                workers.append(child)
        except psutil.Error:
            continue
    return workers


def worker_folders(run_dir: Path) -> list[Path]:
    """The Lambda workers' folders in a run's MiniStack temporary directory."""
    return sorted(path for path in (run_dir / "aws-tmp").glob(f"{WORKER_FOLDER_PREFIX}*"))


def remove_worker_folders(run_dir: Path) -> None:
    """Remove what a stopped MiniStack's Lambda workers left, their shared layer extractions
    included (MiniStack removes them itself when it exits in time; after a SIGKILL, the one
    stopping it does)."""
    for folder in worker_folders(run_dir):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(run_dir / "aws-tmp" / ministack_patches.LAYER_CACHE, ignore_errors=True)


def port_of(address: str) -> int:
    """The gateway port of a MiniStack address (``http://127.0.0.1:4566`` -> 4566)."""
    return int(address.rstrip("/").rsplit(":", 1)[1])
