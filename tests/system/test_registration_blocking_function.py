"""Sign-up runs the ``beforeCreate`` blocking function, which registers the user with the deployed
API: the record exists before the user ever calls the API (not lazy creation).

The path is the cloud's: the Auth emulator calls the blocking function in the Functions emulator
(firebase-tools registers it with the Auth emulator), the function gets a Google-style ID token of
the registration service account from the metadata server (the local issuer stands in for it),
and ``POST /internal/users`` passes the route's Google JWT authorizer and the handler's caller
check. When the AWS side fails, the sign-up still succeeds, the function logs an error naming the
uid and the reason, and the first call creates the record, counted as a missed registration.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from hybridstack.emulators.devtools.stack_cloud import configure_functions
from hybridstack.emulators.runtime import firebase_tools, functions_codebase
from hybridstack.emulators.runtime.clients import AuthEmulator
from hybridstack.emulators.runtime.ports import LOOPBACK, choose_port, release_port
from hybridstack.services.identity import missed_registrations

FUNCTION = "aws:lambda/function:Function"


def _record(aws: Callable[[str], Any], table: str, uid: str) -> dict[str, Any] | None:
    item = aws("dynamodb").get_item(
        TableName=table, Key={"PK": {"S": f"USER#{uid}"}, "SK": {"S": "PROFILE"}}
    )
    found: dict[str, Any] | None = item.get("Item")
    return found


def _email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def test_the_auth_emulator_calls_the_functions_emulator_before_create(stack: Any) -> None:
    """firebase-tools hands the Auth emulator the blocking function's URL when it loads the
    codebase (the ``blockingFunctions`` config Identity Platform has in the cloud)."""
    endpoints = stack.endpoints
    config = requests.get(
        f"http://{endpoints.auth}/identitytoolkit.googleapis.com/v2/projects/"
        f"{endpoints.project_id}/config",
        headers={"Authorization": "Bearer owner"},
        timeout=30,
    )

    assert config.status_code == 200, config.text
    trigger = config.json()["blockingFunctions"]["triggers"]["beforeCreate"]
    assert trigger["functionUri"].startswith(f"http://{endpoints.functions}/")
    assert trigger["functionUri"].endswith("/before_user_created")


def test_sign_up_alone_creates_the_user_record(
    auth: AuthEmulator, aws: Callable[[str], Any], stack: Any
) -> None:
    email = _email("erin")

    erin = auth.sign_up(email, "erin-secret-pw")  # accounts:signUp, nothing else

    record = _record(aws, stack.outputs["tableName"], erin.uid)
    assert record is not None, "the blocking function did not register the new user" + "".join(
        f"\n  {failure}" for failure in _function_errors(stack, erin.uid)
    )
    assert record["email"]["S"] == email
    assert record["created_by"]["S"] == "registration"
    assert _function_errors(stack, erin.uid) == []


@pytest.fixture
def unreachable_api(stack: Any) -> Iterator[None]:
    """The blocking function pointed at an API that is down, for one test; restored after."""
    source = stack.cloud.functions_source
    log = stack.cloud.log_path(firebase_tools.NAME)
    port = choose_port(47000)
    kept = functions_codebase.settings(source)
    try:
        functions_codebase.configure(
            source,
            api_url=f"http://{LOOPBACK}:{port}/nothing-listens-here",
            metadata_host=kept.get("GCE_METADATA_HOST"),
        )
        functions_codebase.reload(source, log, hub=str(stack.endpoints.hub))
        yield
    finally:
        release_port(port)
        configure_functions(stack.cloud, stack.result)


def test_sign_up_succeeds_when_the_aws_side_fails_and_the_first_call_creates_the_record(
    unreachable_api: None, auth: AuthEmulator, api: Any, aws: Callable[[str], Any], stack: Any
) -> None:
    email = _email("frank")

    frank = auth.sign_up(email, "frank-secret-pw")

    assert frank.uid
    assert _record(aws, stack.outputs["tableName"], frank.uid) is None
    [failure] = _function_errors(stack, frank.uid)  # the blocking function says so, naming him
    assert failure["message"].startswith("registration failed")
    assert "ConnectionError" in failure["reason"]
    signed = auth.sign_in_signed(email, "frank-secret-pw")
    me = api.call("GET", "users/me", signed)
    assert me.status_code == 200, me.text
    assert me.json()["created_by"] == "lazy"
    # ... and the API counts him once as a missed registration (the metric the alerts watch)
    assert _missed_registrations(aws, stack).count(frank.uid) == 1


def _function_errors(stack: Any, uid: str) -> list[dict[str, Any]]:
    """The blocking function's error records about ``uid`` (its structured log lines, which the
    Functions emulator writes to its log behind ``> ``)."""
    records = []
    for line in stack.cloud.log_path(firebase_tools.NAME).read_text().splitlines():
        output = line.partition("> ")[2]  # after the emulator's (coloured) prefix
        text = output[output.find("{") :].strip()
        if text.startswith("{") and f'"uid":"{uid}"' in text:
            record = json.loads(text)
            if record.get("level") == "ERROR":
                records.append(record)
    return records


def _missed_registrations(aws: Callable[[str], Any], stack: Any) -> list[str]:
    """The uids of the ``MissedRegistrations`` counts in the identity function's CloudWatch log."""
    (function,) = [
        r for r in stack.result.resources if r.type == FUNCTION and r.name == "identity-api"
    ]
    configuration = aws("lambda").get_function_configuration(FunctionName=function.outputs["name"])
    group = configuration["LoggingConfig"]["LogGroup"]  # the Function's retained log group
    events = aws("logs").filter_log_events(logGroupName=group)["events"]
    uids = []
    for event in events:
        message = event["message"].strip()
        if message.startswith("{") and missed_registrations.METRIC in message:
            uids.append(json.loads(message)["uid"])
    return uids
