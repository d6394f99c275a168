"""persist=True under crashes: what a ``kill -9`` of the owner or of one emulator keeps, exactly as
the README promises, and a versioned Cloud Storage bucket deploys into a persisting cloud."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_gcp as gcp
import requests

from hybridstack.emulators.deploy import deploy_local_stack
from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.run_state import read_state
from hybridstack.emulators.runtime.supervision import Restarted, Supervisor
from tests.emulators.polling import poll
from tests.emulators.test_local_cloud_persist import check_kept, write_kept
from tests.repository import REPOSITORY

HYBRIDSTACK = str(Path(sys.executable).with_name("hybridstack"))
OWNER = {"Authorization": "Bearer owner"}


def _documents(endpoints: LocalCloudEndpoints) -> str:
    return (
        f"http://{endpoints.firestore}/v1/projects/{endpoints.project_id}"
        "/databases/(default)/documents/things"
    )


def _write_document(endpoints: LocalCloudEndpoints, name: str) -> None:
    requests.post(
        f"{_documents(endpoints)}?documentId={name}",
        json={"fields": {"n": {"integerValue": "7"}}},
        headers=OWNER,
        timeout=10,
    ).raise_for_status()


def _document_exists(endpoints: LocalCloudEndpoints, name: str) -> bool:
    response = requests.get(f"{_documents(endpoints)}/{name}", headers=OWNER, timeout=10)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def test_firestore_killed_keeps_every_write_up_to_the_last_checkpoint(tmp_path: Path) -> None:
    with LocalCloud(services=["firestore"], persist=True, state_dir=tmp_path) as cloud:
        supervisor = Supervisor(cloud, recovery="-", checkpoint_seconds=0)  # every check saves
        _write_document(cloud.endpoints, "checkpointed")
        assert supervisor.check() == []  # no death; a checkpoint
        _write_document(cloud.endpoints, "after-the-checkpoint")
        os.kill(cloud.pids()["firestore"], signal.SIGKILL)
        [event] = poll(supervisor.check, "Firestore restarted")
        assert isinstance(event, Restarted)
        assert event.lost == "Firestore writes of the last 10 s at most (since the last checkpoint)"
        assert _document_exists(cloud.endpoints, "checkpointed")
        assert not _document_exists(cloud.endpoints, "after-the-checkpoint")  # as promised


def test_ministack_killed_keeps_s3_objects_and_loses_resources_made_since_its_last_stop(
    tmp_path: Path,
) -> None:
    with LocalCloud(services=["aws"], persist=True, state_dir=tmp_path) as cloud:
        aws_client(cloud.endpoints, "dynamodb").create_table(
            TableName="kept-from-a-clean-stop",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    with LocalCloud(services=["aws"], persist=True, state_dir=tmp_path) as cloud:
        s3 = aws_client(cloud.endpoints, "s3")
        dynamodb = aws_client(cloud.endpoints, "dynamodb")
        s3.create_bucket(Bucket="written-through")
        s3.put_object(Bucket="written-through", Key="key", Body=b"value")
        dynamodb.create_table(
            TableName="made-since-the-last-stop",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        supervisor = Supervisor(cloud, recovery="-")
        os.kill(cloud.pids()["aws"], signal.SIGKILL)
        [event] = poll(supervisor.check, "MiniStack restarted")
        assert isinstance(event, Restarted)
        assert event.stack_affected
        body = s3.get_object(Bucket="written-through", Key="key")["Body"].read()
        assert body == b"value"
        tables = dynamodb.list_tables()["TableNames"]
        assert tables == ["kept-from-a-clean-stop"]  # the README's words: lost since last stop


def test_a_killed_owner_loses_nothing_its_persisting_emulators_acknowledged(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "HYBRIDSTACK_STATE_DIR": str(tmp_path)}
    up = subprocess.Popen(
        [HYBRIDSTACK, "local", "up", "--persist", "--services", "aws,auth,firestore,storage"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        state = poll(lambda: read_state(tmp_path), "local up recorded its state")
        endpoints = state.endpoints
        write_kept(endpoints)
        aws_client(endpoints, "dynamodb").create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    finally:
        up.kill()  # SIGKILL: no export at stop, no chance to clean up
        up.wait()

    with LocalCloud(
        services=["aws", "auth", "firestore", "storage"], persist=True, state_dir=tmp_path
    ) as cloud:
        endpoints = cloud.endpoints
        assert set(cloud.removed_orphans) == {"aws", "firebase", "issuer", "firestore", "storage"}
        check_kept(cloud.endpoints)
        assert aws_client(cloud.endpoints, "dynamodb").list_tables()["TableNames"] == ["kept"]


def test_a_versioned_storage_bucket_deploys_into_a_persisting_cloud(tmp_path: Path) -> None:
    def program() -> None:
        bucket = gcp.storage.Bucket("media-uploads", location="US", versioning={"enabled": True})
        pulumi.export("bucket", bucket.name)

    with LocalCloud(services=["storage"], persist=True, state_dir=tmp_path) as cloud:
        result = deploy_local_stack(
            cloud.endpoints,
            project_dir=REPOSITORY,
            program=program,
            state_path=tmp_path / "deploy.json",
        )
        bucket = result.outputs["bucket"]
        [adapted] = result.adapted
        assert (adapted.type, adapted.name) == ("gcp:storage/bucket:Bucket", "media-uploads")
        assert "no object versions" in adapted.reason
        listed = requests.get(f"{cloud.endpoints.storage}/storage/v1/b/{bucket}", timeout=10)
        assert listed.status_code == 200, listed.text
    with LocalCloud(services=["storage"], persist=True, state_dir=tmp_path) as cloud:
        again = deploy_local_stack(  # a new deploy record: the kept bucket is created again
            cloud.endpoints,
            project_dir=REPOSITORY,
            program=program,
            state_path=tmp_path / "again.json",
        )
        assert again.outputs["bucket"] == bucket
        assert [item.name for item in again.adapted] == ["media-uploads"]

    with LocalCloud(services=["storage"], persist=False, state_dir=tmp_path / "memory") as cloud:
        result = deploy_local_stack(
            cloud.endpoints,
            project_dir=REPOSITORY,
            program=program,
            state_path=tmp_path / "memory.json",
        )
        assert result.adapted == []  # in memory, fake-gcs-server keeps object versions
        bucket = requests.get(
            f"{cloud.endpoints.storage}/storage/v1/b/{result.outputs['bucket']}", timeout=10
        ).json()
        assert bucket["versioning"] == {"enabled": True}
