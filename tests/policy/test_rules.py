"""The policy rules fire on a deliberately unsafe program, naming the resource and the rule,
and stay quiet on its safe twin."""

from __future__ import annotations

import pytest

from hybridstack.policy import (
    RULES,
    PolicyViolationError,
    Violation,
    assert_policies,
    check_resources,
    is_production,
)
from hybridstack.testing import run_under_mocks
from tests.policy.bad_program import bad_program, safe_program


@pytest.fixture(scope="module")
def bad_violations() -> list[Violation]:
    return check_resources(run_under_mocks(bad_program, stack="prod"), stack="prod")


def _found(violations: list[Violation], rule: str, resource: str) -> list[Violation]:
    return [v for v in violations if v.rule == rule and v.resource == resource]


@pytest.mark.parametrize(
    ("rule", "resource", "reason"),
    [
        ("s3-bucket-encrypted", "open-bucket", "no default server-side encryption"),
        ("s3-public-access-blocked", "open-bucket", "no BucketPublicAccessBlock"),
        ("s3-deny-non-tls", "open-bucket", "aws:SecureTransport"),
        ("iam-no-wildcards", "admin-role-policy", "allows every action (*)"),
        ("iam-no-wildcards", "admin-role-policy", "on resource '*'"),
        ("lambda-async-dlq", "on-upload", "BucketNotification 'uploads-events'"),
        ("lambda-log-group-retained", "api", "has no retentionInDays"),
        ("api-route-authorized", "delete-media", "'DELETE /media/{id}' has authorization NONE"),
        ("firestore-rules-not-open", "firestore-rules", "lets anyone"),
        ("prod-data-protected", "table", "point-in-time recovery is off"),
        ("prod-data-protected", "table", "deletion protection is off"),
        ("prod-data-protected", "open-bucket", "versioning is not enabled"),
    ],
)
def test_bad_program_breaks_the_rule_naming_the_resource(
    bad_violations: list[Violation], rule: str, resource: str, reason: str
) -> None:
    found = _found(bad_violations, rule, resource)
    assert found, f"no {rule} violation for {resource}; got: {bad_violations}"
    assert any(reason in v.reason for v in found), found


def test_every_rule_fires_on_the_bad_program(bad_violations: list[Violation]) -> None:
    assert {v.rule for v in bad_violations} == set(RULES)


def test_allowed_wildcards_and_public_routes_are_not_violations(
    bad_violations: list[Violation],
) -> None:
    flagged = {v.resource for v in bad_violations}
    assert "tracing-role-policy" not in flagged  # xray:PutTraceSegments needs Resource '*'
    assert "worker-role-policy" not in flagged
    # GET /health has no authorizer either: only a declared public route passes.
    assert _found(bad_violations, "api-route-authorized", "health")
    resources = run_under_mocks(bad_program)
    routes = check_resources(
        resources, rules=["api-route-authorized"], public_routes=["GET /health"]
    )
    assert [v.resource for v in routes] == ["delete-media"]


def test_safe_program_passes_every_rule_on_prod() -> None:
    resources = assert_policies(safe_program, stack="prod", public_routes=["GET /health"])
    assert resources


def test_production_rules_only_apply_to_production_stacks() -> None:
    dev = check_resources(run_under_mocks(bad_program), stack="dev")
    assert "prod-data-protected" not in {v.rule for v in dev}
    assert is_production("prod")
    assert is_production("production")
    assert is_production("prod-eu")
    assert not is_production("dev")
    assert not is_production("producer")


def test_assert_policies_lists_every_violation_in_its_message() -> None:
    with pytest.raises(PolicyViolationError) as caught:
        assert_policies(bad_program, stack="dev")
    message = str(caught.value)
    assert "[s3-public-access-blocked] aws:s3/bucket:Bucket 'open-bucket'" in message
    assert "[firestore-rules-not-open] gcp:firebaserules/ruleset:Ruleset 'firestore-rules'" in (
        message
    )
    assert len(caught.value.violations) == message.count("\n  - ")


def test_unknown_rule_names_the_rules_that_exist() -> None:
    with pytest.raises(ValueError, match="unknown policy rule"):
        check_resources([], rules=["s3-bucket-encrypted", "no-such-rule"])
