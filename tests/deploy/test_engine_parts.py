"""The engine's pure parts: wire shapes, stable names, archives Lambda receives."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile

import pulumi
import pytest

from hybridstack.emulators.deploy.archives import archive_bytes, archive_fingerprint, content_hash
from hybridstack.emulators.deploy.aws_dynamodb import index_shape
from hybridstack.emulators.deploy.mocks import inputs_hash
from hybridstack.emulators.deploy.naming import physical_name
from hybridstack.emulators.deploy.shapes import pascal, unwrap_secrets

URN = "urn:pulumi:local::hybridstack::hybridstack:aws:Function$aws:lambda/function:Function::api"


def test_camel_case_inputs_become_the_aws_api_shape():
    rules = [{"id": "expire", "status": "Enabled", "expiration": {"days": 7.0}}]

    assert pascal(rules) == [{"ID": "expire", "Status": "Enabled", "Expiration": {"Days": 7}}]
    assert pascal({"maxAgeSeconds": 3000.0, "allowedOrigins": ["*"]}) == {
        "MaxAgeSeconds": 3000,
        "AllowedOrigins": ["*"],
    }


def test_secret_inputs_are_unwrapped():
    secret = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": {"token": "s3cr3t"},
    }

    assert unwrap_secrets({"environment": [secret]}) == {"environment": [{"token": "s3cr3t"}]}


def test_auto_names_are_stable_per_declaration_and_differ_between_parents():
    other = URN.replace("hybridstack:aws:Function$", "hybridstack:aws:HttpApi$")

    assert physical_name(URN, "api") == physical_name(URN, "api")
    assert physical_name(URN, "api") != physical_name(other, "api")
    assert physical_name(URN, "api").startswith("api-")
    assert physical_name(URN, "Media", lower=True).startswith("media-")
    long_name = physical_name(URN, "a" * 80, max_length=63)
    assert len(long_name) == 63
    assert long_name.endswith(physical_name(URN, "x")[-7:])


def test_code_archives_zip_deterministically_and_change_with_the_code(tmp_path):
    handler = tmp_path / "handler.py"
    handler.write_text("def handle(event, context):\n    return 1\n")
    archive = pulumi.AssetArchive(
        {
            "app/handler.py": pulumi.FileAsset(str(handler)),
            "app/__init__.py": pulumi.StringAsset(""),
        }
    )

    first, second = archive_bytes(archive), archive_bytes(archive)
    handler.write_text("def handle(event, context):\n    return 2\n")
    changed = archive_bytes(archive)

    assert first == second
    assert content_hash(changed) != content_hash(first)
    with zipfile.ZipFile(io.BytesIO(changed)) as zipped:
        assert sorted(zipped.namelist()) == ["app/__init__.py", "app/handler.py"]
        assert b"return 2" in zipped.read("app/handler.py")


def test_inputs_hash_follows_archive_content(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("A = 1\n")
    inputs = {"code": pulumi.AssetArchive({"m.py": pulumi.FileAsset(str(module))}), "timeout": 3}

    before = inputs_hash(inputs)
    module.write_text("A = 2\n")

    assert inputs_hash(inputs) != before
    assert inputs_hash({**inputs, "timeout": 4}) != inputs_hash(inputs)


def test_tls_only_denials_are_left_out_of_local_bucket_policies_and_the_rest_kept():
    from hybridstack.emulators.deploy.aws_s3 import local_bucket_policy

    tls_only = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    logs = {"Sid": "AllowLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3"}}
    other_condition = {"Bool": {"aws:ViaAWSService": "false"}}
    deny_other = {**tls_only, "Sid": "DenyOther", "Condition": other_condition}

    policy, dropped = local_bucket_policy(
        json.dumps({"Version": "2012-10-17", "Statement": [tls_only, logs, deny_other]})
    )
    only_tls, dropped_all = local_bucket_policy(json.dumps({"Statement": [tls_only]}))

    assert dropped == ["DenyInsecureTransport"]
    assert json.loads(str(policy))["Statement"] == [logs, deny_other]
    assert only_tls is None
    assert dropped_all == ["DenyInsecureTransport"]


def test_an_archive_file_rewritten_with_its_size_and_time_kept_changes_the_fingerprint(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("A = 1\n")
    past = time.time() - 60
    os.utime(module, (past, past))
    archive = pulumi.AssetArchive({"m.py": pulumi.FileAsset(str(module))})
    before = archive_fingerprint(archive)
    written = module.stat()

    module.write_text("A = 2\n")
    os.utime(module, ns=(written.st_atime_ns, written.st_mtime_ns))

    after = archive_fingerprint(archive)
    assert after != before
    assert archive_fingerprint(archive) == after


def test_archive_fingerprints_follow_entry_names(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("A = 1\n")

    one = archive_fingerprint(pulumi.AssetArchive({"a.py": pulumi.FileAsset(str(module))}))
    other = archive_fingerprint(pulumi.AssetArchive({"b.py": pulumi.FileAsset(str(module))}))

    assert one != other


def test_global_secondary_indexes_take_their_keys_from_key_schemas():
    declared = {
        "name": "GSI1",
        "keySchemas": [
            {"attributeName": "GSI1PK", "keyType": "HASH"},
            {"attributeName": "GSI1SK", "keyType": "RANGE"},
        ],
        "projectionType": "INCLUDE",
        "nonKeyAttributes": ["title"],
    }

    assert index_shape(declared, "PAY_PER_REQUEST") == {
        "IndexName": "GSI1",
        "KeySchema": [
            {"AttributeName": "GSI1PK", "KeyType": "HASH"},
            {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]},
    }
    with pytest.raises(ValueError, match="'GSI1' declares no key_schemas"):
        index_shape({"name": "GSI1", "hashKey": "GSI1PK"}, "PAY_PER_REQUEST")
