"""PostgresCluster: Aurora Serverless v2 PostgreSQL with the Data API and managed credentials.

The system of record of the music and SaaS reference platforms. Lambdas reach it through the
RDS Data API (HTTPS + IAM, no VPC attachment or connection pool needed); the master password is
generated and rotated by RDS in Secrets Manager (``manage_master_user_password``), never seen by
Pulumi. Storage is encrypted; backups are kept 7 days (14 in production); production stacks get
deletion protection and a final snapshot; logs go to CloudWatch; instances are never public.

Linking grants the Data API statements on this cluster and reading its secret only, and sets
``<NAME>_CLUSTER_ARN``, ``<NAME>_SECRET_ARN`` and ``<NAME>_DATABASE``.

Example:
    db = PostgresCluster("catalog", {"database_name": "music", "max_capacity": 4})
    api = Function("api", {"handler": "hybridstack.services.api.handler.handle", "link": [db]})
    # boto3.client("rds-data").execute_statement(resourceArn=os.environ["CATALOG_CLUSTER_ARN"],
    #     secretArn=os.environ["CATALOG_SECRET_ARN"], database=os.environ["CATALOG_DATABASE"], ...)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.link import IamStatement, LinkSpec, env_prefix
from hybridstack.components.stack_defaults import is_production

DATA_API_ACTIONS = (
    "rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement", "rds-data:BeginTransaction",
    "rds-data:CommitTransaction", "rds-data:RollbackTransaction",
)  # fmt: skip
SECRET_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
DEFAULT_ENGINE_VERSION = "16.6"
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


def validate_capacity(min_capacity: float, max_capacity: float, *, owner: str) -> None:
    """Aurora Serverless v2 ACUs: 0 (auto-pause) or 0.5..256 in 0.5 steps, min <= max."""
    for arg, value in (("min_capacity", min_capacity), ("max_capacity", max_capacity)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ComponentArgsError(f"{owner}: {arg}={value!r} must be a number of ACUs")
        if not 0 <= value <= 256 or (value * 2) % 1:
            raise ComponentArgsError(
                f"{owner}: {arg}={value!r} must be 0..256 ACUs in steps of 0.5"
            )
    if max_capacity < max(min_capacity, 1):
        raise ComponentArgsError(
            f"{owner}: max_capacity={max_capacity} must be at least 1 and >= min_capacity="
            f"{min_capacity}"
        )


class PostgresClusterArgs(TypedDict, total=False):
    """Database name, capacity, backups and network of the cluster."""

    database_name: str
    """The database created in the cluster (default: the component name, sanitised)."""
    master_username: str
    """The master user (default ``hybridstack_admin``); its password lives in Secrets Manager."""
    engine_version: str
    """Aurora PostgreSQL version (default 16.6)."""
    min_capacity: float
    """Minimum ACUs (default 0 = pause when idle; 0.5 on production stacks)."""
    max_capacity: float
    """Maximum ACUs (default 4; 16 on production stacks)."""
    instances: int
    """Serverless v2 instances (default 1; 2 on production stacks for a standby reader)."""
    backup_retention_days: int
    """Automated backup retention, 1-35 days (default 7; 14 on production stacks)."""
    deletion_protection: bool
    """Refuse deletion (default: on in production stacks)."""
    kms_key_arn: pulumi.Input[str]
    """Encrypt storage and the master secret with this key (default: AWS managed keys)."""
    db_subnet_group_name: pulumi.Input[str]
    """The subnet group (default: the default VPC's)."""
    vpc_security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Security groups of the cluster."""
    tags: Mapping[str, str]
    """Tags of the cluster and instances."""


class PostgresCluster(HybridComponent):
    """Aurora Serverless v2 PostgreSQL: Data API on, credentials in Secrets Manager, encrypted.

    Example:
        db = PostgresCluster("catalog", {"database_name": "music"})
        Function("register-user", {"handler": "...", "link": [db]})
    """

    TYPE = "hybridstack:aws:PostgresCluster"
    CHILD_ROLES = ("cluster", "instance")

    arn: pulumi.Output[str]
    """The cluster ARN (the Data API's ``resourceArn``)."""
    secret_arn: pulumi.Output[str]
    """The master credentials' secret ARN (the Data API's ``secretArn``)."""
    endpoint: pulumi.Output[str]
    """The writer endpoint (for clients inside the VPC)."""
    database_name: pulumi.Output[str]
    """The database name."""

    def __init__(
        self,
        name: str,
        args: PostgresClusterArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"PostgresCluster {name!r}"
        a: dict[str, Any] = dict(args or {})
        production = is_production()
        database = a.get("database_name", re.sub(r"[^A-Za-z0-9_]", "_", name))
        user = a.get("master_username", "hybridstack_admin")
        for arg, value in (("database_name", database), ("master_username", user)):
            if not isinstance(value, str) or not _IDENTIFIER.match(value):
                raise ComponentArgsError(
                    f"{owner}: {arg}={value!r} must start with a letter and hold only letters, "
                    "digits and _ (max 63)"
                )
        if user.lower() in {"postgres", "admin", "rdsadmin"}:
            raise ComponentArgsError(f"{owner}: master_username={user!r} is reserved by RDS")
        min_capacity = a.get("min_capacity", 0.5 if production else 0)
        max_capacity = a.get("max_capacity", 16 if production else 4)
        validate_capacity(min_capacity, max_capacity, owner=owner)
        retention = a.get("backup_retention_days", 14 if production else 7)
        if (
            isinstance(retention, bool)
            or not isinstance(retention, int)
            or not 1 <= retention <= 35
        ):
            raise ComponentArgsError(
                f"{owner}: backup_retention_days={retention!r} must be in 1..35"
            )
        instances = a.get("instances", 2 if production else 1)
        if (
            isinstance(instances, bool)
            or not isinstance(instances, int)
            or not 1 <= instances <= 15
        ):
            raise ComponentArgsError(f"{owner}: instances={instances!r} must be in 1..15")
        deletion_protection = bool(a.get("deletion_protection", production))
        engine_version = a.get("engine_version", DEFAULT_ENGINE_VERSION)
        tags = dict(a.get("tags", {}))
        super().__init__(name, transform=transform, opts=opts)
        kms_key_arn = a.get("kms_key_arn")
        self.kms_key_arn = kms_key_arn

        cluster_args: dict[str, Any] = {
            "engine": "aurora-postgresql",
            "engine_mode": "provisioned",
            "engine_version": engine_version,
            "database_name": database,
            "master_username": user,
            "manage_master_user_password": True,
            "enable_http_endpoint": True,
            "iam_database_authentication_enabled": True,
            "storage_encrypted": True,
            "serverlessv2_scaling_configuration": {
                "min_capacity": min_capacity,
                "max_capacity": max_capacity,
            },
            "backup_retention_period": retention,
            "preferred_backup_window": "03:00-04:00",
            "copy_tags_to_snapshot": True,
            "deletion_protection": deletion_protection,
            "skip_final_snapshot": not production,
            "enabled_cloudwatch_logs_exports": ["postgresql"],
            "tags": tags,
        }
        if production:
            cluster_args["final_snapshot_identifier"] = f"{name}-final"
        if kms_key_arn is not None:
            cluster_args["kms_key_id"] = kms_key_arn
            cluster_args["master_user_secret_kms_key_id"] = kms_key_arn
        for arg in ("db_subnet_group_name", "vpc_security_group_ids"):
            if a.get(arg) is not None:
                cluster_args[arg] = a[arg]
        cluster = self.child("cluster", aws.rds.Cluster, name, cluster_args)
        for index in range(instances):
            instance_args: dict[str, Any] = {
                "cluster_identifier": cluster.id,
                "instance_class": "db.serverless",
                "engine": "aurora-postgresql",
                "engine_version": engine_version,
                "publicly_accessible": False,
                "tags": tags,
            }
            if a.get("db_subnet_group_name") is not None:
                instance_args["db_subnet_group_name"] = a["db_subnet_group_name"]
            self.child("instance", aws.rds.ClusterInstance, f"{name}-{index + 1}", instance_args)
        self.cluster = cluster
        self.arn = cluster.arn
        self.endpoint = cluster.endpoint
        self.database_name = pulumi.Output.from_input(database)
        self.secret_arn = cluster.master_user_secrets.apply(
            lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
        )
        self.register_outputs(
            {
                "arn": self.arn,
                "secret_arn": self.secret_arn,
                "endpoint": self.endpoint,
                "database_name": self.database_name,
            }
        )

    def link_spec(self) -> LinkSpec:
        """Data API on this cluster and its secret only; cluster ARN, secret ARN, database."""
        statements = [
            IamStatement(list(DATA_API_ACTIONS), [self.arn]),
            IamStatement(list(SECRET_ACTIONS), [self.secret_arn]),
        ]
        if self.kms_key_arn is not None:
            statements.append(IamStatement(["kms:Decrypt"], [self.kms_key_arn]))
        prefix = env_prefix(self.component_name)
        return LinkSpec(
            statements=statements,
            environment={
                f"{prefix}_CLUSTER_ARN": self.arn,
                f"{prefix}_SECRET_ARN": self.secret_arn,
                f"{prefix}_DATABASE": self.database_name,
            },
        )
