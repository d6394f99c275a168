"""The CrossGuard pack runs the same rules: its validations, fed what the engine would send,
report the same violations against the right URNs; the pack module lists every rule."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from hybridstack.crossguard import build_policies
from hybridstack.policy import RULES
from hybridstack.testing import RegisteredResource, run_under_mocks
from tests.policy.bad_program import bad_program, safe_program

ROOT = Path(__file__).resolve().parents[2]


def _urn(resource: RegisteredResource) -> str:
    return f"urn:pulumi:prod::hybridstack::{resource.type}::{resource.name}"


def _as_engine_sends(resources: list[RegisteredResource]) -> list[PolicyResource]:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return [
        PolicyResource(
            r.type,
            unknown_checking_proxy(dict(r.outputs)),
            _urn(r),
            r.name,
            options,
            None,
            None,
            [],
            {},
        )
        for r in resources
    ]


def _run_pack(
    resources: list[PolicyResource], config: dict[str, dict[str, Any]] | None = None
) -> dict[str, list[tuple[str, str | None]]]:
    reported: dict[str, list[tuple[str, str | None]]] = {}
    for policy in build_policies():
        found: list[tuple[str, str | None]] = []

        def report(message: str, urn: str | None, found: list[Any] = found) -> None:
            found.append((message, urn))

        args = StackValidationArgs(resources, (config or {}).get(policy.name, {"env": "prod"}))
        try:
            policy.validate(args, report)
        except Exception as exc:  # not_applicable / unknown values surface as exceptions
            found.append((type(exc).__name__, None))
        reported[policy.name] = found
    return reported


def test_pack_has_one_mandatory_policy_per_rule() -> None:
    policies = build_policies()
    assert [p.name for p in policies] == list(RULES)
    assert {p.enforcement_level for p in policies} == {EnforcementLevel.MANDATORY}


def test_pack_reports_violations_against_the_resource_urn() -> None:
    resources = run_under_mocks(bad_program, stack="prod")
    reported = _run_pack(_as_engine_sends(resources))
    by_name = {r.name: _urn(r) for r in resources}
    assert all(reported[rule] for rule in RULES), reported
    (message, urn) = next(m for m in reported["lambda-async-dlq"] if "on-upload" in m[0])
    assert urn == by_name["on-upload"]
    assert "[lambda-async-dlq]" in message
    assert any(urn == by_name["firestore-rules"] for _, urn in reported["firestore-rules-not-open"])


def test_pack_passes_the_safe_program_with_configured_public_routes() -> None:
    resources = _as_engine_sends(run_under_mocks(safe_program, stack="prod"))
    config = {"api-route-authorized": {"publicRoutes": ["GET /health"]}}
    reported = _run_pack(resources, config)
    assert reported == {rule: [] for rule in RULES}


def test_production_rule_is_not_applicable_outside_production() -> None:
    resources = _as_engine_sends(run_under_mocks(bad_program))
    reported = _run_pack(resources, {"prod-data-protected": {"env": "dev"}})
    assert reported["prod-data-protected"] == [("_NotApplicableError", None)]


def test_unknown_policy_documents_defer_to_the_update_instead_of_failing() -> None:
    resources = run_under_mocks(safe_program, stack="prod")
    for resource in resources:
        if resource.type == "aws:s3/bucketPolicy:BucketPolicy":
            resource.outputs["policy"] = UNKNOWN_STRING_VALUE  # as in a first preview
    reported = _run_pack(_as_engine_sends(resources))
    assert reported["s3-deny-non-tls"] == [("UnknownValueError", None)]


def test_policypack_main_starts_the_pack_with_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "hybridstack.crossguard.PolicyPack", lambda **kwargs: started.append(kwargs)
    )
    runpy.run_path(str(ROOT / "policypack" / "__main__.py"), run_name="__main__")
    (pack,) = started
    assert pack["name"] == "hybridstack"
    assert [p.name for p in pack["policies"]] == list(RULES)
    assert pulumi_policy.PolicyPack is not None
    manifest = (ROOT / "policypack" / "PulumiPolicy.yaml").read_text()
    assert "virtualenv: ../.venv" in manifest


def test_pack_passes_the_reference_platform_on_prod() -> None:
    from reference_platform.program import PUBLIC_ROUTES, build_platform
    from tests.unit.program.stacks import stack_config

    resources = run_under_mocks(build_platform, stack="prod", config=stack_config("prod"))
    config = {"api-route-authorized": {"publicRoutes": list(PUBLIC_ROUTES)}}
    reported = _run_pack(_as_engine_sends(resources), config)
    assert reported == {rule: [] for rule in RULES}
