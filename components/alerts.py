"""Alerts: an SNS topic, CloudWatch alarms on what matters, and a monthly AWS budget.

The topic is encrypted with its own KMS key (rotation on; its key policy lets CloudWatch and
AWS Budgets publish, which the AWS managed ``aws/sns`` key would not) and e-mails the addresses
given. ``watch_*`` methods add the alarms the reference architectures ask for:

- ``watch_function(fn)``: error rate > ``error_rate_percent`` (default 1 %) over 5 minutes,
  any throttling, and any message in the function's dead-letter queue;
- ``watch_api(api)``: any 5xx, and latency p90 (or p99) above ``latency_ms`` (default 500);
- ``watch_queue(q)``: any message in a ``Queue``'s / ``Schedule``'s dead-letter queue;
- ``watch_count(label, namespace=..., metric_name=...)``: any count a service publishes.

``monthly_budget_usd`` creates a cost budget notifying at each of ``budget_thresholds_percent``
of actual spend (default 50, 80, 100 %) and at 100 % forecast.

Example:
    alerts = Alerts("ops", {"emails": ["oncall@example.com"], "monthly_budget_usd": 200})
    alerts.watch_function(media_fn)
    alerts.watch_api(api, latency_ms=500, percentile="p90")
    alerts.watch_queue(jobs)
    alerts.watch_count("missed-registrations", namespace="hybridstack/identity",
                       metric_name="MissedRegistrations", description="registrations failed")
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, ComponentArgsError, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.key import account_administers_statement
from hybridstack.components.policy_document import policy_json

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d+)?)$")


class HasDeadLetterQueue(Protocol):
    """Anything with a dead-letter queue name: ``Queue``, ``Schedule``."""

    @property
    def component_name(self) -> str: ...

    dead_letter_name: pulumi.Output[str]


def error_rate_queries(function_name: pulumi.Input[str], period: int) -> list[dict[str, Any]]:
    """Metric math: errors / invocations in percent (0 when there were no invocations)."""

    def metric(metric_id: str, metric_name: str) -> dict[str, Any]:
        return {
            "id": metric_id,
            "return_data": False,
            "metric": {
                "namespace": "AWS/Lambda",
                "metric_name": metric_name,
                "dimensions": {"FunctionName": function_name},
                "period": period,
                "stat": "Sum",
            },
        }

    return [
        metric("errors", "Errors"),
        metric("invocations", "Invocations"),
        {
            "id": "error_rate",
            "expression": "IF(invocations > 0, 100 * errors / invocations, 0)",
            "label": "Error rate (%)",
            "return_data": True,
        },
    ]


def budget_notifications(
    topic_arn: pulumi.Input[str], thresholds_percent: Sequence[float]
) -> list[dict[str, Any]]:
    """Notify at each threshold of actual spend, and when the forecast exceeds the budget."""
    actual = [("ACTUAL", float(t)) for t in sorted(thresholds_percent)]
    return [
        {
            "comparison_operator": "GREATER_THAN",
            "notification_type": kind,
            "threshold": threshold,
            "threshold_type": "PERCENTAGE",
            "subscriber_sns_topic_arns": [topic_arn],
        }
        for kind, threshold in [*actual, ("FORECASTED", 100.0)]
    ]


def topic_policy(topic_arn: str, account_id: str) -> str:
    """CloudWatch alarms and AWS Budgets of this account may publish to the topic."""
    return policy_json(
        [
            {
                "Sid": "AllowAlarmsAndBudgets",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def key_policy(account_id: str, partition: str = "aws") -> str:
    """The topic key's policy: the account administers it (as AWS's default key policy does);
    CloudWatch and Budgets may use it to publish. In key policies ``Resource: *`` means this key."""
    return policy_json(
        [
            account_administers_statement(account_id, partition, sid="AccountAdministers"),
            {
                "Sid": "AlarmsAndBudgetsPublish",
                "Effect": "Allow",
                "Principal": {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ]
    )


DEFAULT_BUDGET_THRESHOLDS_PERCENT = (50.0, 80.0, 100.0)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, kw_only=True)
class AlertsArgs(ComponentArgs):
    """Who is told, and the monthly budget."""

    emails: Sequence[str] = ()
    """E-mail addresses subscribed to the topic (each confirms once)."""
    encrypt: bool = True
    """Encrypt the topic with a dedicated KMS key."""
    monthly_budget_usd: float | None = None
    """Create a monthly cost budget of this many USD (none by default)."""
    budget_thresholds_percent: Sequence[float] = DEFAULT_BUDGET_THRESHOLDS_PERCENT
    """Actual-spend thresholds notified, in percent of the budget."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the topic, key, alarms and budget."""

    def __post_init__(self) -> None:
        if isinstance(self.emails, str):
            refuse("emails must be a list of e-mail addresses")
        bad = [e for e in self.emails if not isinstance(e, str) or not _EMAIL.match(e)]
        if bad:
            refuse(f"emails {bad} are not e-mail addresses")
        budget = self.monthly_budget_usd
        if budget is not None and (not _is_number(budget) or budget <= 0):
            refuse(f"monthly_budget_usd={budget!r} must be > 0")
        thresholds = list(self.budget_thresholds_percent)
        if not thresholds or any(not _is_number(t) or not 0 < t <= 1000 for t in thresholds):
            refuse(f"budget_thresholds_percent={thresholds!r} must be percentages in 0..1000")
        if len(set(thresholds)) != len(thresholds):
            refuse("budget_thresholds_percent has duplicates")


class AlertsTransforms(TypedDict, total=False):
    """Reshape a child of the Alerts before it is created (see ``HybridComponent``)."""

    key: Transform
    """``aws.kms.Key``: the topic's encryption key."""
    topic: Transform
    """``aws.sns.Topic``: the alert topic."""
    topic_policy: Transform
    """``aws.sns.TopicPolicy``: CloudWatch and Budgets may publish."""
    subscription: Transform
    """``aws.sns.TopicSubscription``: each e-mail subscription."""
    alarm: Transform
    """``aws.cloudwatch.MetricAlarm``: each alarm a ``watch_*`` call adds."""
    budget: Transform
    """``aws.budgets.Budget``: the monthly cost budget."""


class Alerts(HybridComponent):
    """SNS alert topic + CloudWatch alarms for functions, APIs and dead-letter queues + budget.

    Example:
        alerts = Alerts("ops", {"emails": ["oncall@example.com"], "monthly_budget_usd": 200})
        alerts.watch_function(api_fn, error_rate_percent=1)
    """

    TYPE = "hybridstack:aws:Alerts"
    TRANSFORMS = AlertsTransforms

    topic_arn: pulumi.Output[str]
    """The alert topic's ARN (add your own alarms' actions here)."""

    def __init__(
        self,
        name: str,
        args: AlertsArgs | Mapping[str, Any] | None = None,
        *,
        transform: AlertsTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = AlertsArgs.parse(args, owner=f"Alerts {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self._tags = dict(settings.tags)
        self._alarm_names: set[str] = set()
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self.account_id = aws.get_caller_identity_output(opts=invoke).account_id

        key = self._create_key() if settings.encrypt else None
        topic = self._create_topic(key)
        self._subscribe(topic, settings.emails)
        if settings.monthly_budget_usd is not None:
            self._create_budget(topic, settings.monthly_budget_usd, settings)
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})

    def _create_key(self) -> aws.kms.Key:
        name = self.component_name
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        return self.child(
            "key",
            aws.kms.Key,
            name,
            {
                "description": f"Encrypts the {name} alert topic (hybridstack)",
                "enable_key_rotation": True,
                "deletion_window_in_days": 30,
                "policy": pulumi.Output.all(self.account_id, partition.partition).apply(
                    lambda values: key_policy(values[0], values[1])
                ),
                "tags": self._tags,
            },
        )

    def _create_topic(self, key: aws.kms.Key | None) -> aws.sns.Topic:
        """The topic (encrypted with ``key`` when given) and its policy."""
        name = self.component_name
        topic_args: dict[str, Any] = {"tags": self._tags}
        if key is not None:
            topic_args["kms_master_key_id"] = key.arn
        topic = self.child("topic", aws.sns.Topic, name, topic_args)
        self.child(
            "topic_policy",
            aws.sns.TopicPolicy,
            name,
            {
                "arn": topic.arn,
                "policy": pulumi.Output.all(topic.arn, self.account_id).apply(
                    lambda values: topic_policy(values[0], values[1])
                ),
            },
        )
        return topic

    def _subscribe(self, topic: aws.sns.Topic, emails: Sequence[str]) -> None:
        for index, email in enumerate(emails):
            self.child(
                "subscription",
                aws.sns.TopicSubscription,
                f"{self.component_name}-email-{index + 1}",
                {"topic": topic.arn, "protocol": "email", "endpoint": email},
            )

    def _create_budget(self, topic: aws.sns.Topic, usd: float, settings: AlertsArgs) -> None:
        self.child(
            "budget",
            aws.budgets.Budget,
            self.component_name,
            {
                "budget_type": "COST",
                "limit_amount": f"{float(usd):.2f}",
                "limit_unit": "USD",
                "time_unit": "MONTHLY",
                "notifications": budget_notifications(
                    topic.arn, settings.budget_thresholds_percent
                ),
                "tags": self._tags,
            },
        )

    def _alarm(
        self, label: str, description: str, args: dict[str, Any]
    ) -> aws.cloudwatch.MetricAlarm:
        resource_name = f"{self.component_name}-{label}"
        if resource_name in self._alarm_names:
            raise ComponentArgsError(
                f"Alerts {self.component_name!r}: {label!r} is watched already"
            )
        self._alarm_names.add(resource_name)
        return self.child(
            "alarm",
            aws.cloudwatch.MetricAlarm,
            resource_name,
            {
                "alarm_description": description,
                "alarm_actions": [self.topic_arn],
                "ok_actions": [self.topic_arn],
                "treat_missing_data": "notBreaching",
                "tags": self._tags,
                **args,
            },
        )

    def watch_function(
        self,
        function: Function,
        *,
        error_rate_percent: float = 1.0,
        period_seconds: int = 300,
        evaluation_periods: int = 1,
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """Alarm on the function's error rate, on throttling and on its dead-letter queue."""
        owner = f"Alerts {self.component_name!r}.watch_function"
        if not isinstance(function, Function):
            raise ComponentArgsError(f"{owner}: function must be a Function, not {function!r}")
        if not 0 < error_rate_percent <= 100:
            raise ComponentArgsError(
                f"{owner}: error_rate_percent={error_rate_percent} must be in (0, 100]"
            )
        if period_seconds % 60 or period_seconds <= 0:
            raise ComponentArgsError(f"{owner}: period_seconds={period_seconds} must be n*60")
        label = function.component_name
        alarms = [
            self._alarm(
                f"{label}-error-rate",
                f"{label}: more than {error_rate_percent}% of invocations failed",
                {
                    "comparison_operator": "GreaterThanThreshold",
                    "threshold": error_rate_percent,
                    "evaluation_periods": evaluation_periods,
                    "metric_queries": error_rate_queries(function.function_name, period_seconds),
                },
            ),
            self._alarm(
                f"{label}-throttles",
                f"{label}: invocations were throttled",
                {
                    "namespace": "AWS/Lambda",
                    "metric_name": "Throttles",
                    "dimensions": {"FunctionName": function.function_name},
                    "statistic": "Sum",
                    "period": period_seconds,
                    "evaluation_periods": evaluation_periods,
                    "comparison_operator": "GreaterThanThreshold",
                    "threshold": 0,
                },
            ),
        ]
        if function.dead_letter_queue is not None:
            alarms.append(self._dlq_alarm(f"{label}-dlq", label, function.dead_letter_queue.name))
        return alarms

    def _dlq_alarm(
        self, label: str, owner_name: str, queue_name: pulumi.Input[str]
    ) -> aws.cloudwatch.MetricAlarm:
        return self._alarm(
            label,
            f"{owner_name}: messages are waiting in the dead-letter queue",
            {
                "namespace": "AWS/SQS",
                "metric_name": "ApproximateNumberOfMessagesVisible",
                "dimensions": {"QueueName": queue_name},
                "statistic": "Maximum",
                "period": 300,
                "evaluation_periods": 1,
                "comparison_operator": "GreaterThanThreshold",
                "threshold": 0,
            },
        )

    def watch_queue(self, queue: HasDeadLetterQueue) -> aws.cloudwatch.MetricAlarm:
        """Alarm as soon as a message lands in the dead-letter queue of ``queue``."""
        name = getattr(queue, "dead_letter_name", None)
        if name is None:
            raise ComponentArgsError(
                f"Alerts {self.component_name!r}.watch_queue: {queue!r} has no dead-letter "
                "queue (pass a Queue or Schedule)"
            )
        return self._dlq_alarm(f"{queue.component_name}-dlq", queue.component_name, name)

    def watch_count(
        self,
        label: str,
        *,
        namespace: str,
        metric_name: str,
        description: str,
        period_seconds: int = 300,
    ) -> aws.cloudwatch.MetricAlarm:
        """Alarm as soon as a count the services publish (embedded metric format) is above 0 in
        a period, e.g. ``MissedRegistrations``."""
        owner = f"Alerts {self.component_name!r}.watch_count"
        if not namespace or not metric_name:
            raise ComponentArgsError(f"{owner}: namespace and metric_name must not be empty")
        if period_seconds % 60 or period_seconds <= 0:
            raise ComponentArgsError(f"{owner}: period_seconds={period_seconds} must be n*60")
        return self._alarm(
            label,
            description,
            {
                "namespace": namespace,
                "metric_name": metric_name,
                "statistic": "Sum",
                "period": period_seconds,
                "evaluation_periods": 1,
                "comparison_operator": "GreaterThanThreshold",
                "threshold": 0,
            },
        )

    def watch_api(
        self,
        api: HttpApi,
        *,
        latency_ms: float = 500,
        percentile: str = "p90",
        server_errors: int = 0,
        period_seconds: int = 300,
        evaluation_periods: int = 1,
    ) -> list[aws.cloudwatch.MetricAlarm]:
        """Alarm on more than ``server_errors`` 5xx and on slow ``percentile`` latency."""
        owner = f"Alerts {self.component_name!r}.watch_api"
        if not isinstance(api, HttpApi):
            raise ComponentArgsError(f"{owner}: api must be an HttpApi, not {api!r}")
        match = _PERCENTILE.match(percentile)
        if not match or not 0 < float(match.group(1)) < 100:
            raise ComponentArgsError(f"{owner}: percentile={percentile!r} must look like p90/p99")
        if latency_ms <= 0:
            raise ComponentArgsError(f"{owner}: latency_ms={latency_ms} must be > 0")
        label = api.component_name
        dimensions = {"ApiId": api.api_id, "Stage": "$default"}
        common = {
            "namespace": "AWS/ApiGateway",
            "dimensions": dimensions,
            "period": period_seconds,
            "evaluation_periods": evaluation_periods,
            "comparison_operator": "GreaterThanThreshold",
        }
        return [
            self._alarm(
                f"{label}-5xx",
                f"{label}: the API answered with server errors",
                {**common, "metric_name": "5xx", "statistic": "Sum", "threshold": server_errors},
            ),
            self._alarm(
                f"{label}-latency-{percentile}",
                f"{label}: {percentile} latency above {latency_ms} ms",
                {
                    **common,
                    "metric_name": "Latency",
                    "extended_statistic": percentile,
                    "threshold": latency_ms,
                },
            ),
        ]
