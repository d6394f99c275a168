"""acme-jobs deployed into the local cloud (`hybridstack up` in this folder, then
`pytest -m deployed`): a job sent to the deployed queue is processed by the deployed worker."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from hybridstack.emulators.deploy.engine import read_outputs
from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.run_state import default_state_dir, read_state

pytestmark = pytest.mark.deployed
WAIT_SECONDS = 120.0  # a hang guard: the worker's first batch starts its Lambda worker


@pytest.fixture(scope="module")
def stack() -> tuple[LocalCloudEndpoints, dict[str, Any]]:
    """The running local cloud of this folder and the outputs of its local stack."""
    state_dir = default_state_dir()
    state = read_state(state_dir)
    if state is None:
        pytest.fail(f"no local cloud runs in {state_dir}: run `hybridstack up` in this folder")
    outputs = read_outputs("local", state_dir / "deploy-local.json")["outputs"]
    return state.endpoints, outputs


def _processed(logs: Any, group: str) -> list[dict[str, Any]]:
    try:
        events = logs.filter_log_events(logGroupName=group)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    lines = [event["message"].strip() for event in events]
    return [json.loads(line) for line in lines if line.startswith('{"processed"')]


def test_a_job_sent_to_the_queue_is_processed_by_the_worker(stack) -> None:
    endpoints, outputs = stack
    job = f"resize-{uuid.uuid4().hex[:8]}"
    sent = aws_client(endpoints, "sqs").send_message(
        QueueUrl=outputs["jobsQueueUrl"], MessageBody=json.dumps({"job": job})
    )
    configuration = aws_client(endpoints, "lambda").get_function_configuration(
        FunctionName=outputs["workerName"]
    )
    group = configuration["LoggingConfig"]["LogGroup"]
    logs = aws_client(endpoints, "logs")

    deadline = time.monotonic() + WAIT_SECONDS
    while not any(entry["processed"] == job for entry in _processed(logs, group)):
        assert time.monotonic() < deadline, f"the worker never logged job {job} in {group}"
        time.sleep(1.0)

    (entry,) = [entry for entry in _processed(logs, group) if entry["processed"] == job]
    assert entry["messageId"] == sent["MessageId"]
