"""persist=True: what was in S3, Firestore, Auth and Storage is there again after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import requests

from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.local_cloud import LocalCloud

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SERVICES = ["aws", "auth", "firestore", "storage"]
OWNER = {"Authorization": "Bearer owner"}
USER = {"email": "kept@example.com", "password": "secret-123"}


def s3(endpoints: LocalCloudEndpoints) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=endpoints.aws,
        region_name=endpoints.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def document_url(endpoints: LocalCloudEndpoints) -> str:
    return (
        f"http://{endpoints.firestore}/v1/projects/{endpoints.project_id}"
        "/databases/(default)/documents/things"
    )


def auth_url(endpoints: LocalCloudEndpoints, method: str) -> str:
    return f"http://{endpoints.auth}/identitytoolkit.googleapis.com/v1/accounts:{method}?key=k"


def write_kept(endpoints: LocalCloudEndpoints) -> None:
    """An S3 object, a Firestore document, an Auth user and a Storage object."""
    s3(endpoints).create_bucket(Bucket="kept")
    s3(endpoints).put_object(Bucket="kept", Key="key", Body=b"value")
    requests.post(
        f"{document_url(endpoints)}?documentId=a",
        json={"fields": {"n": {"integerValue": "7"}}},
        headers=OWNER,
        timeout=10,
    ).raise_for_status()
    requests.post(auth_url(endpoints, "signUp"), json=USER, timeout=10).raise_for_status()
    storage = str(endpoints.storage)
    requests.post(f"{storage}/storage/v1/b", json={"name": "kept"}, timeout=10)
    requests.post(
        f"{storage}/upload/storage/v1/b/kept/o",
        params={"uploadType": "media", "name": "object"},
        data=b"bytes",
        timeout=10,
    ).raise_for_status()


def check_kept(endpoints: LocalCloudEndpoints) -> None:
    """What :func:`write_kept` wrote is there."""
    body = s3(endpoints).get_object(Bucket="kept", Key="key")["Body"].read()
    assert body == b"value"
    document = requests.get(f"{document_url(endpoints)}/a", headers=OWNER, timeout=10)
    assert document.json()["fields"]["n"] == {"integerValue": "7"}
    signed_in = requests.post(auth_url(endpoints, "signInWithPassword"), json=USER, timeout=10)
    assert signed_in.status_code == 200, signed_in.text
    stored = requests.get(
        f"{endpoints.storage}/download/storage/v1/b/kept/o/object",
        params={"alt": "media"},
        timeout=10,
    )
    assert stored.content == b"bytes"


def test_data_survives_a_restart_only_when_persisting(tmp_path: Path) -> None:
    with LocalCloud(services=SERVICES, persist=True, state_dir=tmp_path) as cloud:
        write_kept(cloud.endpoints)

    with LocalCloud(services=SERVICES, persist=True, state_dir=tmp_path) as cloud:
        check_kept(cloud.endpoints)

    with LocalCloud(services=["firestore"], persist=False, state_dir=tmp_path) as cloud:
        missing = requests.get(f"{document_url(cloud.endpoints)}/a", headers=OWNER, timeout=10)
        assert missing.status_code == 404
