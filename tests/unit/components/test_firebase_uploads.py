"""FirebaseUploads: users upload only under their uid; objects are pushed to AWS and synced."""

from pathlib import Path
from typing import Any

import pytest

from hybridstack.components.args import ComponentArgsError
from hybridstack.components.cross_cloud_access import CrossCloudAccess, fixed_role_name
from hybridstack.components.firebase_uploads import (
    DEFAULT_MAX_UPLOAD_BYTES,
    FirebaseUploads,
    push_account_id,
    storage_rules,
)
from hybridstack.components.firestore_rules import find_open_rules
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import make_code_root

SYNC = "app.svc.health.handler.handle"


def test_storage_rules_let_a_user_write_only_their_own_uploads_up_to_the_limit() -> None:
    rules = storage_rules(max_upload_bytes=1024)
    assert "service firebase.storage" in rules
    assert "match /uploads/{uid}/{file}" in rules
    assert "request.auth.uid == uid" in rules
    assert "request.resource.size <= 1024" in rules
    assert "delete" not in rules
    assert find_open_rules(rules) == []
    assert str(DEFAULT_MAX_UPLOAD_BYTES) in storage_rules()


def test_push_account_ids_are_valid_service_account_ids() -> None:
    assert push_account_id("media") == "media-push"
    assert push_account_id("9_Media Store") == "media-store-push"
    assert push_account_id("a") == "a-push"  # 6 characters: the shortest id GCP takes


def _uploads(code_root: Path, **extra: Any) -> Any:
    def program() -> FirebaseUploads:
        api = HttpApi("api", {"authorizer": JwtAuthorizerConfig.firebase("acme")})
        target = SecureBucket("media")
        access = CrossCloudAccess(
            "xc", {"project": "acme", "trusted_aws_roles": [fixed_role_name("media", "sync")]}
        )
        return FirebaseUploads(
            "media",
            {
                "project": "acme",
                "api": api,
                "access": access,
                "sync_handler": SYNC,
                "sync": {"code_root": str(code_root), "layer": False},
                "link": [target],
                **extra,
            },
        )

    return program


def test_standalone_uploads_release_rules_and_sync_into_the_linked_bucket(tmp_path: Path) -> None:
    resources = run_under_mocks(
        _uploads(make_code_root(tmp_path), max_upload_bytes=2048), stack="dev"
    )
    (bucket,) = of_type(resources, "gcp:storage/bucket:Bucket")
    (ruleset,) = of_type(resources, "gcp:firebaserules/ruleset:Ruleset")
    (file,) = ruleset.inputs["source"]["files"]
    assert file["name"] == "storage.rules"
    assert "request.resource.size <= 2048" in file["content"]
    (release,) = of_type(resources, "gcp:firebaserules/release:Release")
    assert release.inputs["name"] == f"firebase.storage/{bucket.outputs['name']}"
    assert release.inputs["rulesetName"] == f"projects/acme/rulesets/{ruleset.outputs['name']}"
    (sync,) = of_type(resources, "aws:lambda/function:Function")
    env = sync.inputs["environment"]["variables"]
    (target,) = [b for b in of_type(resources, "aws:s3/bucket:Bucket") if b.name == "media"]
    assert env["MEDIA_BUCKET_NAME"] == target.outputs["bucket"]
    assert env["MEDIA_FIREBASE_BUCKET"] == bucket.outputs["name"]
    roles = {r.inputs.get("name") for r in of_type(resources, "aws:iam/role:Role")}
    assert "media-sync-dev" in roles  # the name ``access`` trusts


def test_each_pubsub_agent_grant_is_its_own_role(tmp_path: Path) -> None:
    seen: list[str] = []

    def spy(role: str) -> Any:
        def record(args: dict[str, Any]) -> None:
            seen.append(role)

        return record

    roles = ("token_creator_grant", "dead_letter_publisher_grant", "dead_letter_ack_grant")

    def program() -> None:
        FirebaseUploads(
            "media",
            {
                "project": "demo-acme",
                "api": HttpApi("api", {}),
                "sync_handler": SYNC,
                "sync": {"code_root": str(make_code_root(tmp_path)), "layer": False},
            },
            transform={role: spy(role) for role in roles},  # type: ignore[arg-type]
        )

    run_under_mocks(program, stack="local")
    assert sorted(seen) == sorted(roles)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"max_delivery_attempts": 2}, "max_delivery_attempts=2"),
        ({"cors_origins": "https://app.acme.com"}, "cors_origins must be a list"),
        ({"sync": {"handler": SYNC}}, "give the handler as sync_handler"),
        ({"access": None}, "access \\(a CrossCloudAccess"),
    ],
)
def test_invalid_arguments_are_named(tmp_path: Path, extra: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(_uploads(make_code_root(tmp_path), **extra), mocks=mocks)
    assert not of_type(mocks.resources, "gcp:storage/bucket:Bucket")
