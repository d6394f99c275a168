"""User records in Aurora PostgreSQL (``hybridstack:database: postgres``), end to end: sign-up in
the Auth emulator runs the ``beforeCreate`` blocking function, which registers the user with the
deployed API; the record is a row of the cluster's ``users`` table (read here through the RDS
Data API with the cluster's secret, as an operator would), and the app reads and changes it
through ``/users/me``.

The module redeploys the session's stack with ``database: postgres`` (the cluster is created and
every function is told so) and back to the stack file's ``dynamodb`` when it ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hybridstack.emulators.deploy.engine import DeployResult
from hybridstack.emulators.runtime.clients import AuthEmulator

Sql = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="module")
def on_postgres(docker_engine: None, stack: Any) -> Iterator[DeployResult]:
    result: DeployResult = stack.redeploy(config={"database": "postgres"})
    try:
        yield result
    finally:
        stack.redeploy()  # back to Pulumi.local.yaml's dynamodb for the other modules


def _value(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    (value,) = field.values()
    return value


def _parameter(name: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {"name": name, "value": {"isNull": True}}
    if isinstance(value, int):
        return {"name": name, "value": {"longValue": value}}
    return {"name": name, "value": {"stringValue": str(value)}}


@pytest.fixture(scope="module")
def sql(on_postgres: DeployResult, aws: Callable[[str], Any]) -> Sql:
    """``sql("SELECT ... WHERE uid = :uid", uid=...)``: rows as dicts, through the Data API."""
    outputs = on_postgres.outputs

    def run(statement: str, **parameters: Any) -> list[dict[str, Any]]:
        answer = aws("rds-data").execute_statement(
            resourceArn=outputs["postgresClusterArn"],
            secretArn=outputs["postgresSecretArn"],
            database="platform",
            sql=statement,
            parameters=[_parameter(k, v) for k, v in parameters.items()],
            includeResultMetadata=True,
        )
        names = [column["name"] for column in answer.get("columnMetadata", [])]
        return [
            dict(zip(names, map(_value, record), strict=True))
            for record in answer.get("records", [])
        ]

    return run


def _user_row(sql: Sql, uid: str) -> list[dict[str, Any]]:
    return sql("SELECT uid, email, display_name, created_by FROM users WHERE uid = :uid", uid=uid)


def test_sign_up_makes_a_row_that_the_api_reads_and_changes(
    on_postgres: DeployResult,
    auth: AuthEmulator,
    api: Any,
    sql: Sql,
    aws: Callable[[str], Any],
    stack: Any,
) -> None:
    email = f"pat-{uuid.uuid4().hex[:8]}@example.com"

    pat = auth.sign_up(email, "pat-secret-pw")  # accounts:signUp, nothing else

    assert _user_row(sql, pat.uid) == [
        {"uid": pat.uid, "email": email, "display_name": None, "created_by": "registration"}
    ], "the blocking function did not register the new user in PostgreSQL"
    in_dynamodb = aws("dynamodb").get_item(
        TableName=stack.outputs["tableName"],
        Key={"PK": {"S": f"USER#{pat.uid}"}, "SK": {"S": "PROFILE"}},
    )
    assert "Item" not in in_dynamodb  # the record lives in one database only

    signed = auth.sign_in_signed(email, "pat-secret-pw")
    me = api.call("GET", "users/me", signed)
    assert me.status_code == 200, me.text
    assert me.json()["uid"] == pat.uid
    assert me.json()["email"] == email
    assert me.json()["created_by"] == "registration"

    changed = api.call("PATCH", "users/me", signed, json={"display_name": "Pat P."})
    assert changed.status_code == 200, changed.text
    assert changed.json()["display_name"] == "Pat P."
    assert _user_row(sql, pat.uid)[0]["display_name"] == "Pat P."


def test_a_bad_profile_change_is_refused_and_leaves_the_row_as_it_was(
    on_postgres: DeployResult, new_user: Callable[..., Any], api: Any, sql: Sql
) -> None:
    quinn = new_user("quinn")
    assert api.call("PATCH", "users/me", quinn, json={"display_name": "Quinn"}).status_code == 200

    refused = api.call("PATCH", "users/me", quinn, json={"display_name": "x" * 81})

    assert refused.status_code == 422, refused.text
    assert "display_name" in refused.text
    assert _user_row(sql, quinn.uid)[0]["display_name"] == "Quinn"
