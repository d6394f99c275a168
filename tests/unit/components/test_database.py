"""Table and PostgresCluster: keys, indexes, protection per stack, least-privilege links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.database import PostgresCluster, Table
from hybridstack.components.function import Function
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import actions_on, make_code_root, policy_statements

TABLE = "aws:dynamodb/table:Table"
CLUSTER = "aws:rds/cluster:Cluster"


@pytest.fixture
def code_root(tmp_path: Path) -> Path:
    return make_code_root(tmp_path)


def _fn(code_root: Path, link: list[Any], name: str = "api") -> Function:
    return Function(
        name,
        {
            "handler": "app.svc.health.handler.handle",
            "code_root": str(code_root),
            "layer": False,
            "link": link,
        },
    )


def test_single_table_with_gsi_ttl_and_stream() -> None:
    resources = run_under_mocks(
        lambda: Table(
            "data",
            {
                "global_secondary_indexes": [
                    {"name": "GSI1", "partition_key": "GSI1PK", "sort_key": "GSI1SK"},
                    {"name": "ByDevice", "partition_key": "deviceId", "projection": ["title"]},
                ],
                "attribute_types": {"GSI1SK": "N"},
                "ttl_attribute": "expiresAt",
                "stream": "NEW_AND_OLD_IMAGES",
            },
        )
    )
    (table,) = of_type(resources, TABLE)
    assert table.inputs["hashKey"] == "PK"
    assert table.inputs["rangeKey"] == "SK"
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["attributes"] == [
        {"name": "PK", "type": "S"},
        {"name": "SK", "type": "S"},
        {"name": "GSI1PK", "type": "S"},
        {"name": "GSI1SK", "type": "N"},
        {"name": "deviceId", "type": "S"},
    ]
    gsis = {g["name"]: g for g in table.inputs["globalSecondaryIndexes"]}
    assert gsis["GSI1"]["keySchemas"] == [
        {"attributeName": "GSI1PK", "keyType": "HASH"},
        {"attributeName": "GSI1SK", "keyType": "RANGE"},
    ]
    assert gsis["ByDevice"]["keySchemas"] == [{"attributeName": "deviceId", "keyType": "HASH"}]
    assert not {"hashKey", "rangeKey"} & {key for gsi in gsis.values() for key in gsi}
    assert gsis["GSI1"]["projectionType"] == "ALL"
    assert gsis["ByDevice"]["projectionType"] == "INCLUDE"
    assert gsis["ByDevice"]["nonKeyAttributes"] == ["title"]
    assert table.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert table.inputs["streamViewType"] == "NEW_AND_OLD_IMAGES"


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_pitr_and_deletion_protection_follow_the_stack(stack: str, protected: bool) -> None:
    resources = run_under_mocks(lambda: Table("data"), stack=stack)
    (table,) = of_type(resources, TABLE)
    assert table.inputs["pointInTimeRecovery"]["enabled"] is protected
    assert table.inputs["deletionProtectionEnabled"] is protected


def test_table_link_covers_the_table_and_its_indexes_only(code_root: Path) -> None:
    def program() -> None:
        table = Table(
            "data", {"global_secondary_indexes": [{"name": "GSI1", "partition_key": "GSI1PK"}]}
        )
        _fn(code_root, [table.read_only()])

    resources = run_under_mocks(program)
    (table,) = of_type(resources, TABLE)
    arn = table.outputs["arn"]
    (policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    statements = policy_statements(policy)
    dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert len(dynamo) == 1
    assert dynamo[0]["Resource"] == [arn, f"{arn}/index/GSI1"]
    assert "dynamodb:PutItem" not in actions_on(statements, arn)
    assert "dynamodb:GetItem" in actions_on(statements, arn)
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"] == {"DATA_TABLE_NAME": table.outputs["name"]}


def test_stream_subscription_grants_the_stream_and_dead_letters(code_root: Path) -> None:
    def program() -> None:
        table = Table("data", {"stream": "NEW_IMAGE"})
        table.subscribe(_fn(code_root, [], "projector"))

    resources = run_under_mocks(program)
    (table,) = of_type(resources, TABLE)
    (mapping,) = of_type(resources, "aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["eventSourceArn"] == table.outputs["streamArn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    (dlq,) = of_type(resources, "aws:sqs/queue:Queue")
    assert mapping.inputs["destinationConfig"]["onFailure"]["destinationArn"] == dlq.outputs["arn"]
    policies = {p.name: p for p in of_type(resources, "aws:iam/rolePolicy:RolePolicy")}
    stream = policy_statements(policies["projector-stream-data"])
    assert actions_on(stream, table.outputs["streamArn"]) >= {"dynamodb:GetRecords"}


def test_subscribing_to_a_table_without_stream_is_refused(code_root: Path) -> None:
    with pytest.raises(ComponentArgsError, match="has no stream"):
        run_under_mocks(lambda: Table("data").subscribe(_fn(code_root, [])))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"global_secondary_indexes": [{"name": "G1", "partition_key": "x"}]},
            r"\(G1\): name='G1'",
        ),
        (
            {"global_secondary_indexes": [{"name": "GSI1"}]},
            r"\[0\] \(GSI1\): missing required argument\(s\) partition_key",
        ),
        (
            {"global_secondary_indexes": [{"name": "GSI1", "partition_key": "a", "sortkey": "b"}]},
            r"\(GSI1\): unknown argument 'sortkey' \(did you mean 'sort_key'\?\)",
        ),
        ({"stream": "NEW"}, r"stream='NEW'"),
        ({"attribute_types": {"title": "S"}}, r"not key attributes"),
        ({"ttl_attribute": "PK"}, r"cannot be a table key"),
    ],
)
def test_bad_table_arguments_are_named(args: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: Table("data", args), mocks=mocks)
    assert mocks.resources == []


def test_aurora_serverless_v2_with_data_api_and_managed_secret() -> None:
    resources = run_under_mocks(lambda: PostgresCluster("catalog", {"database_name": "music"}))
    (cluster,) = of_type(resources, CLUSTER)
    inputs = cluster.inputs
    assert inputs["engine"] == "aurora-postgresql"
    assert inputs["engineMode"] == "provisioned"
    assert inputs["enableHttpEndpoint"] is True
    assert inputs["manageMasterUserPassword"] is True
    assert "masterPassword" not in inputs
    assert inputs["storageEncrypted"] is True
    assert inputs["serverlessv2ScalingConfiguration"] == {"minCapacity": 0, "maxCapacity": 4}
    assert inputs["backupRetentionPeriod"] == 7
    assert inputs["deletionProtection"] is False
    (instance,) = of_type(resources, "aws:rds/clusterInstance:ClusterInstance")
    assert instance.inputs["instanceClass"] == "db.serverless"
    assert instance.inputs["publiclyAccessible"] is False


def test_prod_cluster_is_protected_with_longer_backups_and_a_final_snapshot() -> None:
    resources = run_under_mocks(lambda: PostgresCluster("catalog"), stack="prod")
    (cluster,) = of_type(resources, CLUSTER)
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["skipFinalSnapshot"] is False
    assert cluster.inputs["finalSnapshotIdentifier"] == "catalog-final"
    assert cluster.inputs["backupRetentionPeriod"] == 14
    assert len(of_type(resources, "aws:rds/clusterInstance:ClusterInstance")) == 2


def test_postgres_link_grants_data_api_on_this_cluster_and_its_secret(code_root: Path) -> None:
    def program() -> None:
        _fn(code_root, [PostgresCluster("catalog", {"database_name": "music"})])

    resources = run_under_mocks(program)
    (cluster,) = of_type(resources, CLUSTER)
    secret_arn = cluster.outputs["masterUserSecrets"][0]["secretArn"]
    (policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    statements = policy_statements(policy)
    assert actions_on(statements, cluster.outputs["arn"]) == {
        "rds-data:ExecuteStatement",
        "rds-data:BatchExecuteStatement",
        "rds-data:BeginTransaction",
        "rds-data:CommitTransaction",
        "rds-data:RollbackTransaction",
    }
    assert actions_on(statements, secret_arn) == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"] == {
        "CATALOG_CLUSTER_ARN": cluster.outputs["arn"],
        "CATALOG_SECRET_ARN": secret_arn,
        "CATALOG_DATABASE": "music",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"min_capacity": 0.3}, r"min_capacity=0.3 must be 0..256 ACUs in steps of 0.5"),
        ({"min_capacity": 8, "max_capacity": 4}, r"max_capacity=4 must be at least 1"),
        ({"master_username": "postgres"}, r"reserved"),
        ({"database_name": "my-db"}, r"database_name='my-db'"),
        ({"backup_retention_days": 0}, r"backup_retention_days=0"),
    ],
)
def test_bad_postgres_arguments_are_named(args: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: PostgresCluster("catalog", args), mocks=mocks)
    assert mocks.resources == []


def test_transforms_reach_the_table_and_the_cluster() -> None:
    resources = run_under_mocks(
        lambda: (
            Table(
                "data",
                transform={"table": lambda a: {**a, "table_class": "STANDARD_INFREQUENT_ACCESS"}},
            ),
            PostgresCluster("catalog", transform={"cluster": lambda a: {**a, "port": 6543}}),
        )
    )
    assert of_type(resources, TABLE)[0].inputs["tableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert of_type(resources, CLUSTER)[0].inputs["port"] == 6543
