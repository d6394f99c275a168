"""``hybridstack up --persist``: deploys (a versioned Storage bucket reported as adapted, not a
500), and a second ``up --persist`` in the same state folder finds the first run's users,
DynamoDB items and buckets, and passes its smoke journey again."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.run_state import RunState, read_state
from tests.deploy.up_process import UpProcess

SMOKE_PASSWORD = "smoke-secret-1"  # what the smoke journey signs its user up with
T = TypeVar("T")


def _up_until_smoke(state_dir: Path, during: Callable[[RunState], T]) -> tuple[str, T]:
    """Run ``hybridstack up --persist`` until its smoke journey printed, call ``during`` with
    its state, then Ctrl-C it; its output and what ``during`` returned."""
    with UpProcess(["up", "--persist"], state_dir) as up:
        up.wait_for("smoke journey")
        state = read_state(state_dir)
        assert state is not None
        found = during(state)
        return up.stop(), found


def _sign_in(state: RunState, email: str) -> int:
    response = requests.post(
        f"http://{state.endpoints.auth}/identitytoolkit.googleapis.com/v1/"
        "accounts:signInWithPassword?key=k",
        json={"email": email, "password": SMOKE_PASSWORD},
        timeout=30,
    )
    return response.status_code


def _aws(state: RunState, service: str) -> Any:
    return aws_client(state.endpoints, service)


def _probe_document(state: RunState) -> str:
    return (
        f"http://{state.endpoints.firestore}/v1/projects/{state.endpoints.project_id}"
        "/databases/(default)/documents/persist-probe/kept"
    )


def _write_probes(state: RunState) -> dict[str, Any]:
    """One item per DynamoDB table, an object in the first S3 bucket, a Firestore document."""
    dynamodb = _aws(state, "dynamodb")
    items = {}
    for table in dynamodb.list_tables()["TableNames"]:
        schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
        item = {key["AttributeName"]: {"S": "persist-probe"} for key in schema}
        dynamodb.put_item(TableName=table, Item=item)
        items[table] = item
    bucket = _aws(state, "s3").list_buckets()["Buckets"][0]["Name"]
    _aws(state, "s3").put_object(Bucket=bucket, Key="persist-probe", Body=b"kept")
    requests.patch(
        _probe_document(state),
        json={"fields": {"n": {"integerValue": "7"}}},
        headers={"Authorization": "Bearer owner"},
        timeout=30,
    ).raise_for_status()
    return {"items": items, "bucket": bucket}


def _read_probes(state: RunState, email: str, probes: dict[str, Any]) -> dict[str, Any]:
    dynamodb = _aws(state, "dynamodb")
    body = _aws(state, "s3").get_object(Bucket=probes["bucket"], Key="persist-probe")["Body"]
    document = requests.get(
        _probe_document(state), headers={"Authorization": "Bearer owner"}, timeout=30
    )
    return {
        "items": {
            table: dynamodb.get_item(TableName=table, Key=item).get("Item")
            for table, item in probes["items"].items()
        },
        "object": body.read(),
        "document": document.json().get("fields"),
        "sign_in": _sign_in(state, email),
    }


def test_up_persist_deploys_and_a_second_up_finds_the_first_ones_data(tmp_path: Path) -> None:
    first_output, probes = _up_until_smoke(tmp_path, _write_probes)
    assert "deploy failed" not in first_output, first_output
    assert "smoke journey passed" in first_output, first_output
    assert "no object versions" in first_output  # the versioned media-uploads bucket, adapted
    email = re.search(r"signed up (smoke-[0-9a-f]+@example\.com)", first_output)
    assert email, first_output
    assert probes["items"], probes

    second_output, found = _up_until_smoke(
        tmp_path, lambda state: _read_probes(state, email.group(1), probes)
    )
    assert "smoke journey passed" in second_output, second_output
    assert found == {
        "items": probes["items"],
        "object": b"kept",
        "document": {"n": {"integerValue": "7"}},
        "sign_in": 200,  # the first run's user signs in to the second run's Auth
    }
