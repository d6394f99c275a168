"""Lambda concurrency in the local cloud as on AWS, sized for the machine: a bound on execution
environments in total and per function (reserved concurrency), warm workers reused, excess
invocations queued and then throttled with 429 / ``TooManyRequestsException`` — and no worker
folder left behind. Real MiniStack (as the local cloud starts it), real zips, boto3."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from botocore.config import Config

from hybridstack.emulators.runtime import ministack
from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.local_cloud import LocalCloud, clean_up_killed_run
from hybridstack.emulators.runtime.run_state import read_state
from tests.emulators.http_apis import new_http_api, route_to_function

HANDLER = """
import os
import time

INVOCATIONS = 0  # module state survives between invocations of a warm worker


def handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    began = time.monotonic()  # one clock for every process of the machine
    if "started" in event:  # tell the test this invocation runs, then wait until released
        open(event["started"], "w").close()
        while not os.path.exists(event["release"]):
            time.sleep(0.05)
    time.sleep(event.get("sleep", 0))
    result = {
        "ran": [began, time.monotonic()],
        "pid": os.getpid(),
        "invocations": INVOCATIONS,
        "folder": os.path.dirname(os.environ["LAMBDA_TASK_ROOT"]),
    }
    if "rawPath" in event:  # through an HTTP API
        return {"statusCode": 200, "body": str(result["pid"])}
    return result
"""

ROLE = "arn:aws:iam::000000000000:role/concurrency"
ACCOUNT_LIMIT = 2
LIVE_WORKERS = 2 * ACCOUNT_LIMIT  # as many idle as running (ministack_patches)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _cloud(state_dir: Path, monkeypatch: pytest.MonkeyPatch, queue_seconds: float) -> LocalCloud:
    """An AWS-only local cloud (started by ``with``): account limit 2, invocations past a limit
    wait up to ``queue_seconds``."""
    monkeypatch.setenv(ministack.CONCURRENCY_ENV, str(ACCOUNT_LIMIT))
    monkeypatch.setenv(ministack.QUEUE_SECONDS_ENV, str(queue_seconds))
    return LocalCloud(services=["aws"], state_dir=state_dir)


def _lambda(cloud: LocalCloud) -> Any:
    return aws_client(
        cloud.endpoints,
        "lambda",
        # no client retries: a throttle must reach the test, and a queued call may take a while
        config=Config(retries={"max_attempts": 1}, read_timeout=300),
    )


def _function(client: Any, name: str, timeout: int = 60) -> str:
    arn = client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": _zip()},
        Timeout=timeout,
    )["FunctionArn"]
    client.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    return str(arn)


def _invoke(client: Any, name: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return dict(payload)


def _most_at_once(runs: list[list[float]]) -> int:
    """The most of these (start, end) intervals that overlap at one moment."""
    edges = sorted([(start, 1) for start, _ in runs] + [(end, -1) for _, end in runs])
    most = running = 0
    for _, change in edges:
        running += change
        most = max(most, running)
    return most


class WorkerCount:
    """The most Lambda worker processes MiniStack ran at once while this was open (sampled)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.most = 0
        self._pid = cloud.pids()["aws"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, len(ministack.lambda_workers(self._pid)))
            self._stop.wait(0.02)

    def __enter__(self) -> WorkerCount:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- within the limits: invocations queue, workers are reused, the bound holds ---------------


@pytest.fixture(scope="class")
def patient_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """An AWS-only local cloud: account limit 2, invocations past it wait up to 300 s."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        cloud = _cloud(tmp_path_factory.mktemp("patient"), monkeypatch, 300)
        with cloud:
            yield cloud


class TestWithinTheLimits:
    def test_a_second_invocation_runs_in_the_same_warm_worker(self, patient_cloud):
        client = _lambda(patient_cloud)
        _function(client, "warm")

        first = _invoke(client, "warm")
        second = _invoke(client, "warm")

        assert second["pid"] == first["pid"]
        assert (first["invocations"], second["invocations"]) == (1, 2)

    def test_concurrent_invocations_queue_within_the_account_limit(self, patient_cloud):
        client = _lambda(patient_cloud)
        names = ["busy-a", "busy-b", "busy-c"]
        for name in names:
            _function(client, name)

        with WorkerCount(patient_cloud) as workers, ThreadPoolExecutor(6) as pool:
            results = {
                name: list(pool.map(lambda _, n=name: _invoke(client, n, {"sleep": 0.3}), "123456"))
                for name in names
            }

        runs = [result["ran"] for batch in results.values() for result in batch]
        assert len(runs) == 18  # none throttled, none failed: the excess waited its turn
        assert _most_at_once(runs) <= ACCOUNT_LIMIT
        assert all(len({r["pid"] for r in batch}) <= ACCOUNT_LIMIT for batch in results.values())
        # three functions' workers, but never more live than the bound: idle ones were retired
        assert 1 <= workers.most <= LIVE_WORKERS
        assert len(ministack.lambda_workers(patient_cloud.pids()["aws"])) <= LIVE_WORKERS
        # and took their folders with them
        assert len(ministack.worker_folders(patient_cloud.state_dir)) <= LIVE_WORKERS

    def test_reserved_concurrency_bounds_one_function(self, patient_cloud):
        client = _lambda(patient_cloud)
        _function(client, "reserved")
        client.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=1)

        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(lambda _: _invoke(client, "reserved", {"sleep": 0.2}), range(4))
            )

        assert len({result["pid"] for result in results}) == 1  # one environment, reused
        assert sorted(result["invocations"] for result in results) == [1, 2, 3, 4]

    def test_a_function_reserved_at_zero_is_throttled(self, patient_cloud):
        client = _lambda(patient_cloud)
        _function(client, "disabled")
        client.put_function_concurrency(FunctionName="disabled", ReservedConcurrentExecutions=0)

        with pytest.raises(client.exceptions.TooManyRequestsException):
            client.invoke(FunctionName="disabled", Payload=b"{}")


# --- past the limits: throttled, not hung ---------------------------------------------------


@pytest.fixture
def impatient_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloud]:
    """An AWS-only local cloud whose invocations past a limit wait half a second."""
    with _cloud(tmp_path, monkeypatch, 0.5) as cloud:
        yield cloud


def _http_api(cloud: LocalCloud, function_arn: str) -> str:
    client = aws_client(cloud.endpoints, "apigatewayv2")
    assert cloud.endpoints.aws is not None, "the local cloud runs AWS"
    api_id, url = new_http_api(client, cloud.endpoints.aws, "held")
    route_to_function(client, api_id, "GET /held", function_arn)
    return f"{url}/held"


def test_an_invocation_past_reserved_concurrency_is_throttled_not_hung(
    impatient_cloud: LocalCloud, tmp_path: Path
):
    client = _lambda(impatient_cloud)
    arn = _function(client, "held")
    client.put_function_concurrency(FunctionName="held", ReservedConcurrentExecutions=1)
    url = _http_api(impatient_cloud, arn)
    started, release = tmp_path / "started", tmp_path / "release"
    holder = ThreadPoolExecutor(1).submit(
        _invoke, client, "held", {"started": str(started), "release": str(release)}
    )
    while not started.exists():  # the one allowed execution is running
        assert not holder.done(), holder.result()
        threading.Event().wait(0.05)

    with pytest.raises(client.exceptions.TooManyRequestsException) as throttled:
        client.invoke(FunctionName="held", Payload=b"{}")
    through_api = requests.get(url, timeout=120)
    release.touch()

    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert through_api.status_code == 429, through_api.text
    assert holder.result(timeout=120)["invocations"] == 1  # the running one was not disturbed
    assert requests.get(url, timeout=120).status_code == 200  # free again: served


# --- worker folders: gone with their worker, with MiniStack, after a kill -9 -----------------


def test_a_timed_out_workers_folder_is_removed(impatient_cloud: LocalCloud):
    client = _lambda(impatient_cloud)
    _function(client, "slow", timeout=1)
    folder = Path(_invoke(client, "slow")["folder"])
    assert folder.is_dir()

    response = client.invoke(FunctionName="slow", Payload=json.dumps({"sleep": 30}).encode())

    assert response.get("FunctionError") == "Unhandled"
    assert "timed out" in json.loads(response["Payload"].read())["errorMessage"]
    assert not folder.exists()


def test_stopping_the_cloud_removes_every_worker_folder(tmp_path: Path, monkeypatch):
    with _cloud(tmp_path, monkeypatch, 300) as cloud:
        client = _lambda(cloud)
        for name in ("one", "two"):
            _function(client, name)
            _invoke(client, name)
        assert len(ministack.worker_folders(tmp_path)) == 2

    assert ministack.worker_folders(tmp_path) == []


def test_workers_of_a_killed_ministack_leave_no_folder(tmp_path: Path, monkeypatch):
    with _cloud(tmp_path, monkeypatch, 300) as cloud:
        client = _lambda(cloud)
        _function(client, "orphan")
        folder = Path(_invoke(client, "orphan")["folder"])
        server = cloud.pids()["aws"]
        workers = ministack.lambda_workers(server)
        assert folder.is_dir()
        assert len(workers) == 1

        os.kill(server, signal.SIGKILL)  # MiniStack alone: its worker sees its stdin close
        _, alive = psutil.wait_procs(workers, timeout=60)

        assert alive == []
        assert not folder.exists()


def _a_killed_run(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> LocalCloud:
    """A started cloud whose MiniStack and Lambda worker were killed with SIGKILL: no clean-up
    ran, a worker folder is left."""
    cloud = _cloud(state_dir, monkeypatch, 300)
    cloud.start()
    client = _lambda(cloud)
    _function(client, "left")
    _invoke(client, "left")
    os.killpg(cloud.pids()["aws"], signal.SIGKILL)
    assert len(ministack.worker_folders(state_dir)) == 1
    return cloud


def test_the_stop_after_a_kill_9_removes_the_folders(tmp_path: Path, monkeypatch):
    cloud = _a_killed_run(tmp_path, monkeypatch)

    cloud.stop()

    assert ministack.worker_folders(tmp_path) == []


def test_the_clean_up_of_a_killed_run_removes_the_folders(tmp_path: Path, monkeypatch):
    """What `hybridstack local down` does after a kill -9 of `up` and its emulators."""
    cloud = _a_killed_run(tmp_path, monkeypatch)
    try:
        clean_up_killed_run(tmp_path, read_state(tmp_path), keep_data=False)

        assert ministack.worker_folders(tmp_path) == []
    finally:
        cloud.stop()


def test_a_start_removes_the_folders_a_killed_run_left(tmp_path: Path, monkeypatch):
    leftover = tmp_path / "aws-tmp" / f"{ministack.WORKER_FOLDER_PREFIX}left-abc123"
    (leftover / "code").mkdir(parents=True)

    with _cloud(tmp_path, monkeypatch, 300):
        assert not leftover.exists()
