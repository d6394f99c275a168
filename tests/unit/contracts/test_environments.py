"""One definition of production: the components' defaults and the reference platform's config
agree on what each environment gets (``hybridstack.components.stack_defaults``)."""

from __future__ import annotations

from typing import Any

import pytest

from hybridstack.components.http_api import HttpApi
from hybridstack.components.secret import Secret
from hybridstack.components.stack_defaults import (
    default_log_retention_days,
    environment,
    is_local,
    is_production,
    is_production_like,
)
from hybridstack.testing import of_type, run_under_mocks
from reference_platform.config import parse_stack_config

# env -> (log retention days, data protected, CloudFront on)
OUTCOMES = {
    "local": (7, False, False),
    "dev": (7, False, False),
    "staging": (30, False, True),
    "prod": (30, True, True),
}


@pytest.mark.parametrize(
    ("stack", "env"),
    [
        ("local", "local"),
        ("local-ci", "local"),
        ("dev", "dev"),
        ("feature-x", "dev"),
        ("producer", "dev"),
        ("staging", "staging"),
        ("stage", "staging"),
        ("staging-eu", "staging"),
        ("prod", "prod"),
        ("production", "prod"),
        ("prod-eu", "prod"),
        ("live", "prod"),
    ],
)
def test_a_stack_name_says_its_environment(stack: str, env: str) -> None:
    assert environment(stack) == env
    assert is_production(stack) is (env == "prod")
    assert is_local(stack) is (env == "local")


@pytest.mark.parametrize("env", list(OUTCOMES))
def test_components_and_platform_config_agree_per_environment(env: str) -> None:
    retention, protected, cdn = OUTCOMES[env]
    assert default_log_retention_days(env) == retention
    assert is_production(env) is protected
    assert is_production_like(env) is cdn
    config = parse_stack_config({"env": env})
    assert config.log_retention_days == retention
    assert config.protect_data is protected
    assert config.is_prod is protected
    assert config.media.cdn is cdn
    assert config.static_site.cdn is cdn


def _component_defaults(stack: str, config: dict[str, Any] | None = None) -> tuple[int, int]:
    """(the HttpApi's log retention, the Secret's recovery window) on ``stack``."""
    resources = run_under_mocks(
        lambda: (HttpApi("api"), Secret("token")), stack=stack, config=config
    )
    (group,) = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    (secret,) = of_type(resources, "aws:secretsmanager/secret:Secret")
    return group.inputs["retentionInDays"], secret.inputs["recoveryWindowInDays"]


@pytest.mark.parametrize("env", list(OUTCOMES))
def test_components_default_by_the_stack_name(env: str) -> None:
    retention, protected, _ = OUTCOMES[env]
    assert _component_defaults(env) == (retention, 30 if protected else 7)


def test_the_configured_env_outranks_the_stack_name() -> None:
    """A stack named ``blue`` whose stack file says ``hybridstack:env: prod`` is production for
    the components too, as it is for the platform's config."""
    assert _component_defaults("blue", {"hybridstack:env": "prod"}) == (30, 30)
    assert _component_defaults("prod-copy", {"hybridstack:env": "staging"}) == (30, 7)
