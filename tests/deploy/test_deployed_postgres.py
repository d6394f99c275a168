"""The reference platform with ``hybridstack:database: postgres``, deployed by the engine into the
local cloud: the Aurora cluster runs with its Data API on, the functions that keep user records
are linked to it and told so, a redeploy changes nothing, and switching the stack back to
DynamoDB deletes the cluster.

Three redeploys of the session's ``deployed_stack`` (no second cloud): postgres, postgres again,
and back to the stack file's ``dynamodb``, which the other tests of the session expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hybridstack.emulators.deploy.aws_rds import CLUSTER, INSTANCE
from hybridstack.emulators.deploy.engine import DeployResult
from hybridstack.emulators.runtime.aurora import LOCAL_ENGINE_VERSION
from hybridstack.emulators.runtime.clients import aws_client

FUNCTION = "aws:lambda/function:Function"


@dataclass
class Switch:
    """What each deploy of the switch did, and the cloud as it was after each."""

    on_postgres: DeployResult
    clusters: list[dict[str, Any]]
    identity_environment: dict[str, str]
    again: DeployResult
    back: DeployResult
    clusters_after: list[dict[str, Any]]
    identity_environment_after: dict[str, str]


def _identity_environment(stack: Any, result: DeployResult) -> dict[str, str]:
    """The identity function's environment as the Lambda emulator holds it."""
    (declared,) = [r for r in result.resources if r.type == FUNCTION and r.name == "identity-api"]
    configuration = aws_client(stack.endpoints, "lambda").get_function_configuration(
        FunctionName=declared.outputs["name"]
    )
    variables: dict[str, str] = configuration["Environment"]["Variables"]
    return variables


@pytest.fixture(scope="module")
def switch(docker_engine: None, deployed_stack: Any) -> Switch:
    rds = aws_client(deployed_stack.endpoints, "rds")
    try:
        on_postgres = deployed_stack.redeploy(config={"database": "postgres"})
        clusters = rds.describe_db_clusters()["DBClusters"]
        identity = _identity_environment(deployed_stack, on_postgres)
        again = deployed_stack.redeploy(config={"database": "postgres"})
    finally:
        back = deployed_stack.redeploy()  # the stack file's database: dynamodb
    return Switch(
        on_postgres=on_postgres,
        clusters=clusters,
        identity_environment=identity,
        again=again,
        back=back,
        clusters_after=rds.describe_db_clusters()["DBClusters"],
        identity_environment_after=_identity_environment(deployed_stack, back),
    )


def test_the_cluster_runs_with_the_data_api_and_is_exported(switch: Switch) -> None:
    (cluster,) = switch.clusters
    outputs = switch.on_postgres.outputs

    assert cluster["DBClusterArn"] == outputs["postgresClusterArn"]
    assert cluster["MasterUserSecret"]["SecretArn"] == outputs["postgresSecretArn"]
    assert cluster["HttpEndpointEnabled"] is True
    assert cluster["DatabaseName"] == "platform"
    assert cluster["EngineVersion"] == LOCAL_ENGINE_VERSION
    assert len(cluster["DBClusterMembers"]) == 1
    assert {(a.type, a.name) for a in switch.on_postgres.adapted} >= {(CLUSTER, "catalog")}
    assert not any(n.type in (CLUSTER, INSTANCE) for n in switch.on_postgres.not_emulated)


def test_the_identity_function_is_linked_to_the_cluster_and_told_postgres(
    switch: Switch,
) -> None:
    (cluster,) = switch.clusters
    environment = switch.identity_environment

    assert environment["RECORDS_DATABASE"] == "postgres"
    assert environment["CATALOG_CLUSTER_ARN"] == cluster["DBClusterArn"]
    assert environment["CATALOG_SECRET_ARN"] == cluster["MasterUserSecret"]["SecretArn"]
    assert environment["CATALOG_DATABASE"] == "platform"


def test_a_redeploy_with_the_same_config_changes_nothing(switch: Switch) -> None:
    again = switch.again

    assert again.count("created") == again.count("updated") == 0
    assert again.removed == []
    assert again.left == []
    assert again.outputs["postgresClusterArn"] == switch.on_postgres.outputs["postgresClusterArn"]


def test_switching_back_to_dynamodb_deletes_the_cluster_and_unlinks_the_functions(
    switch: Switch,
) -> None:
    deleted = {urn.rsplit("::", 1)[-1] for urn in switch.back.removed}

    assert {"catalog", "catalog-1"} <= deleted
    assert switch.back.left == []
    assert switch.clusters_after == []
    assert "postgresClusterArn" not in switch.back.outputs
    assert switch.identity_environment_after["RECORDS_DATABASE"] == "dynamodb"
    assert not any(name.startswith("CATALOG_") for name in switch.identity_environment_after)
