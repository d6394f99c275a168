"""Aurora PostgreSQL clusters and their instances, run for real by MiniStack's RDS.

MiniStack backs each Aurora cluster with a PostgreSQL container and runs the RDS Data API's SQL
in it (:mod:`hybridstack.emulators.runtime.aurora`). The cluster is created as declared — database,
master user with its password managed in Secrets Manager, Data API, Serverless v2 capacity,
backups, deletion protection, tags — except its engine version: the local image serves one major
(:data:`~hybridstack.emulators.runtime.aurora.LOCAL_ENGINE_VERSION`), so a cluster declaring
another is
created with the local version and reported as adapted by name. The instance handler returns
only once the Data API runs ``SELECT 1``, so every Function deployed with the stack finds a
database that answers.

Without a Docker engine MiniStack keeps RDS as metadata only and its Data API answers from a
stub: the deploy fails, naming the cluster and the reason. (Reporting it "not emulated" would
deploy Functions told ``RECORDS_DATABASE=postgres`` whose every record write fails far from the
cause; the program asked for a database, and there is none.) The instance just created is
removed again, so switching the stack to ``hybridstack:database: dynamodb`` deletes the cluster.

A redeploy with changed inputs modifies what RDS modifies in place (capacity, backups, deletion
protection, Data API, tags, instance class); a change AWS answers with a replacement (database name,
master user, engine, encryption) is refused with the reason, since replacing it drops its data.
Removal (:mod:`~hybridstack.emulators.deploy.removal`) deletes instances, then clusters, without
a final snapshot (MiniStack keeps none); a deletion-protected cluster is left, saying so.

Example:
    aws.rds.Cluster("catalog", engine="aurora-postgresql", engine_version="16.6",
                    database_name="platform", manage_master_user_password=True,
                    enable_http_endpoint=True, ...)
        -> CreateDBCluster catalog-1a2b3c4 (engine version 15.10: adapted)
    aws.rds.ClusterInstance("catalog-1", cluster_identifier=cluster.id,
                            instance_class="db.serverless", ...)
        -> CreateDBInstance catalog-1-5e6f7a8, then the Data API answers SELECT 1
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

from hybridstack.emulators.deploy.context import DeployContext, HandlerError, error_code, fail
from hybridstack.emulators.deploy.naming import physical_name
from hybridstack.emulators.deploy.registry import Created, Record, Resource, deleted_by, handles
from hybridstack.emulators.deploy.shapes import integral, tags_list
from hybridstack.emulators.runtime import aurora

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
ENGINE = "aurora-postgresql"
READY_TIMEOUT = 90.0
"""Seconds an instance may take until its Data API answers (about 4 s with the image built)."""
REPLACING = {
    "databaseName": "the database name",
    "masterUsername": "the master user",
    "engine": "the engine",
    "storageEncrypted": "storage encryption",
    "kmsKeyId": "the storage key",
}
"""Inputs whose change makes AWS replace the cluster (a new, empty database)."""
FALLBACK = "deploy with hybridstack:database: dynamodb to run without PostgreSQL"


def identifier(ctx: DeployContext, resource: Resource, *, explicit: str, prefix: str) -> str:
    """An RDS identifier: letters, digits and single hyphens, starting with a letter, <= 63.

    Unless declared, its suffix also hashes the cloud's AWS address: MiniStack names a cluster's
    container after account, region and identifier only, so two local clouds on one Docker
    engine (a test session's and ``hybridstack up``'s) must never pick the same one. Redeploys
    into the same cloud get the same identifier.
    """
    given = resource.inputs.get(explicit)
    if given:
        return str(given)
    declared = resource.inputs.get(prefix)
    name = physical_name(
        f"{resource.urn or resource.label}@{ctx.endpoints.aws or ''}",
        resource.name,
        prefix=str(declared) if declared else None,
        max_length=63,
        lower=True,
        allowed=r"[^a-z0-9-]",
    )
    name = re.sub(r"-{2,}", "-", name).strip("-")
    return name if name[:1].isalpha() else f"c{name}"[:63]


def local_engine_version(declared: Any) -> tuple[str, str | None]:
    """(version to create, what was adapted or None): the declared version when the local image
    serves its major, else :data:`~hybridstack.emulators.runtime.aurora.LOCAL_ENGINE_VERSION`."""
    local = aurora.LOCAL_ENGINE_VERSION
    if not declared:
        return local, None
    if str(declared).split(".")[0] == aurora.LOCAL_MAJOR:
        return str(declared), None
    return local, (
        f"engine version {declared} runs as {local}: the local cloud's PostgreSQL image serves "
        f"major {aurora.LOCAL_MAJOR} only"
    )


def _cluster_args(inputs: dict[str, Any], cluster_id: str, version: str) -> dict[str, Any]:
    """CreateDBCluster's arguments for the declared inputs (camelCase wire names)."""
    args: dict[str, Any] = {
        "DBClusterIdentifier": cluster_id,
        "Engine": ENGINE,
        "EngineVersion": version,
        "EngineMode": str(inputs.get("engineMode") or "provisioned"),
        "MasterUsername": str(inputs.get("masterUsername") or "postgres"),
        "EnableHttpEndpoint": bool(inputs.get("enableHttpEndpoint")),
        "StorageEncrypted": bool(inputs.get("storageEncrypted")),
        "DeletionProtection": bool(inputs.get("deletionProtection")),
        "CopyTagsToSnapshot": bool(inputs.get("copyTagsToSnapshot")),
        "EnableIAMDatabaseAuthentication": bool(inputs.get("iamDatabaseAuthenticationEnabled")),
    }
    if inputs.get("manageMasterUserPassword"):
        args["ManageMasterUserPassword"] = True
    elif inputs.get("masterPassword"):
        args["MasterUserPassword"] = str(inputs["masterPassword"])
    for wire, arg in (
        ("databaseName", "DatabaseName"),
        ("preferredBackupWindow", "PreferredBackupWindow"),
        ("preferredMaintenanceWindow", "PreferredMaintenanceWindow"),
        ("kmsKeyId", "KmsKeyId"),
        ("masterUserSecretKmsKeyId", "MasterUserSecretKmsKeyId"),
        ("dbSubnetGroupName", "DBSubnetGroupName"),
        ("dbClusterParameterGroupName", "DBClusterParameterGroupName"),
    ):
        if inputs.get(wire):
            args[arg] = str(inputs[wire])
    for wire, arg in (("backupRetentionPeriod", "BackupRetentionPeriod"), ("port", "Port")):
        if inputs.get(wire) is not None:
            args[arg] = integral(inputs[wire])
    if inputs.get("vpcSecurityGroupIds"):
        args["VpcSecurityGroupIds"] = [str(g) for g in inputs["vpcSecurityGroupIds"]]
    if inputs.get("enabledCloudwatchLogsExports"):
        args["EnableCloudwatchLogsExports"] = list(inputs["enabledCloudwatchLogsExports"])
    scaling = inputs.get("serverlessv2ScalingConfiguration") or {}
    if scaling:
        args["ServerlessV2ScalingConfiguration"] = {
            "MinCapacity": float(scaling.get("minCapacity", 0.5)),
            "MaxCapacity": float(scaling.get("maxCapacity", 1)),
        }
    if inputs.get("tags"):
        args["Tags"] = tags_list(inputs["tags"])
    return args


def _cluster_outputs(description: dict[str, Any]) -> dict[str, Any]:
    """What the program reads of a cluster, in the provider's output names."""
    secret = description.get("MasterUserSecret") or {}
    secrets = (
        [
            {
                "secretArn": secret["SecretArn"],
                "secretStatus": secret.get("SecretStatus", "active"),
                "kmsKeyId": secret.get("KmsKeyId", ""),
            }
        ]
        if secret.get("SecretArn")
        else []
    )
    return {
        "arn": description["DBClusterArn"],
        "clusterIdentifier": description["DBClusterIdentifier"],
        "clusterResourceId": description.get("DbClusterResourceId", ""),
        "endpoint": description.get("Endpoint", ""),
        "readerEndpoint": description.get("ReaderEndpoint", ""),
        "port": description.get("Port", 5432),
        "databaseName": description.get("DatabaseName") or "",
        "masterUsername": description.get("MasterUsername", ""),
        "masterUserSecrets": secrets,
        "engineVersionActual": description.get("EngineVersion", ""),
        "hostedZoneId": description.get("HostedZoneId", ""),
        "availabilityZones": list(description.get("AvailabilityZones") or []),
    }


def _describe_cluster(ctx: DeployContext, cluster_id: str) -> dict[str, Any] | None:
    try:
        clusters = ctx.aws("rds").describe_db_clusters(DBClusterIdentifier=cluster_id)
    except Exception as error:
        if error_code(error) == "DBClusterNotFoundFault":
            return None
        raise
    found: list[dict[str, Any]] = clusters.get("DBClusters") or []
    return found[0] if found else None


def _modify_cluster(ctx: DeployContext, resource: Resource, cluster_id: str) -> dict[str, Any]:
    """Apply what RDS changes in place; refuse what it would replace (naming the inputs)."""
    before = (resource.previous or {}).get("outputs") or {}
    replaced = [
        label
        for wire, label in REPLACING.items()
        if wire in before and before.get(wire) != resource.inputs.get(wire)
    ]
    if replaced:
        raise HandlerError(
            f"{resource.label}: changing {', '.join(replaced)} replaces cluster {cluster_id} "
            "on AWS with an empty one; the local cloud does not replace databases: remove the "
            "cluster from the program, deploy, then declare it again"
        )
    inputs = resource.inputs
    args: dict[str, Any] = {
        "DBClusterIdentifier": cluster_id,
        "ApplyImmediately": True,
        "DeletionProtection": bool(inputs.get("deletionProtection")),
        "CopyTagsToSnapshot": bool(inputs.get("copyTagsToSnapshot")),
        "EnableHttpEndpoint": bool(inputs.get("enableHttpEndpoint")),
    }
    created = _cluster_args(inputs, cluster_id, "")
    for arg in ("BackupRetentionPeriod", "PreferredBackupWindow"):
        if arg in created:
            args[arg] = created[arg]
    if "ServerlessV2ScalingConfiguration" in created:
        args["ServerlessV2ScalingConfiguration"] = created["ServerlessV2ScalingConfiguration"]
    try:
        description: dict[str, Any] = ctx.aws("rds").modify_db_cluster(**args)["DBCluster"]
    except Exception as error:
        raise fail(resource, f"ModifyDBCluster {cluster_id}", error) from error
    _retag(ctx, resource, description["DBClusterArn"], before.get("tags"))
    return description


def _retag(ctx: DeployContext, resource: Resource, arn: str, before: Any) -> None:
    """Tags are changed in place: keys no longer declared removed, the declared ones set."""
    old, new = dict(before or {}), dict(resource.inputs.get("tags") or {})
    if old == new:
        return
    rds = ctx.aws("rds")
    try:
        gone = [key for key in old if key not in new]
        if gone:
            rds.remove_tags_from_resource(ResourceName=arn, TagKeys=gone)
        if new:
            rds.add_tags_to_resource(ResourceName=arn, Tags=tags_list(new))
    except Exception as error:
        raise fail(resource, f"tagging {arn}", error) from error


def _delete_cluster(ctx: DeployContext, record: Record) -> None:
    ctx.aws("rds").delete_db_cluster(DBClusterIdentifier=record["id"], SkipFinalSnapshot=True)


@handles(CLUSTER, delete=deleted_by(_delete_cluster, order=3))
def cluster(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    engine = str(inputs.get("engine") or "")
    if engine != ENGINE:
        raise HandlerError(
            f"{resource.label}: engine {engine or '(none)'!r} does not run in the local cloud; "
            f"only {ENGINE!r} clusters do (MiniStack runs them in PostgreSQL containers)"
        )
    cluster_id = identifier(
        ctx, resource, explicit="clusterIdentifier", prefix="clusterIdentifierPrefix"
    )
    version, adapted = local_engine_version(inputs.get("engineVersion"))
    previous = resource.previous_id()
    existing = _describe_cluster(ctx, previous) if previous == cluster_id else None
    if existing is not None:
        description = _modify_cluster(ctx, resource, cluster_id)
    else:
        try:
            description = ctx.aws("rds").create_db_cluster(
                **_cluster_args(inputs, cluster_id, version)
            )["DBCluster"]
        except Exception as error:
            if error_code(error) != "DBClusterAlreadyExistsFault":
                raise fail(resource, f"CreateDBCluster {cluster_id}", error) from error
            found = _describe_cluster(ctx, cluster_id)  # made by a deploy whose record is lost
            if found is None:
                raise fail(resource, f"CreateDBCluster {cluster_id}", error) from error
            description = found
    return Created(id=cluster_id, outputs=_cluster_outputs(description), adapted=adapted)


def _instance_args(inputs: dict[str, Any], instance_id: str, cluster_id: str) -> dict[str, Any]:
    args: dict[str, Any] = {
        "DBInstanceIdentifier": instance_id,
        "DBClusterIdentifier": cluster_id,
        "Engine": ENGINE,  # the version is the cluster's, as on AWS
        "DBInstanceClass": str(inputs.get("instanceClass") or "db.serverless"),
        "PubliclyAccessible": bool(inputs.get("publiclyAccessible")),
    }
    for wire, arg in (
        ("dbSubnetGroupName", "DBSubnetGroupName"),
        ("dbParameterGroupName", "DBParameterGroupName"),
        ("availabilityZone", "AvailabilityZone"),
    ):
        if inputs.get(wire):
            args[arg] = str(inputs[wire])
    if inputs.get("promotionTier") is not None:
        args["PromotionTier"] = integral(inputs["promotionTier"])
    if inputs.get("tags"):
        args["Tags"] = tags_list(inputs["tags"])
    return args


def _wait_until_ready(ctx: DeployContext, cluster: dict[str, Any], instance_id: str) -> None:
    """Until the Data API runs SQL (for a cluster without it: until the instance is available).

    Without Docker the instance is "available" at once and the Data API answers from a stub:
    :func:`~hybridstack.emulators.runtime.aurora.wait_for_data_api` raises
    :class:`~hybridstack.emulators.runtime.aurora.AuroraUnavailableError` for that.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    aurora.wait_for_instance(ctx.aws("rds"), instance_id, deadline - time.monotonic())
    secret = (cluster.get("MasterUserSecret") or {}).get("SecretArn")
    if cluster.get("HttpEndpointEnabled") and secret:
        aurora.wait_for_data_api(
            ctx.aws("rds-data"),
            cluster["DBClusterArn"],
            secret,
            cluster.get("DatabaseName") or "postgres",
            timeout=max(1.0, deadline - time.monotonic()),
        )


def _create_instance(
    ctx: DeployContext, resource: Resource, args: dict[str, Any]
) -> dict[str, Any]:
    instance_id = args["DBInstanceIdentifier"]
    rds = ctx.aws("rds")
    try:
        description: dict[str, Any] = rds.create_db_instance(**args)["DBInstance"]
    except Exception as error:
        if error_code(error) not in {"DBInstanceAlreadyExists", "DBInstanceAlreadyExistsFault"}:
            raise fail(resource, f"CreateDBInstance {instance_id}", error) from error
        (description,) = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
    return description


def _remove_instance(ctx: DeployContext, instance_id: str) -> None:
    """Undo a CreateDBInstance whose database never answered (best effort)."""
    # the deploy already fails with the reason that matters
    with contextlib.suppress(Exception):
        ctx.aws("rds").delete_db_instance(DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True)


def _instance_outputs(description: dict[str, Any], cluster: dict[str, Any]) -> dict[str, Any]:
    endpoint = description.get("Endpoint") or {}
    return {
        "identifier": description["DBInstanceIdentifier"],
        "arn": description.get("DBInstanceArn", ""),
        "clusterIdentifier": cluster["DBClusterIdentifier"],
        "endpoint": endpoint.get("Address", ""),
        "port": endpoint.get("Port", cluster.get("Port", 5432)),
        "dbiResourceId": description.get("DbiResourceId", ""),
        "engineVersionActual": cluster.get("EngineVersion", ""),
        "writer": True,
    }


def _delete_instance(ctx: DeployContext, record: Record) -> None:
    ctx.aws("rds").delete_db_instance(DBInstanceIdentifier=record["id"], SkipFinalSnapshot=True)


@handles(INSTANCE, delete=deleted_by(_delete_instance, order=1))
def instance(ctx: DeployContext, resource: Resource) -> Created:
    inputs = resource.inputs
    cluster_id = str(inputs.get("clusterIdentifier") or "")
    instance_id = identifier(ctx, resource, explicit="identifier", prefix="identifierPrefix")
    parent = _describe_cluster(ctx, cluster_id) if cluster_id else None
    if parent is None:
        raise HandlerError(f"{resource.label}: cluster {cluster_id!r} does not exist")
    declared = inputs.get("engineVersion")
    adapted = None
    if declared and str(declared) != parent.get("EngineVersion"):
        adapted = (
            f"engine version {declared} runs as its cluster's {parent.get('EngineVersion')}: "
            f"the local cloud's PostgreSQL image serves major {aurora.LOCAL_MAJOR} only"
        )
    rds = ctx.aws("rds")
    previous = resource.previous_id()
    members = {m.get("DBInstanceIdentifier") for m in parent.get("DBClusterMembers") or []}
    if previous == instance_id and instance_id in members:
        try:
            description = rds.modify_db_instance(
                DBInstanceIdentifier=instance_id,
                DBInstanceClass=str(inputs.get("instanceClass") or "db.serverless"),
                ApplyImmediately=True,
            )["DBInstance"]
        except Exception as error:
            raise fail(resource, f"ModifyDBInstance {instance_id}", error) from error
        before = ((resource.previous or {}).get("outputs") or {}).get("tags")
        _retag(ctx, resource, description["DBInstanceArn"], before)
        return Created(
            id=instance_id, outputs=_instance_outputs(description, parent), adapted=adapted
        )
    args = _instance_args(inputs, instance_id, cluster_id)
    for attempt in (1, 2):
        description = _create_instance(ctx, resource, args)
        try:
            _wait_until_ready(ctx, parent, instance_id)
            break
        except aurora.ContainerStartError as error:
            _remove_instance(ctx, instance_id)
            # MiniStack picks the container's host port by probing; a second local cloud can
            # take the same port in the same instant. A new attempt gets the next free one.
            if attempt == 2:
                raise HandlerError(
                    f"{resource.label}: Aurora cluster {cluster_id} cannot run SQL in the local "
                    f"cloud: {error}, twice"
                ) from error
        except (aurora.AuroraUnavailableError, TimeoutError) as error:
            _remove_instance(ctx, instance_id)
            raise HandlerError(
                f"{resource.label}: Aurora cluster {cluster_id} cannot run SQL in the local "
                f"cloud: {error} (or {FALLBACK})"
            ) from error
    return Created(id=instance_id, outputs=_instance_outputs(description, parent), adapted=adapted)
