"""Key and Secret: rotation, no secret value in state, least-privilege links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.key import Key
from hybridstack.components.secret import Secret
from hybridstack.testing import ACCOUNT_ID, RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import actions_on, make_code_root, policy_statements


def test_key_rotates_has_an_alias_and_leaves_access_to_iam() -> None:
    resources = run_under_mocks(lambda: Key("tokens"), stack="prod")
    (key,) = of_type(resources, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["deletionWindowInDays"] == 30
    (statement,) = json.loads(key.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    (alias,) = of_type(resources, "aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/tokens"
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"]


def test_secret_holds_no_value_and_is_recoverable_longer_in_prod() -> None:
    for stack, days in (("dev", 7), ("prod", 30)):
        resources = run_under_mocks(lambda: Secret("spotify"), stack=stack)
        (secret,) = of_type(resources, "aws:secretsmanager/secret:Secret")
        assert secret.inputs["recoveryWindowInDays"] == days
        assert of_type(resources, "aws:secretsmanager/secretVersion:SecretVersion") == []


def test_links_grant_this_key_and_this_secret_only(tmp_path: Path) -> None:
    root = make_code_root(tmp_path)

    def program() -> None:
        key = Key("tokens")
        secret = Secret("spotify", {"kms_key_arn": key.arn})
        Function(
            "oauth",
            {
                "handler": "app.svc.health.handler.handle",
                "code_root": str(root),
                "layer": False,
                "dead_letter": False,
                "link": [key.decrypt_only(), secret],
            },
        )

    resources = run_under_mocks(program)
    (key,) = of_type(resources, "aws:kms/key:Key")
    (secret,) = of_type(resources, "aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == key.outputs["arn"]
    statements = policy_statements(of_type(resources, "aws:iam/rolePolicy:RolePolicy")[0])
    assert actions_on(statements, key.outputs["arn"]) == {"kms:Decrypt", "kms:DescribeKey"}
    assert actions_on(statements, secret.outputs["arn"]) == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"] == {
        "TOKENS_KEY_ARN": key.outputs["arn"],
        "SPOTIFY_SECRET_ARN": secret.outputs["arn"],
    }


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Key("k", {"alias": "aws/mine"}), r"alias='aws/mine'"),
        (lambda: Key("k", {"rotation_days": 30}), r"rotation_days=30"),
        (lambda: Secret("s", {"recovery_window_days": 3}), r"recovery_window_days=3"),
    ],
)
def test_bad_arguments_are_named_before_anything_registers(factory: Any, message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(factory, mocks=mocks)
    assert mocks.resources == []
