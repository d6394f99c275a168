"""Schedule: expression validation, retries + DLQ on the target, invoke only from this rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.schedule import Schedule, validate_schedule_expression
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import make_code_root


@pytest.fixture
def code_root(tmp_path: Path) -> Path:
    return make_code_root(tmp_path)


def _fn(code_root: Path) -> Function:
    return Function(
        "collector",
        {"handler": "app.svc.media.handler.process", "code_root": str(code_root), "layer": False},
    )


@pytest.mark.parametrize(
    "good", ["rate(1 minute)", "rate(5 minutes)", "rate(2 days)", "cron(0 6 * * ? *)",
             "cron(0/15 8-17 ? * MON-FRI *)", "cron(0 12 L * ? 2026)"],
)  # fmt: skip
def test_valid_expressions_pass(good: str) -> None:
    assert validate_schedule_expression(good) == good


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("rate(1 minutes)", r"write rate\(1 minute\)"),
        ("rate(5 minute)", r"write rate\(5 minutes\)"),
        ("rate(0 minutes)", "at least 1"),
        ("cron(0 6 * * *)", "cron needs 6 fields"),
        ("cron(0 6 * * MON *)", "must be '\\?'"),
        ("every 5 minutes", r"must be rate\("),
        ("cron(0 6 * * ? ^)", r"invalid cron field\(s\) \^"),
    ],
)
def test_invalid_expressions_say_why(bad: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        validate_schedule_expression(bad)


def test_target_retries_then_dead_letters_and_only_this_rule_may_invoke(code_root: Path) -> None:
    def program() -> None:
        Schedule(
            "hourly",
            {
                "function": _fn(code_root),
                "schedule": "rate(1 hour)",
                "input": {"source": "spotify"},
                "max_retries": 5,
            },
        )

    resources = run_under_mocks(program)
    (rule,) = of_type(resources, "aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["scheduleExpression"] == "rate(1 hour)"
    assert rule.inputs["state"] == "ENABLED"
    (target,) = of_type(resources, "aws:cloudwatch/eventTarget:EventTarget")
    queues = {q.name: q for q in of_type(resources, "aws:sqs/queue:Queue")}
    dlq = queues["hourly-dlq"]
    assert dlq.inputs["sqsManagedSseEnabled"] is True
    assert target.inputs["deadLetterConfig"] == {"arn": dlq.outputs["arn"]}
    assert target.inputs["retryPolicy"] == {
        "maximumRetryAttempts": 5,
        "maximumEventAgeInSeconds": 3600,
    }
    assert json.loads(target.inputs["input"]) == {"source": "spotify"}
    (function,) = of_type(resources, "aws:lambda/function:Function")
    assert target.inputs["arn"] == function.outputs["arn"]
    (permission,) = of_type(resources, "aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["sourceArn"] == rule.outputs["arn"]
    (queue_policy,) = of_type(resources, "aws:sqs/queuePolicy:QueuePolicy")
    (statement,) = json.loads(queue_policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
    assert statement["Resource"] == dlq.outputs["arn"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"schedule": "every hour"}, r"Schedule 'nightly': schedule 'every hour' must be"),
        ({"schedule": "rate(1 hour)", "max_retries": 200}, r"max_retries=200"),
        ({"schedule": "rate(1 hour)", "function": "fn"}, r"function must be a Function"),
    ],
)
def test_bad_arguments_are_named_before_anything_registers(
    code_root: Path, args: dict[str, Any], message: str
) -> None:
    mocks = RecordingMocks()

    def program() -> None:
        fn = _fn(code_root)
        mocks.resources.clear()  # only what the Schedule registers counts
        Schedule("nightly", {"function": fn, **args})

    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(program, mocks=mocks)
    assert [r for r in mocks.resources if "Schedule" in r.type or r.name.startswith("night")] == []


def test_transform_reaches_the_rule(code_root: Path) -> None:
    resources = run_under_mocks(
        lambda: Schedule(
            "nightly",
            {"function": _fn(code_root), "schedule": "cron(0 3 * * ? *)", "enabled": False},
            transform={"rule": lambda a: {**a, "description": "custom"}},
        )
    )
    (rule,) = of_type(resources, "aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["description"] == "custom"
    assert rule.inputs["state"] == "DISABLED"
