"""The stack config: per-environment defaults, and errors that name the key and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from hybridstack.testing import run_under_mocks
from reference_platform.config import (
    StackConfig,
    StackConfigError,
    load_stack_config,
    parse_stack_config,
)


def _load(stack: str, config: dict[str, Any] | None = None) -> StackConfig:
    loaded: list[StackConfig] = []
    run_under_mocks(lambda: loaded.append(load_stack_config()), stack=stack, config=config)
    return loaded[0]


def test_dev_defaults_keep_logs_a_week_and_skip_cdn_and_data_protection() -> None:
    config = _load("dev")
    assert config.env == "dev"
    assert config.log_retention_days == 7
    assert config.protect_data is False
    assert config.media.cdn is False
    assert config.static_site.cdn is False


def test_prod_defaults_keep_logs_a_month_and_protect_data() -> None:
    config = _load("prod", {"firebase_project_id": "acme-music-prod"})
    assert config.is_prod
    assert config.log_retention_days == 30
    assert config.protect_data is True
    assert config.media.cdn is True
    assert config.static_site.cdn is True
    assert config.media.retention_days == 365


def test_env_comes_from_config_before_the_stack_name() -> None:
    config = _load("eu-1", {"env": "staging", "media": {"cdn": False}})
    assert config.env == "staging"
    assert config.media.cdn is False  # explicit value wins over the environment default
    assert config.static_site.cdn is True


def test_values_arrive_as_strings_and_json_objects_like_the_cli_sends_them() -> None:
    config = _load(
        "dev",
        {
            "hybridstack:log_retention_days": "14",
            "hybridstack:media": '{"retention_days": 90, "enabled": true}',
            "hybridstack:database": "both",
        },
    )
    assert config.log_retention_days == 14
    assert config.media.retention_days == 90
    assert config.database == "both"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"media": {"retention_days": 0}}, r"hybridstack:media\.retention_days = 0: .*1 to 3650"),
        ({"env": "qa"}, r"hybridstack:env = 'qa': allowed: 'dev', 'staging', 'prod' or 'local'"),
        ({"database": "mysql"}, r"hybridstack:database = 'mysql': .*'dynamodb', 'postgres'"),
        ({"log_retention_days": 10}, r"hybridstack:log_retention_days = 10: .*7, 14, 30"),
        ({"analytics": {"schedule": "hourly"}}, r"hybridstack:analytics\.schedule .*rate\("),
        ({"alerts": {"email": "ops"}}, r"hybridstack:alerts\.email = 'ops'"),
        ({"alerts": {"budget_usd": -5}}, r"hybridstack:alerts\.budget_usd = -5"),
        (
            {"media": {"retension_days": 3}},
            r"hybridstack:media\.retension_days: unknown key; "
            r"allowed keys: cdn, cors_origins, enabled, max_upload_mb, retention_days",
        ),
        ({"env": "local", "firebase_project_id": "acme-prod"}, r"firebase_project_id .*'demo-'"),
        ({"aws_region": "mars"}, r"hybridstack:aws_region = 'mars'"),
        ({"identity_issuer": "http://issuer.example/x"}, r"hybridstack:identity_issuer = .*https"),
    ],
)
def test_invalid_values_name_the_key_and_the_allowed_values(
    values: dict[str, Any], expected: str
) -> None:
    with pytest.raises(StackConfigError, match=expected):
        parse_stack_config(values)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config({"env": "qa", "media": {"retention_days": -1}, "typo": 1})
    keys = [p.split(" ")[0].rstrip(":") for p in caught.value.problems]
    assert sorted(keys) == [
        "hybridstack:env",
        "hybridstack:media.retention_days",
        "hybridstack:typo",
    ]


def test_regions_and_project_come_from_the_provider_config_when_not_set() -> None:
    config = _load("dev", {"aws:region": "eu-west-3", "gcp:project": "acme-eu-dev"})
    assert config.aws_region == "eu-west-3"
    assert config.firebase_project_id == "acme-eu-dev"


def test_disagreeing_with_the_provider_config_names_both_keys() -> None:
    with pytest.raises(StackConfigError) as caught:
        _load(
            "prod",
            {
                "aws:region": "us-east-1",
                "hybridstack:aws_region": "eu-west-1",
                "gcp:project": "acme-prod",
                "hybridstack:firebase_project_id": "acme-prod",
                "hybridstack:media": {"retention_days": 0},
            },
        )
    message = str(caught.value)
    assert "hybridstack:aws_region = 'eu-west-1' disagrees with aws:region = 'us-east-1'" in (
        message
    )
    assert "hybridstack:media.retention_days = 0" in message  # reported together
    assert "firebase_project_id" not in message
