"""Aurora PostgreSQL in the local cloud: MiniStack's RDS backed by a real PostgreSQL container.

MiniStack starts one PostgreSQL container per Aurora cluster and runs the RDS Data API's SQL in it,
when a Docker engine answers. No registry can be reached here, so the image it asks for
(``postgres:<major>-alpine``) is made locally: Debian's PostgreSQL 15 from
``containers/Dockerfile.postgres``, tagged under a prefix of its own that MiniStack is given as
``MINISTACK_IMAGE_PREFIX``. The containers join a network whose published ports bind to
127.0.0.1 only (MiniStack would otherwise publish them on every interface).

The local image serves PostgreSQL 15 only: clusters are created locally with
:data:`LOCAL_ENGINE_VERSION` (the deploy engine reports the change by name). Without a Docker
engine MiniStack keeps RDS as metadata only and the Data API has no database to run SQL in:
:func:`create_database` then raises :class:`AuroraUnavailableError`.

Example:
    env = ministack_environment()          # for MiniStack's process; {} without Docker
    ...
    db = create_database(boto3.client("rds"), "catalog", database="platform")
    os.environ.update(db.link_environment("CATALOG"))   # what a linked Function gets
    boto3.client("rds-data").execute_statement(
        resourceArn=db.cluster_arn, secretArn=db.secret_arn, database=db.database, sql="SELECT 1"
    )
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hybridstack.emulators.runtime.docker_engine import docker_client
from hybridstack.emulators.runtime.ports import LOOPBACK, free_port

logger = logging.getLogger(__name__)

LOCAL_ENGINE_VERSION = "15.10"
"""The Aurora PostgreSQL version clusters get locally (the local image's major is 15)."""
LOCAL_MAJOR = LOCAL_ENGINE_VERSION.split(".")[0]
NETWORK = "hybridstack-aurora"
"""Docker network of the database containers; its published ports bind to 127.0.0.1 only."""
_INSTANCE_LABEL = "ministack.instance"  # MiniStack's label: which gateway owns a container
_LOOPBACK_BINDING = {"com.docker.network.bridge.host_binding_ipv4": "127.0.0.1"}
DOCKER_HELP = (
    "MiniStack runs Aurora's databases in Docker containers: start a Docker engine (as root, "
    "scripts/setup starts Debian's docker.io) and restart the local cloud"
)


class AuroraUnavailableError(RuntimeError):
    """The local cloud cannot run Aurora PostgreSQL here (no Docker engine, or no image)."""


class ContainerStartError(RuntimeError):
    """MiniStack could not start the cluster's PostgreSQL container (status ``failed``)."""


@dataclass(frozen=True)
class AuroraDatabase:
    """One Aurora PostgreSQL cluster of the local cloud, ready for the Data API.

    Example:
        db.link_environment()   # {"CATALOG_CLUSTER_ARN": ..., "CATALOG_SECRET_ARN": ..., ...}
    """

    cluster_id: str
    cluster_arn: str
    secret_arn: str
    database: str

    def link_environment(self, prefix: str = "CATALOG") -> dict[str, str]:
        """The variables ``PostgresCluster.link_spec()`` sets on a linked Function."""
        return {
            f"{prefix}_CLUSTER_ARN": self.cluster_arn,
            f"{prefix}_SECRET_ARN": self.secret_arn,
            f"{prefix}_DATABASE": self.database,
        }


def image_prefix(postgres_tag: str) -> str:
    """The ``MINISTACK_IMAGE_PREFIX`` under which ``postgres_tag``'s image is aliased.

    One prefix per image digest, so two checkouts with different images never share an alias.
    """
    digest = postgres_tag.rsplit(":", 1)[-1]
    return f"hybridstack/aurora-{digest}"


def _ensure_network(client: Any) -> None:
    import docker.errors

    try:
        client.networks.get(NETWORK)
    except docker.errors.NotFound:
        try:
            client.networks.create(NETWORK, driver="bridge", options=_LOOPBACK_BINDING)
        except docker.errors.APIError as error:
            if error.status_code != 409:  # created by a local cloud starting beside us
                raise


def ministack_environment(progress: Callable[[str], None] | None = None) -> dict[str, str]:
    """What MiniStack's process needs to run Aurora for real; ``{}`` when Docker is missing.

    Builds the PostgreSQL image on first use (about 20 s; later calls find it), aliases it
    where MiniStack looks, makes the loopback-only network and picks the first host port of
    this cloud's database containers.
    """
    import docker.errors

    from hybridstack.emulators.runtime.containers.base_image import BaseImageError
    from hybridstack.emulators.runtime.containers.images import (
        ImageBuildError,
        ensure_image,
        postgres_image_spec,
    )

    client, reason = docker_client()
    if client is None:
        logger.info("Aurora PostgreSQL stays metadata only: %s", reason)
        return {}
    try:
        tag = ensure_image(client, postgres_image_spec(), progress)
        prefix = image_prefix(tag)
        client.images.get(tag).tag(f"{prefix}/postgres", f"{LOCAL_MAJOR}-alpine")
        _ensure_network(client)
    except (ImageBuildError, BaseImageError, docker.errors.DockerException) as error:
        logger.warning("Aurora PostgreSQL stays metadata only: %s", error)
        return {}
    finally:
        client.close()
    # MiniStack publishes cluster N on base + N: a base of our own per cloud keeps two local
    # clouds from racing for the default 15432.
    env = {
        "MINISTACK_IMAGE_PREFIX": prefix,
        "DOCKER_NETWORK": NETWORK,
        "RDS_BASE_PORT": str(free_port()),
    }
    if os.environ.get("DOCKER_HOST"):
        env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    return env


def _own_containers(client: Any, gateway_port: int) -> list[Any]:
    """The database containers of the MiniStack on ``gateway_port``, by MiniStack's own
    ``ministack.instance`` label (``<hostname>:<gateway port>``): another local cloud's
    containers never match."""
    label = f"{_INSTANCE_LABEL}={socket.gethostname()}:{gateway_port}"
    return list(client.containers.list(all=True, filters={"label": label}))


def _volumes_of(containers: list[Any]) -> list[str]:
    return sorted(
        {
            mount["Name"]
            for container in containers
            for mount in container.attrs.get("Mounts", [])
            if mount.get("Type") == "volume" and mount.get("Name")
        }
    )


def database_volumes(gateway_port: int) -> list[str]:
    """The named volumes of the database containers of the MiniStack on ``gateway_port``.

    MiniStack keeps an Aurora cluster's data in a named volume that outlives its container (so
    a stopped cluster can restart); a reset or stop of the local cloud removes them with
    :func:`remove_volumes`, or a later cluster with the same id would find the old data and
    the old password.
    """
    client, _ = docker_client()
    if client is None:
        return []
    try:
        return _volumes_of(_own_containers(client, gateway_port))
    finally:
        client.close()


def remove_volumes(names: list[str], timeout: float = 10.0) -> None:
    """Remove these volumes once no container uses them any more (MiniStack removes the
    containers); a volume that stays in use is left, with a warning."""
    if not names:
        return
    import docker.errors

    client, _ = docker_client()
    if client is None:
        return
    deadline = time.monotonic() + timeout
    try:
        for name in names:
            while True:
                try:
                    client.volumes.get(name).remove()
                    break
                except docker.errors.NotFound:
                    break
                except docker.errors.APIError as error:
                    if error.status_code != 409 or time.monotonic() > deadline:
                        logger.warning("left the database volume %s: %s", name, error)
                        break
                    time.sleep(0.1)  # its container is still being removed
    finally:
        client.close()


def _listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port`` (a bind test would also
    fail on the TIME_WAIT sockets a killed server leaves)."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return True
    except OSError:
        return False


def remove_leftovers(gateway_port: int, *, keep_data: bool = False) -> int:
    """Remove the database containers a killed MiniStack on ``gateway_port`` left running, and
    their volumes unless ``keep_data``; how many containers were removed.

    A MiniStack that is stopped removes its containers itself; one that was killed cannot.
    Nothing is removed while something listens on ``gateway_port``: a live MiniStack (another
    local cloud that took the port since) owns what carries its address.
    """
    import docker.errors

    if _listening(gateway_port):
        return 0
    client, _ = docker_client()
    if client is None:
        return 0
    try:
        containers = _own_containers(client, gateway_port)
        volumes = _volumes_of(containers)
        for container in containers:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
    finally:
        client.close()
    if not keep_data:
        remove_volumes(volumes)
    return len(containers)


@contextmanager
def databases_removed_after(
    gateway_port: int | None, *, running: bool, keep_data: bool
) -> Iterator[None]:
    """Around stopping or resetting the MiniStack on ``gateway_port``: afterwards none of its
    database containers is left, nor (unless ``keep_data``) their data volumes.

    A MiniStack that stops or resets removes its containers but not their volumes, so those are
    listed first, while it is ``running``; one that was killed left its containers, which
    :func:`remove_leftovers` removes with their volumes (a live one keeps them).

    Example:
        with databases_removed_after(4566, running=True, keep_data=False):
            ministack_process.stop()
    """
    volumes = database_volumes(gateway_port) if gateway_port and running and not keep_data else []
    yield
    if gateway_port is not None:
        remove_leftovers(gateway_port, keep_data=keep_data)
    remove_volumes(volumes)


def wait_for_instance(rds: Any, instance_id: str, timeout: float = 90.0) -> None:
    """Until MiniStack reports the instance ``available`` (its container accepts connections);
    :class:`ContainerStartError` at once when it reports ``failed``, :class:`TimeoutError` when
    it is neither within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        (instance,) = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        status = instance.get("DBInstanceStatus")
        if status == "available":
            return
        if status == "failed":
            raise ContainerStartError(
                f"MiniStack could not start the PostgreSQL container of instance {instance_id} "
                "(the AWS emulator's log, aws.log in the local cloud's state directory, says why)"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"instance {instance_id} is still {status!r}")
        time.sleep(0.25)


def wait_for_data_api(
    rds_data: Any, cluster_arn: str, secret_arn: str, database: str, timeout: float = 90.0
) -> float:
    """Poll ``SELECT 1`` through the Data API until it answers; the seconds it took.

    Raises :class:`AuroraUnavailableError` when MiniStack runs RDS without Docker (it answers
    with a stub result, not a database), :class:`TimeoutError` when the database never answers.
    """
    started = time.monotonic()
    last_error = ""
    while True:
        try:
            response = rds_data.execute_statement(
                resourceArn=cluster_arn,
                secretArn=secret_arn,
                database=database,
                sql="SELECT 1 AS ready",
            )
        except Exception as error:  # while the container starts: connection refused
            last_error = str(error)
            if "stub mode" in last_error:  # MiniStack found no Docker engine when it started
                raise AuroraUnavailableError(
                    f"the Data API of {cluster_arn} has no database behind it (MiniStack runs "
                    f"RDS as metadata only): {DOCKER_HELP}"
                ) from None
        else:
            if response.get("records") == [[{"longValue": 1}]]:
                return time.monotonic() - started
            raise AuroraUnavailableError(
                f"the Data API of {cluster_arn} answered SELECT 1 with {response.get('records')}"
            )
        if time.monotonic() - started > timeout:
            raise TimeoutError(
                f"the Data API of {cluster_arn} did not answer within {timeout:.0f} s: {last_error}"
            )
        time.sleep(0.25)


def create_database(
    rds: Any,
    cluster_id: str,
    *,
    database: str = "platform",
    master_username: str = "hybridstack_admin",
    rds_data: Any | None = None,
    timeout: float = 90.0,
) -> AuroraDatabase:
    """Create an Aurora PostgreSQL cluster (Data API on, managed master secret) with one
    Serverless v2 instance, and return it once its Data API runs SQL (the errors of
    :func:`wait_for_instance` and :func:`wait_for_data_api` otherwise)."""
    import boto3

    cluster = rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion=LOCAL_ENGINE_VERSION,
        DatabaseName=database,
        MasterUsername=master_username,
        ManageMasterUserPassword=True,
        EnableHttpEndpoint=True,
        StorageEncrypted=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster_id}-1",
        DBClusterIdentifier=cluster_id,
        DBInstanceClass="db.serverless",
        Engine="aurora-postgresql",
    )
    secrets = cluster.get("MasterUserSecret") or {}
    if not secrets.get("SecretArn"):
        raise AuroraUnavailableError(f"cluster {cluster_id} has no managed master secret")
    result = AuroraDatabase(
        cluster_id=cluster_id,
        cluster_arn=cluster["DBClusterArn"],
        secret_arn=secrets["SecretArn"],
        database=database,
    )
    data_api = rds_data or boto3.client(
        "rds-data", endpoint_url=rds.meta.endpoint_url, region_name=rds.meta.region_name
    )
    deadline = time.monotonic() + timeout
    wait_for_instance(rds, f"{cluster_id}-1", timeout)
    wait_for_data_api(
        data_api,
        result.cluster_arn,
        result.secret_arn,
        database,
        max(1.0, deadline - time.monotonic()),
    )
    return result


def main() -> None:
    """Build (or find) the PostgreSQL image and print MiniStack's settings: ``python -m
    hybridstack.emulators.runtime.aurora`` (scripts/setup runs it when a Docker engine answers)."""
    import sys

    started = time.monotonic()
    env = ministack_environment(progress=lambda line: print(line, file=sys.stderr))
    if not env:
        print("Aurora PostgreSQL: no Docker engine, RDS stays metadata only", file=sys.stderr)
        raise SystemExit(1)
    print(
        f"Aurora PostgreSQL image ready in {time.monotonic() - started:.1f} s "
        f"({env['MINISTACK_IMAGE_PREFIX']}/postgres:{LOCAL_MAJOR}-alpine, network {NETWORK})"
    )


if __name__ == "__main__":
    main()
