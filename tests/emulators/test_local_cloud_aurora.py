"""Aurora PostgreSQL in the local cloud: the Data API runs real SQL in a PostgreSQL container that
listens on 127.0.0.1 only, goes away on reset and on stop, and says why when Docker is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import docker
import pytest

from hybridstack.emulators.runtime.aurora import (
    LOCAL_MAJOR,
    AuroraDatabase,
    AuroraUnavailableError,
    create_database,
    wait_for_data_api,
)
from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.local_cloud import LocalCloud


def _sql(rds_data: Any, db: AuroraDatabase, sql: str, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = rds_data.execute_statement(
        resourceArn=db.cluster_arn, secretArn=db.secret_arn, database=db.database, sql=sql, **extra
    )
    return result


def _database_containers(cluster_id: str) -> list[Any]:
    client = docker.from_env()
    try:
        return list(client.containers.list(all=True, filters={"label": f"cluster_id={cluster_id}"}))
    finally:
        client.close()


def test_the_data_api_runs_sql_in_a_real_postgresql(
    aurora_database: AuroraDatabase, aws_session: Any
) -> None:
    rds_data = aws_session.client("rds-data")
    version = _sql(rds_data, aurora_database, "SELECT version()")["records"][0][0]["stringValue"]
    assert version.startswith(f"PostgreSQL {LOCAL_MAJOR}.")

    _sql(rds_data, aurora_database, "CREATE TABLE notes (id bigint PRIMARY KEY, body text)")
    _sql(
        rds_data,
        aurora_database,
        "INSERT INTO notes VALUES (:id, :body)",
        parameters=[
            {"name": "id", "value": {"longValue": 1}},
            {"name": "body", "value": {"stringValue": "it's kept"}},
        ],
    )
    # A rolled-back transaction leaves nothing behind; a committed one does.
    transaction = rds_data.begin_transaction(
        resourceArn=aurora_database.cluster_arn,
        secretArn=aurora_database.secret_arn,
        database=aurora_database.database,
    )["transactionId"]
    _sql(
        rds_data,
        aurora_database,
        "INSERT INTO notes VALUES (2, 'rolled back')",
        transactionId=transaction,
    )
    rds_data.rollback_transaction(
        resourceArn=aurora_database.cluster_arn,
        secretArn=aurora_database.secret_arn,
        transactionId=transaction,
    )
    rows = _sql(rds_data, aurora_database, "SELECT id, body FROM notes ORDER BY id")["records"]
    assert rows == [[{"longValue": 1}, {"stringValue": "it's kept"}]]

    # Constraints are the database's own: a duplicate key is refused.
    with pytest.raises(rds_data.exceptions.ClientError, match="duplicate key"):
        _sql(rds_data, aurora_database, "INSERT INTO notes VALUES (1, 'again')")


def test_the_database_listens_on_loopback_only(aurora_database: AuroraDatabase) -> None:
    (container,) = _database_containers(aurora_database.cluster_id)
    bindings = [
        binding
        for published in container.attrs["NetworkSettings"]["Ports"].values()
        for binding in published or []
    ]
    assert bindings, "the database port is published for host clients"
    assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}


def _volumes(containers: list[Any]) -> set[str]:
    return {m["Name"] for c in containers for m in c.attrs["Mounts"] if m["Type"] == "volume"}


def _existing_volumes(names: set[str]) -> set[str]:
    client = docker.from_env()
    try:
        return {volume.name for volume in client.volumes.list() if volume.name in names}
    finally:
        client.close()


def _clients(endpoints: LocalCloudEndpoints) -> tuple[Any, Any]:
    return aws_client(endpoints, "rds"), aws_client(endpoints, "rds-data")


def _create_database(cloud: LocalCloud, cluster_id: str) -> tuple[AuroraDatabase, list[Any]]:
    """A database in ``cloud``, and the containers it runs in."""
    rds, rds_data = _clients(cloud.endpoints)
    database = create_database(rds, cluster_id, rds_data=rds_data)
    return database, _database_containers(cluster_id)


def _kill_ministack(cloud: LocalCloud) -> None:
    """Kill the cloud's MiniStack outright: no chance to remove its database containers."""
    os.killpg(cloud.pids()["aws"], signal.SIGKILL)


def _assert_removed(cluster_id: str, containers: list[Any]) -> None:
    """Neither the database's containers nor their data volumes are left."""
    assert _database_containers(cluster_id) == []
    assert _existing_volumes(_volumes(containers)) == set()


def test_reset_removes_clusters_with_their_data_so_an_id_can_be_reused(
    local_cloud: Any, aurora_database: AuroraDatabase, aws_session: Any
) -> None:
    containers = _database_containers(aurora_database.cluster_id)
    assert _volumes(containers), "MiniStack keeps a cluster's data in a named volume"
    local_cloud.reset()
    assert aws_session.client("rds").describe_db_clusters()["DBClusters"] == []
    _assert_removed(aurora_database.cluster_id, containers)
    # The same id again gets a new database with the new password (not the old data).
    again = create_database(
        aws_session.client("rds"),
        aurora_database.cluster_id,
        rds_data=aws_session.client("rds-data"),
    )
    assert again.secret_arn != aurora_database.secret_arn


def test_stopping_the_cloud_removes_its_database_containers(
    docker_engine: None, tmp_path: Path
) -> None:
    with LocalCloud(services=["aws"], state_dir=tmp_path) as cloud:
        database, containers = _create_database(cloud, "stopped-with-the-cloud")
        assert len(containers) == 1
    _assert_removed(database.cluster_id, containers)


def test_stop_removes_the_databases_of_a_ministack_that_crashed(
    docker_engine: None, tmp_path: Path
) -> None:
    with LocalCloud(services=["aws"], state_dir=tmp_path) as cloud:
        database, containers = _create_database(cloud, "crashed-ministack")
        _kill_ministack(cloud)
        while not cloud.exited():
            time.sleep(0.05)
        assert len(_database_containers(database.cluster_id)) == 1
    _assert_removed(database.cluster_id, containers)


def test_a_restart_of_a_crashed_ministack_removes_its_databases(
    docker_engine: None, tmp_path: Path
) -> None:
    from hybridstack.emulators.runtime.supervision import Restarted, Supervisor

    with LocalCloud(services=["aws"], state_dir=tmp_path) as cloud:
        database, containers = _create_database(cloud, "restarted-ministack")
        supervisor = Supervisor(cloud, recovery="-")
        _kill_ministack(cloud)
        while not (events := supervisor.check()):
            time.sleep(0.05)
        assert [type(event) for event in events] == [Restarted]
        _assert_removed(database.cluster_id, containers)  # not left behind by the restart


KILLED_OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from hybridstack.emulators.runtime.aurora import create_database
    from hybridstack.emulators.runtime.clients import aws_client
    from hybridstack.emulators.runtime.local_cloud import LocalCloud

    cloud = LocalCloud(services=["aws"], state_dir=Path(sys.argv[1]))
    endpoints = cloud.start()
    create_database(aws_client(endpoints, "rds"), "left-by-a-killed-run",
                    rds_data=aws_client(endpoints, "rds-data"))
    print("ready", flush=True)
    time.sleep(600)
    """
)


def test_the_next_run_removes_the_databases_a_killed_run_left(
    docker_engine: None, tmp_path: Path
) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", KILLED_OWNER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline().strip() == "ready"
        containers = _database_containers("left-by-a-killed-run")
        assert len(containers) == 1
        os.kill(owner.pid, signal.SIGKILL)  # its MiniStack and database outlive it
        owner.wait(timeout=10)
        assert len(_database_containers("left-by-a-killed-run")) == 1

        with LocalCloud(services=["aws"], state_dir=tmp_path):
            _assert_removed("left-by-a-killed-run", containers)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()


def test_without_docker_the_data_api_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with LocalCloud(services=["aws"], state_dir=tmp_path / "cloud") as cloud:
        rds, rds_data = _clients(cloud.endpoints)
        with pytest.raises(AuroraUnavailableError, match="start a Docker engine"):
            create_database(rds, "no-docker", rds_data=rds_data)


def test_a_persisted_cloud_keeps_its_databases_across_restarts(
    docker_engine: None, tmp_path: Path
) -> None:
    volumes: set[str] = set()
    try:
        with LocalCloud(services=["aws"], state_dir=tmp_path, persist=True) as cloud:
            database, containers = _create_database(cloud, "kept-across-restarts")
            volumes = _volumes(containers)
            _, rds_data = _clients(cloud.endpoints)
            _sql(rds_data, database, "CREATE TABLE kept (x integer)")
            _sql(rds_data, database, "INSERT INTO kept VALUES (42)")
        assert _existing_volumes(volumes) == volumes

        with LocalCloud(services=["aws"], state_dir=tmp_path, persist=True) as cloud:
            _, rds_data = _clients(cloud.endpoints)
            wait_for_data_api(
                rds_data, database.cluster_arn, database.secret_arn, database.database
            )
            rows = _sql(rds_data, database, "SELECT x FROM kept")["records"]
            assert rows == [[{"longValue": 42}]]
    finally:
        client = docker.from_env()
        for name in _existing_volumes(volumes):
            client.volumes.get(name).remove()
        client.close()
