"""Alerts: encrypted topic others may publish to, alarms per target, budget thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hybridstack.components.alerts import Alerts
from hybridstack.components.component import ComponentArgsError
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.queue import Queue
from hybridstack.testing import ACCOUNT_ID, RecordingMocks, of_type, run_under_mocks
from tests.unit.components.aws_helpers import make_code_root

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture
def code_root(tmp_path: Path) -> Path:
    return make_code_root(tmp_path)


def _alarms(resources: list[Any]) -> dict[str, Any]:
    return {a.name: a for a in of_type(resources, ALARM)}


def test_topic_is_encrypted_with_a_rotating_key_and_open_to_alarms_and_budgets() -> None:
    resources = run_under_mocks(lambda: Alerts("ops", {"emails": ["oncall@example.com"]}))
    (key,) = of_type(resources, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    (topic,) = of_type(resources, "aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    key_statements = json.loads(key.inputs["policy"])["Statement"]
    publishers = next(s for s in key_statements if s["Sid"] == "AlarmsAndBudgetsPublish")
    assert set(publishers["Principal"]["Service"]) == {
        "cloudwatch.amazonaws.com",
        "budgets.amazonaws.com",
    }
    (policy,) = of_type(resources, "aws:sns/topicPolicy:TopicPolicy")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == topic.outputs["arn"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    (subscription,) = of_type(resources, "aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "oncall@example.com"


def test_function_error_rate_throttles_and_dlq_alarms(code_root: Path) -> None:
    def program() -> None:
        fn = Function(
            "media",
            {"handler": "app.svc.media.handler.process", "code_root": str(code_root),
             "layer": False},
        )  # fmt: skip
        Alerts("ops").watch_function(fn, error_rate_percent=1)

    resources = run_under_mocks(program)
    alarms = _alarms(resources)
    assert set(alarms) == {"ops-media-error-rate", "ops-media-throttles", "ops-media-dlq"}
    (topic,) = of_type(resources, "aws:sns/topic:Topic")
    assert all(a.inputs["alarmActions"] == [topic.outputs["arn"]] for a in alarms.values())
    rate = alarms["ops-media-error-rate"]
    assert rate.inputs["threshold"] == 1
    expression = next(q for q in rate.inputs["metricQueries"] if q.get("expression"))
    assert expression["expression"] == "IF(invocations > 0, 100 * errors / invocations, 0)"
    (function,) = of_type(resources, "aws:lambda/function:Function")
    metrics = [q["metric"] for q in rate.inputs["metricQueries"] if q.get("metric")]
    assert {m["metricName"] for m in metrics} == {"Errors", "Invocations"}
    assert all(m["dimensions"] == {"FunctionName": function.outputs["name"]} for m in metrics)
    (dlq,) = of_type(resources, "aws:sqs/queue:Queue")
    assert alarms["ops-media-dlq"].inputs["dimensions"] == {"QueueName": dlq.outputs["name"]}


def test_api_5xx_and_latency_percentile_alarms() -> None:
    def program() -> None:
        Alerts("ops").watch_api(HttpApi("api"), latency_ms=500, percentile="p99")

    resources = run_under_mocks(program)
    alarms = _alarms(resources)
    (api,) = of_type(resources, "aws:apigatewayv2/api:Api")
    five = alarms["ops-api-5xx"]
    assert five.inputs["metricName"] == "5xx"
    assert five.inputs["dimensions"] == {"ApiId": api.id, "Stage": "$default"}
    latency = alarms["ops-api-latency-p99"]
    assert latency.inputs["extendedStatistic"] == "p99"
    assert latency.inputs["threshold"] == 500


def test_queue_dead_letter_depth_alarm() -> None:
    def program() -> None:
        Alerts("ops").watch_queue(Queue("jobs"))

    resources = run_under_mocks(program)
    queues = {q.name: q for q in of_type(resources, "aws:sqs/queue:Queue")}
    alarm = _alarms(resources)["ops-jobs-dlq"]
    assert alarm.inputs["dimensions"] == {"QueueName": queues["jobs-dlq"].outputs["name"]}
    assert alarm.inputs["threshold"] == 0
    assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"


def test_budget_notifies_at_each_threshold_and_on_forecast() -> None:
    resources = run_under_mocks(
        lambda: Alerts("ops", {"monthly_budget_usd": 200, "budget_thresholds_percent": [80, 50]})
    )
    (budget,) = of_type(resources, "aws:budgets/budget:Budget")
    assert budget.inputs["limitAmount"] == "200.00"
    assert budget.inputs["timeUnit"] == "MONTHLY"
    notices = [(n["notificationType"], n["threshold"]) for n in budget.inputs["notifications"]]
    assert notices == [("ACTUAL", 50.0), ("ACTUAL", 80.0), ("FORECASTED", 100.0)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"emails": ["not-an-address"]}, r"emails \['not-an-address'\]"),
        ({"monthly_budget_usd": 0}, r"monthly_budget_usd=0"),
        ({"monthly_budget_usd": 10, "budget_thresholds_percent": [50, 50]}, "duplicates"),
    ],
)
def test_bad_arguments_are_named_before_anything_registers(
    args: dict[str, Any], message: str
) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: Alerts("ops", args), mocks=mocks)
    assert mocks.resources == []


def test_bad_watch_arguments_and_transform() -> None:
    with pytest.raises(ComponentArgsError, match="percentile='90th'"):
        run_under_mocks(lambda: Alerts("ops").watch_api(HttpApi("api"), percentile="90th"))
    resources = run_under_mocks(
        lambda: Alerts("ops", transform={"topic": lambda a: {**a, "display_name": "Ops"}})
    )
    assert of_type(resources, "aws:sns/topic:Topic")[0].inputs["displayName"] == "Ops"
