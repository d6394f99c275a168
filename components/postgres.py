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
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, ComponentArgsError, in_range, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.link import IamStatement, LinkSpec, link_variable
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import CLUSTER_ARN, DATABASE, SECRET_ARN

DATA_API_ACTIONS = (
    "rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement", "rds-data:BeginTransaction",
    "rds-data:CommitTransaction", "rds-data:RollbackTransaction",
)  # fmt: skip
SECRET_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
DEFAULT_ENGINE_VERSION = "16.6"
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


DEFAULT_MASTER_USERNAME = "hybridstack_admin"
RESERVED_USERNAMES = frozenset({"postgres", "admin", "rdsadmin"})


def validate_capacity(min_capacity: float, max_capacity: float) -> None:
    """Aurora Serverless v2 ACUs: 0 (auto-pause) or 0.5..256 in 0.5 steps, min <= max."""
    for arg, value in (("min_capacity", min_capacity), ("max_capacity", max_capacity)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            refuse(f"{arg}={value!r} must be a number of ACUs")
        if not 0 <= value <= 256 or (value * 2) % 1:
            refuse(f"{arg}={value!r} must be 0..256 ACUs in steps of 0.5")
    if max_capacity < max(min_capacity, 1):
        refuse(f"max_capacity={max_capacity} must be at least 1 and >= min_capacity={min_capacity}")


def _check_identifier(arg: str, value: object) -> None:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        refuse(
            f"{arg}={value!r} must start with a letter and hold only letters, digits and _ (max 63)"
        )


@dataclass(frozen=True, kw_only=True)
class PostgresClusterArgs(ComponentArgs):
    """Database name, capacity, backups and network of the cluster.

    The capacity, instance and backup defaults depend on the stack: ``None`` picks the
    production value on production stacks (see each field) and the smaller one elsewhere.
    """

    database_name: str | None = None
    """The database created in the cluster (default: the component name, ``-`` -> ``_``)."""
    master_username: str = DEFAULT_MASTER_USERNAME
    """The master user; its password lives in Secrets Manager, rotated by RDS."""
    engine_version: str = DEFAULT_ENGINE_VERSION
    """Aurora PostgreSQL version."""
    min_capacity: float | None = None
    """Minimum ACUs (default 0 = pause when idle; 0.5 on production stacks)."""
    max_capacity: float | None = None
    """Maximum ACUs (default 4; 16 on production stacks)."""
    instances: int | None = None
    """Serverless v2 instances, 1-15 (default 1; 2 on production stacks for a standby reader)."""
    backup_retention_days: int | None = None
    """Automated backup retention, 1-35 days (default 7; 14 on production stacks)."""
    deletion_protection: bool | None = None
    """Refuse deletion (default: on in production stacks only)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Encrypt storage and the master secret with this key (default: AWS managed keys)."""
    db_subnet_group_name: pulumi.Input[str] | None = None
    """The subnet group (default: the default VPC's)."""
    vpc_security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Security groups of the cluster."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the cluster and instances."""

    def __post_init__(self) -> None:
        if self.database_name is not None:
            _check_identifier("database_name", self.database_name)
        _check_identifier("master_username", self.master_username)
        if self.master_username.lower() in RESERVED_USERNAMES:
            refuse(f"master_username={self.master_username!r} is reserved by RDS")
        if self.instances is not None:
            in_range("instances", self.instances, 1, 15)
        if self.backup_retention_days is not None:
            in_range("backup_retention_days", self.backup_retention_days, 1, 35)

    def for_stack(self, production: bool) -> _ClusterPlan:
        """Every stack-dependent default resolved for a production or other stack; refuses a
        capacity range Aurora would refuse."""
        low = self.min_capacity if self.min_capacity is not None else (0.5 if production else 0)
        high = self.max_capacity if self.max_capacity is not None else (16 if production else 4)
        validate_capacity(low, high)
        return _ClusterPlan(
            min_capacity=low,
            max_capacity=high,
            instances=self.instances or (2 if production else 1),
            backup_retention_days=self.backup_retention_days or (14 if production else 7),
            deletion_protection=(
                production if self.deletion_protection is None else self.deletion_protection
            ),
            production=production,
        )


@dataclass(frozen=True)
class _ClusterPlan:
    """The stack-dependent settings of one cluster, resolved."""

    min_capacity: float
    max_capacity: float
    instances: int
    backup_retention_days: int
    deletion_protection: bool
    production: bool


class PostgresClusterTransforms(TypedDict, total=False):
    """Reshape a child of the PostgresCluster before it is created (see ``HybridComponent``)."""

    cluster: Transform
    """``aws.rds.Cluster``: the Aurora cluster (Data API, managed master password)."""
    instance: Transform
    """``aws.rds.ClusterInstance``: each ``db.serverless`` instance."""


class PostgresCluster(HybridComponent):
    """Aurora Serverless v2 PostgreSQL: Data API on, credentials in Secrets Manager, encrypted.

    Example:
        db = PostgresCluster("catalog", {"database_name": "music"})
        Function("register-user", {"handler": "hybridstack.services.identity.api.handle",
                                   "link": [db]})
    """

    TYPE = "hybridstack:aws:PostgresCluster"
    TRANSFORMS = PostgresClusterTransforms

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
        args: PostgresClusterArgs | Mapping[str, Any] | None = None,
        *,
        transform: PostgresClusterTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"PostgresCluster {name!r}"
        settings = PostgresClusterArgs.parse(args, owner=owner)
        database = settings.database_name or re.sub(r"[^A-Za-z0-9_]", "_", name)
        try:
            _check_identifier("database_name", database)
        except ComponentArgsError as error:
            raise ComponentArgsError(f"{owner}: {error}; pass database_name=") from None
        try:
            plan = settings.for_stack(is_production())
        except ComponentArgsError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None
        super().__init__(name, transform=transform, opts=opts)
        self.kms_key_arn = settings.kms_key_arn

        self.cluster = cluster = self._create_cluster(settings, plan, database)
        self._create_instances(settings, plan, cluster)
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

    def _create_cluster(
        self, settings: PostgresClusterArgs, plan: _ClusterPlan, database: str
    ) -> aws.rds.Cluster:
        name = self.component_name
        cluster_args: dict[str, Any] = {
            "engine": "aurora-postgresql",
            "engine_mode": "provisioned",
            "engine_version": settings.engine_version,
            "database_name": database,
            "master_username": settings.master_username,
            "manage_master_user_password": True,
            "enable_http_endpoint": True,
            "iam_database_authentication_enabled": True,
            "storage_encrypted": True,
            "serverlessv2_scaling_configuration": {
                "min_capacity": plan.min_capacity,
                "max_capacity": plan.max_capacity,
            },
            "backup_retention_period": plan.backup_retention_days,
            "preferred_backup_window": "03:00-04:00",
            "copy_tags_to_snapshot": True,
            "deletion_protection": plan.deletion_protection,
            "skip_final_snapshot": not plan.production,
            "enabled_cloudwatch_logs_exports": ["postgresql"],
            "tags": dict(settings.tags),
        }
        if plan.production:
            cluster_args["final_snapshot_identifier"] = f"{name}-final"
        if settings.kms_key_arn is not None:
            cluster_args["kms_key_id"] = settings.kms_key_arn
            cluster_args["master_user_secret_kms_key_id"] = settings.kms_key_arn
        if settings.db_subnet_group_name is not None:
            cluster_args["db_subnet_group_name"] = settings.db_subnet_group_name
        if settings.vpc_security_group_ids is not None:
            cluster_args["vpc_security_group_ids"] = settings.vpc_security_group_ids
        return self.child("cluster", aws.rds.Cluster, name, cluster_args)

    def _create_instances(
        self, settings: PostgresClusterArgs, plan: _ClusterPlan, cluster: aws.rds.Cluster
    ) -> list[aws.rds.ClusterInstance]:
        instance_args: dict[str, Any] = {
            "cluster_identifier": cluster.id,
            "instance_class": "db.serverless",
            "engine": "aurora-postgresql",
            "engine_version": settings.engine_version,
            "publicly_accessible": False,
            "tags": dict(settings.tags),
        }
        if settings.db_subnet_group_name is not None:
            instance_args["db_subnet_group_name"] = settings.db_subnet_group_name
        return [
            self.child(
                "instance",
                aws.rds.ClusterInstance,
                f"{self.component_name}-{index + 1}",
                dict(instance_args),
            )
            for index in range(plan.instances)
        ]

    def link_spec(self) -> LinkSpec:
        """Data API on this cluster and its secret only; cluster ARN, secret ARN, database."""
        statements = [
            IamStatement(list(DATA_API_ACTIONS), [self.arn]),
            IamStatement(list(SECRET_ACTIONS), [self.secret_arn]),
        ]
        if self.kms_key_arn is not None:
            statements.append(IamStatement(["kms:Decrypt"], [self.kms_key_arn]))
        name = self.component_name
        return LinkSpec(
            statements=statements,
            environment={
                link_variable(name, CLUSTER_ARN): self.arn,
                link_variable(name, SECRET_ARN): self.secret_arn,
                link_variable(name, DATABASE): self.database_name,
            },
        )
