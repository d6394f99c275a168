"""Where user records and analytics aggregates live follows ``hybridstack:database``: every
Function is told (``RECORDS_DATABASE``), and with PostgreSQL each Function that reads or writes
records links the Aurora cluster — its ``CATALOG_*`` variables and Data API and secret grants on
that cluster only — while the others get no database access they don't need."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybridstack.components.postgres import DATA_API_ACTIONS, SECRET_ACTIONS
from hybridstack.services.common.settings import RECORDS_DATABASE
from hybridstack.testing import RegisteredResource, of_type, run_under_mocks
from reference_platform.program import build_platform
from tests.unit.program.stacks import stack_config

RECORD_FUNCTIONS = ("identity-api", "media-api", "media-processor", "analytics")
"""Functions whose service code reads or writes user records or aggregates."""
CATALOG = ("CATALOG_CLUSTER_ARN", "CATALOG_SECRET_ARN", "CATALOG_DATABASE")


def _resources(database: str) -> list[RegisteredResource]:
    config = {**stack_config("local"), "hybridstack:database": database}
    return run_under_mocks(build_platform, stack="local", config=config)


@pytest.fixture(scope="module")
def on_postgres() -> list[RegisteredResource]:
    return _resources("postgres")


@pytest.fixture(scope="module")
def on_dynamodb() -> list[RegisteredResource]:
    return _resources("dynamodb")


def _environments(resources: list[RegisteredResource]) -> dict[str, dict[str, Any]]:
    return {
        f.name: dict((f.inputs.get("environment") or {}).get("variables") or {})
        for f in of_type(resources, "aws:lambda/function:Function")
    }


def _statements(resources: list[RegisteredResource], function: str) -> list[dict[str, Any]]:
    """The statements of the role policy the Function component made for ``function``."""
    policies = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    (policy,) = [p for p in policies if p.name == function]
    statements: list[dict[str, Any]] = json.loads(policy.inputs["policy"])["Statement"]
    return statements


def _resources_of(statements: list[dict[str, Any]], prefix: str) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        if any(action.startswith(prefix) for action in actions):
            resources = statement["Resource"]
            found |= {resources} if isinstance(resources, str) else set(resources)
    return found


def test_every_function_is_told_postgres_and_the_record_functions_link_the_cluster(
    on_postgres: list[RegisteredResource],
) -> None:
    (cluster,) = of_type(on_postgres, "aws:rds/cluster:Cluster")
    secret_arn = cluster.outputs["masterUserSecrets"][0]["secretArn"]
    environments = _environments(on_postgres)

    assert {env[RECORDS_DATABASE] for env in environments.values()} == {"postgres"}
    assert set(RECORD_FUNCTIONS) <= set(environments)
    for name in RECORD_FUNCTIONS:
        env = environments[name]
        assert env["CATALOG_CLUSTER_ARN"] == cluster.outputs["arn"], name
        assert env["CATALOG_SECRET_ARN"] == secret_arn, name
        assert env["CATALOG_DATABASE"] == "platform", name
        statements = _statements(on_postgres, name)
        assert _resources_of(statements, "rds-data:") == {cluster.outputs["arn"]}, name
        assert _resources_of(statements, "secretsmanager:") >= {secret_arn}, name
        granted = {
            action
            for s in statements
            if s["Resource"] in (cluster.outputs["arn"], [cluster.outputs["arn"]])
            for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }
        assert granted == set(DATA_API_ACTIONS), name  # the Data API, never rds:* admin


def test_the_cluster_secret_is_readable_only_with_the_secret_actions(
    on_postgres: list[RegisteredResource],
) -> None:
    (cluster,) = of_type(on_postgres, "aws:rds/cluster:Cluster")
    secret_arn = cluster.outputs["masterUserSecrets"][0]["secretArn"]
    for name in RECORD_FUNCTIONS:
        on_secret = [
            s for s in _statements(on_postgres, name) if s["Resource"] in (secret_arn, [secret_arn])
        ]
        actions = {a for s in on_secret for a in s["Action"]}
        assert actions == set(SECRET_ACTIONS), name


def test_functions_that_keep_no_records_get_no_database_access(
    on_postgres: list[RegisteredResource],
) -> None:
    environments = _environments(on_postgres)
    sync = next(name for name in environments if name.startswith("media-sync"))

    for name in (sync, "api", "messaging-api"):
        assert not any(key.startswith("CATALOG_") for key in environments[name]), name
        assert _resources_of(_statements(on_postgres, name), "rds-data:") == set(), name
        assert _resources_of(_statements(on_postgres, name), "secretsmanager:") == set(), name
    # the platform API answers from the verified claims: no record store at all
    assert "DATABASE_TABLE_NAME" not in environments["api"]
    assert _resources_of(_statements(on_postgres, "api"), "dynamodb:") == set()


def test_on_dynamodb_every_function_is_told_dynamodb_and_no_cluster_exists(
    on_dynamodb: list[RegisteredResource],
) -> None:
    environments = _environments(on_dynamodb)

    assert of_type(on_dynamodb, "aws:rds/cluster:Cluster") == []
    assert of_type(on_dynamodb, "aws:rds/clusterInstance:ClusterInstance") == []
    assert {env[RECORDS_DATABASE] for env in environments.values()} == {"dynamodb"}
    for name, env in environments.items():
        assert not any(key.endswith("_CLUSTER_ARN") for key in env), name
        assert _resources_of(_statements(on_dynamodb, name), "rds-data:") == set(), name


def test_both_keeps_the_table_and_puts_records_in_postgres() -> None:
    resources = _resources("both")
    environments = _environments(resources)

    assert of_type(resources, "aws:rds/cluster:Cluster")
    assert {env[RECORDS_DATABASE] for env in environments.values()} == {"postgres"}
    assert all("DATABASE_TABLE_NAME" in environments[name] for name in RECORD_FUNCTIONS)
