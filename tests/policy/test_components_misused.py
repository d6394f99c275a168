"""The safe defaults can be overridden (transforms, escape hatches); the policy checks catch it.

A team composing hybridstack components can still open a bucket with a transform, grant ``*``,
drop an authorizer or ship open rules through a transform: each case fails the check that
covers it, naming the child resource."""

from __future__ import annotations

from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import JwtAuthorizerConfig
from hybridstack.components.link import IamStatement
from hybridstack.components.realtime_store import RealtimeStore
from hybridstack.components.schedule import Schedule
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.policy import Violation, check_resources
from hybridstack.testing import run_under_mocks
from tests.policy.bad_program import OPEN_RULES

HANDLER = "hybridstack.services.api.handler.handle"


def _violations(program: Any, stack: str = "dev") -> list[Violation]:
    return check_resources(run_under_mocks(program, stack=stack), stack=stack)


def test_a_transform_that_unblocks_public_access_is_caught() -> None:
    def allow_public_policy(args: dict[str, Any]) -> None:
        args["block_public_policy"] = False
        args["restrict_public_buckets"] = False

    violations = _violations(
        lambda: SecureBucket("site", transform={"public_access_block": allow_public_policy})
    )
    assert [(v.rule, v.resource) for v in violations] == [("s3-public-access-blocked", "site")]
    assert "blockPublicPolicy, restrictPublicBuckets off" in violations[0].reason


def test_a_wildcard_grant_is_caught() -> None:
    def program() -> None:
        worker = Function("worker", {"handler": HANDLER, "layer": False})
        worker.grant("everything-in-s3", [IamStatement(["s3:*"], ["*"])])

    violations = [v for v in _violations(program) if v.rule == "iam-no-wildcards"]
    assert violations
    assert all(v.resource.startswith("worker") for v in violations)
    assert any("allows every action (s3:*)" in v.reason for v in violations)


def test_a_scheduled_function_without_dead_letter_queue_is_caught() -> None:
    def program() -> None:
        job = Function("nightly", {"handler": HANDLER, "layer": False, "dead_letter": False})
        Schedule("nightly", {"function": job, "schedule": "cron(0 3 * * ? *)"})

    violations = [v for v in _violations(program) if v.rule == "lambda-async-dlq"]
    assert [v.resource for v in violations] == ["nightly"]


def test_a_transform_that_drops_the_authorizer_is_caught() -> None:
    def no_auth(args: dict[str, Any]) -> None:
        args["authorization_type"] = "NONE"
        args.pop("authorizer_id", None)

    def program() -> None:
        api = HttpApi(
            "api",
            {"authorizer": JwtAuthorizerConfig.firebase("demo-app")},
            transform={"route": no_auth},
        )
        fn = Function("api-fn", {"handler": HANDLER, "layer": False, "dead_letter": False})
        api.route("DELETE /media/{id}", fn)

    violations = [v for v in _violations(program) if v.rule == "api-route-authorized"]
    assert [v.resource for v in violations] == ["api-delete-media-id"]


def test_open_rules_are_refused_up_front_and_caught_when_smuggled_in() -> None:
    with pytest.raises(ComponentArgsError, match="Firestore rules are open: line 4"):
        RealtimeStore("chat", {"project": "demo-app", "rules": OPEN_RULES})

    def smuggle(args: dict[str, Any]) -> None:
        args["source"] = {"files": [{"name": "firestore.rules", "content": OPEN_RULES}]}

    violations = _violations(
        lambda: RealtimeStore("chat", {"project": "demo-app"}, transform={"ruleset": smuggle})
    )
    assert [v.rule for v in violations] == ["firestore-rules-not-open"]
    assert "lets anyone" in violations[0].reason


def test_production_protection_switched_off_is_caught_on_prod_only() -> None:
    def program() -> None:
        SecureBucket("uploads", {"versioning": False})

    assert _violations(program, stack="dev") == []
    violations = _violations(program, stack="prod")
    assert [(v.rule, v.resource) for v in violations] == [("prod-data-protected", "uploads")]


def test_an_sns_subscribed_function_without_dead_letter_queue_is_caught() -> None:
    import pulumi_aws as aws

    def program() -> None:
        topic = aws.sns.Topic("events", kms_master_key_id="alias/aws/sns")
        safe = Function("audited", {"handler": HANDLER, "layer": False})
        unsafe = Function("notifier", {"handler": HANDLER, "layer": False, "dead_letter": False})
        for function in (safe, unsafe):
            aws.sns.TopicSubscription(
                f"{function.component_name}-sub",
                topic=topic.arn,
                protocol="lambda",
                endpoint=function.arn,
            )
            function.allow_invoke_from(function.component_name, "sns.amazonaws.com", topic.arn)

    violations = [v for v in _violations(program) if v.rule == "lambda-async-dlq"]
    assert [v.resource for v in violations] == ["notifier"]
    assert "TopicSubscription 'notifier-sub'" in violations[0].reason
