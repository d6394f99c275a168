"""S3 on the AWS emulator: objects in and out, and the pre-signed uploads a browser would make."""

from __future__ import annotations

import os

import boto3
import pytest
import requests
from botocore.exceptions import ClientError


def test_put_then_get_returns_the_same_bytes_and_metadata(s3):
    s3.create_bucket(Bucket="media")
    s3.put_object(
        Bucket="media",
        Key="tracks/intro.mp3",
        Body=b"ID3\x00audio",
        ContentType="audio/mpeg",
        Metadata={"artist": "alice"},
    )

    got = s3.get_object(Bucket="media", Key="tracks/intro.mp3")

    assert got["Body"].read() == b"ID3\x00audio"
    assert got["ContentType"] == "audio/mpeg"
    assert got["Metadata"] == {"artist": "alice"}
    listed = s3.list_objects_v2(Bucket="media", Prefix="tracks/")
    assert [o["Key"] for o in listed["Contents"]] == ["tracks/intro.mp3"]


def test_missing_key_is_a_no_such_key_error(s3):
    s3.create_bucket(Bucket="media")
    with pytest.raises(ClientError) as error:
        s3.get_object(Bucket="media", Key="nope.txt")
    assert error.value.response["Error"]["Code"] in {"NoSuchKey", "404"}


def test_presigned_put_uploads_without_credentials(s3):
    s3.create_bucket(Bucket="uploads")
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": "uploads", "Key": "avatars/alice.png", "ContentType": "image/png"},
        ExpiresIn=300,
    )

    response = requests.put(
        url, data=b"\x89PNG fake", headers={"Content-Type": "image/png"}, timeout=30
    )

    assert response.status_code == 200, response.text
    got = s3.get_object(Bucket="uploads", Key="avatars/alice.png")
    assert got["Body"].read() == b"\x89PNG fake"
    assert got["ContentType"] == "image/png"


def test_presigned_post_form_upload(s3):
    s3.create_bucket(Bucket="uploads")
    form = s3.generate_presigned_post(
        Bucket="uploads",
        Key="inbox/${filename}",
        Conditions=[["content-length-range", 1, 1024]],
        ExpiresIn=300,
    )

    response = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("note.txt", b"hello from a form")},
        timeout=30,
    )

    assert response.status_code in (200, 201, 204), response.text
    assert s3.get_object(Bucket="uploads", Key="inbox/note.txt")["Body"].read() == (
        b"hello from a form"
    )


def test_service_code_without_endpoint_reaches_the_emulator(s3, cloud):
    """Services make plain boto3 clients; the session environment points them at the emulator."""
    assert os.environ["AWS_ENDPOINT_URL"] == cloud.aws
    s3.create_bucket(Bucket="plain-client")

    plain = boto3.client("s3")

    assert "plain-client" in [b["Name"] for b in plain.list_buckets()["Buckets"]]
