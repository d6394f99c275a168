"""The deploy engine runs a declared Aurora PostgreSQL cluster for real: created as declared (its
engine version adapted to the local image, and reported so), ready for SQL through the Data API
when the deploy returns, left alone by a redeploy, modified in place or refused where AWS would
replace it, deleted when no longer declared — and, without a Docker engine, a deploy that fails
naming the cluster and what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pulumi
import pytest

from hybridstack.components.postgres import (
    DEFAULT_ENGINE_VERSION,
    PostgresCluster,
    PostgresClusterArgs,
)
from hybridstack.emulators.deploy import DeployError, deploy_local_stack
from hybridstack.emulators.deploy.aws_rds import CLUSTER, INSTANCE
from hybridstack.emulators.runtime import aurora
from hybridstack.emulators.runtime.aurora import LOCAL_ENGINE_VERSION
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from tests.repository import REPOSITORY

pytestmark = pytest.mark.emulators("aws")


def _program(declare: bool = True, **args: Any):
    def program() -> None:
        if declare:
            db = PostgresCluster("catalog", PostgresClusterArgs(database_name="platform", **args))
            pulumi.export("clusterArn", db.arn)
            pulumi.export("secretArn", db.secret_arn)
        pulumi.export("declared", declare)

    return program


def _deploy(endpoints: Any, state: Path, **options: Any):
    return deploy_local_stack(
        endpoints, project_dir=REPOSITORY, program=_program(**options), state_path=state
    )


def _sql(rds_data: Any, outputs: dict[str, Any], sql: str) -> list[list[dict[str, Any]]]:
    records: list[list[dict[str, Any]]] = rds_data.execute_statement(
        resourceArn=outputs["clusterArn"],
        secretArn=outputs["secretArn"],
        database="platform",
        sql=sql,
    ).get("records", [])
    return records


def test_a_declared_cluster_answers_sql_when_the_deploy_returns(
    docker_engine, cloud, tmp_path, aws_session
):
    rds, rds_data = aws_session.client("rds"), aws_session.client("rds-data")

    result = _deploy(cloud, tmp_path / "deploy.json")

    (cluster,) = rds.describe_db_clusters()["DBClusters"]
    assert cluster["DBClusterArn"] == result.outputs["clusterArn"]
    assert cluster["MasterUserSecret"]["SecretArn"] == result.outputs["secretArn"]
    assert cluster["Engine"] == "aurora-postgresql"
    assert cluster["HttpEndpointEnabled"] is True
    assert cluster["DatabaseName"] == "platform"
    assert cluster["MasterUsername"] == "hybridstack_admin"
    assert cluster["EngineVersion"] == LOCAL_ENGINE_VERSION
    assert [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]] == [
        next(r.id for r in result.resources if r.type == INSTANCE)
    ]
    # no polling here: the deploy returned only once the database answered
    assert _sql(rds_data, result.outputs, "SELECT current_database()") == [
        [{"stringValue": "platform"}]
    ]
    adapted = {(a.type, a.name): a.reason for a in result.adapted}
    assert DEFAULT_ENGINE_VERSION in adapted[(CLUSTER, "catalog")]
    assert LOCAL_ENGINE_VERSION in adapted[(CLUSTER, "catalog")]
    assert not any(n.type in (CLUSTER, INSTANCE) for n in result.not_emulated)


def test_a_redeploy_without_changes_leaves_the_cluster_and_its_data_alone(
    docker_engine, cloud, tmp_path, aws_session
):
    rds, rds_data = aws_session.client("rds"), aws_session.client("rds-data")
    state = tmp_path / "deploy.json"
    first = _deploy(cloud, state)
    _sql(rds_data, first.outputs, "CREATE TABLE kept (id int PRIMARY KEY)")
    _sql(rds_data, first.outputs, "INSERT INTO kept VALUES (7)")
    created = rds.describe_db_clusters()["DBClusters"][0]["ClusterCreateTime"]

    again = _deploy(cloud, state)

    statuses = {(a.type, a.name): a.status for a in again.actions}
    assert statuses[(CLUSTER, "catalog")] == statuses[(INSTANCE, "catalog-1")] == "unchanged"
    assert again.count("created") == again.count("updated") == 0
    assert again.outputs == first.outputs
    assert rds.describe_db_clusters()["DBClusters"][0]["ClusterCreateTime"] == created
    assert _sql(rds_data, again.outputs, "SELECT id FROM kept") == [[{"longValue": 7}]]
    assert [a.name for a in again.adapted if a.type == CLUSTER] == ["catalog"]  # still reported


def test_capacity_and_tags_change_in_place_and_a_new_database_name_is_refused(
    docker_engine, cloud, tmp_path, aws_session
):
    rds = aws_session.client("rds")
    state = tmp_path / "deploy.json"
    first = _deploy(cloud, state)

    resized = _deploy(cloud, state, max_capacity=8, tags={"team": "catalog"})

    (cluster,) = rds.describe_db_clusters()["DBClusters"]
    assert cluster["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 8
    tags = rds.list_tags_for_resource(ResourceName=cluster["DBClusterArn"])["TagList"]
    assert tags == [{"Key": "team", "Value": "catalog"}]
    assert resized.outputs["clusterArn"] == first.outputs["clusterArn"]
    assert {(a.name, a.status) for a in resized.actions if a.type == CLUSTER} == {
        ("catalog", "updated")
    }
    with pytest.raises(DeployError, match=r"catalog.*the database name.*replaces cluster"):
        deploy_local_stack(
            cloud,
            project_dir=REPOSITORY,
            program=lambda: PostgresCluster("catalog", {"database_name": "other"}),
            state_path=state,
        )
    assert rds.describe_db_clusters()["DBClusters"][0]["DatabaseName"] == "platform"


def test_a_cluster_no_longer_declared_is_deleted_with_its_instance_and_secret(
    docker_engine, cloud, tmp_path, aws_session
):
    rds, secrets = aws_session.client("rds"), aws_session.client("secretsmanager")
    state = tmp_path / "deploy.json"
    first = _deploy(cloud, state)

    second = _deploy(cloud, state, declare=False)

    deleted = {urn.rsplit("::", 1)[-1] for urn in second.removed}
    assert deleted == {"catalog", "catalog-1"}
    assert second.left == []
    assert rds.describe_db_clusters()["DBClusters"] == []
    assert rds.describe_db_instances()["DBInstances"] == []
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):
        secrets.describe_secret(SecretId=first.outputs["secretArn"])


def test_without_docker_the_deploy_fails_naming_the_cluster_and_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    state = tmp_path / "deploy.json"
    with LocalCloud(services=["aws"], state_dir=tmp_path / "cloud") as cloud:
        rds = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        ).client("rds", endpoint_url=cloud.endpoints.aws)

        with pytest.raises(DeployError) as failed:
            _deploy(cloud.endpoints, state)

        message = str(failed.value)
        (cluster,) = rds.describe_db_clusters()["DBClusters"]
        assert f"Aurora cluster {cluster['DBClusterIdentifier']}" in message
        assert "Docker engine" in message
        assert "hybridstack:database: dynamodb" in message
        # nothing half-made stays behind: the instance is gone and the next deploy of a
        # program without the cluster deletes the cluster the failed deploy recorded
        assert rds.describe_db_instances()["DBInstances"] == []
        without = _deploy(cloud.endpoints, state, declare=False)
        assert {urn.rsplit("::", 1)[-1] for urn in without.removed} == {"catalog"}
        assert rds.describe_db_clusters()["DBClusters"] == []


def test_a_database_container_that_cannot_start_fails_the_deploy_at_once_after_one_retry(
    docker_engine: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MiniStack is pointed at an image that does not exist (and no registry is reachable), so
    # each start of the cluster's container fails, as a port another cloud took in the same
    # instant does.
    monkeypatch.setattr(
        aurora,
        "ministack_environment",
        lambda progress=None: {"MINISTACK_IMAGE_PREFIX": "hybridstack/no-such-image"},
    )
    state = tmp_path / "deploy.json"
    with LocalCloud(services=["aws"], state_dir=tmp_path / "cloud") as cloud:
        rds = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        ).client("rds", endpoint_url=cloud.endpoints.aws)

        with pytest.raises(DeployError, match=r"could not start the PostgreSQL container.*twice"):
            _deploy(cloud.endpoints, state)

        starts = cloud.log_path("aws").read_text().count("failed to start shared container")
        assert starts == 2
        assert rds.describe_db_instances()["DBInstances"] == []
