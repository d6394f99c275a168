"""Every resource type the local deploy engine creates says how it is deleted, and a resource the
program no longer declares is gone from the emulator after the next deploy (as ``pulumi up``
deletes it): SNS topics, Secrets Manager secrets, KMS keys (scheduled for deletion) and Cloud
Storage buckets against the real emulators."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pytest

from hybridstack.emulators.deploy import deploy_local_stack
from hybridstack.emulators.deploy.registry import (
    Created,
    Resource,
    handles,
    load_deletions,
    load_handlers,
)
from tests.repository import REPOSITORY


def test_every_registered_type_says_how_it_is_deleted():
    deletions = load_deletions()
    lacking = sorted(set(load_handlers()) - set(deletions))
    unexplained = sorted(t for t, d in deletions.items() if d.deleter is None and not d.reason)

    assert lacking == [], f"types registered without a deleter: {lacking}"
    assert unexplained == [], f"types with nothing to delete and no reason why: {unexplained}"


def test_a_registration_without_a_deleter_is_refused():
    def handler(ctx, resource: Resource) -> Created:
        return Created(id="x")

    with pytest.raises(TypeError, match="delete"):
        handles("test:index/forgotten:Forgotten")(handler)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="nothing_to_delete"):
        handles("test:index/forgotten:Forgotten", delete=None)(handler)  # type: ignore[arg-type]

    assert "test:index/forgotten:Forgotten" not in load_handlers()


def _program(*, with_resources: bool):
    def program() -> None:
        aws.s3.Bucket("anchor")  # the stack never becomes empty
        if with_resources:
            topic = aws.sns.Topic("alerts")
            secret = aws.secretsmanager.Secret("token", recovery_window_in_days=0)
            key = aws.kms.Key("data")
            bucket = gcp.storage.Bucket("uploads", location="US")
            pulumi.export("topic", topic.arn)
            pulumi.export("secret", secret.arn)
            pulumi.export("key", key.key_id)
            pulumi.export("bucket", bucket.name)

    return program


@pytest.mark.emulators("aws", "storage")
def test_resources_no_longer_declared_are_gone_from_the_emulators(cloud, tmp_path, storage_client):
    from hybridstack.emulators.runtime.clients import aws_client

    state = tmp_path / "deploy.json"
    first = deploy_local_stack(
        cloud, project_dir=REPOSITORY, program=_program(with_resources=True), state_path=state
    )
    sns, secrets, kms = (aws_client(cloud, s) for s in ("sns", "secretsmanager", "kms"))
    topics = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert first.outputs["topic"] in topics
    assert secrets.describe_secret(SecretId=first.outputs["secret"])["ARN"]
    assert kms.describe_key(KeyId=first.outputs["key"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert storage_client.lookup_bucket(first.outputs["bucket"]) is not None

    second = deploy_local_stack(
        cloud, project_dir=REPOSITORY, program=_program(with_resources=False), state_path=state
    )

    assert second.left == []
    assert {urn.rsplit("::", 1)[-1] for urn in second.removed} == {
        "alerts",
        "token",
        "data",
        "uploads",
    }
    assert first.outputs["topic"] not in {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    listed = {s["ARN"] for s in secrets.list_secrets()["SecretList"]}
    assert first.outputs["secret"] not in listed
    metadata = kms.describe_key(KeyId=first.outputs["key"])["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    assert storage_client.lookup_bucket(first.outputs["bucket"]) is None


@pytest.mark.emulators("storage")
def test_a_storage_bucket_holding_objects_is_kept_and_says_why(cloud, tmp_path, storage_client):
    def program(with_bucket: bool):
        def run() -> None:
            if with_bucket:
                pulumi.export("bucket", gcp.storage.Bucket("kept", location="US").name)

        return run

    state = tmp_path / "deploy.json"
    first = deploy_local_stack(
        cloud, project_dir=REPOSITORY, program=program(True), state_path=state
    )
    storage_client.bucket(first.outputs["bucket"]).blob("a.txt").upload_from_string("data")

    second = deploy_local_stack(
        cloud, project_dir=REPOSITORY, program=program(False), state_path=state
    )

    assert [why for _urn, why in second.left] == [
        "the bucket holds objects; empty it to have it deleted"
    ]
    assert storage_client.lookup_bucket(first.outputs["bucket"]) is not None
