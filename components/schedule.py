"""Schedule: an EventBridge rule invoking a Function on a ``rate(...)`` or ``cron(...)``.

The target retries failed deliveries (``max_retries``, ``max_event_age_seconds``) and sends what
still fails to an encrypted SQS dead-letter queue that only this rule may write to, so a missed
run is visible (alarm on it with ``Alerts.watch_queue``) instead of lost. The function's resource
policy lets only this rule invoke it.

The expression is checked when the program runs, with the reason:
``rate(5 minutes)``, ``rate(1 hour)``, ``cron(0 6 * * ? *)`` (six fields, UTC; one of
day-of-month / day-of-week must be ``?``).

Example:
    collector = Function("analytics", {"handler": "hybridstack.services.analytics.jobs.run",
                                       "timeout": 300})
    Schedule("spotify-hourly", {"function": collector, "schedule": "rate(1 hour)",
                                "input": {"sources": ["spotify"]}})
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, in_range, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.dead_letter import create_dead_letter_queue
from hybridstack.components.function import Function
from hybridstack.components.policy_document import policy_json

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?,/#LW-]+$")


def validate_schedule_expression(expression: str) -> str:
    """Return ``expression`` if EventBridge accepts it, else raise ValueError saying why."""
    if not isinstance(expression, str):
        raise ValueError(f"schedule must be a string, not {type(expression).__name__}")
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ValueError(f"schedule {expression!r}: the rate must be at least 1")
        if (value == 1) != (not unit.endswith("s")):
            right = unit.rstrip("s") if value == 1 else unit if unit.endswith("s") else unit + "s"
            raise ValueError(f"schedule {expression!r}: write rate({value} {right})")
        return expression
    cron = _CRON.match(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ValueError(
                f"schedule {expression!r}: cron needs 6 fields (minutes hours day-of-month month "
                f"day-of-week year), got {len(fields)}"
            )
        bad = [f for f in fields if not _CRON_FIELD.match(f)]
        if bad:
            raise ValueError(f"schedule {expression!r}: invalid cron field(s) {', '.join(bad)}")
        if "?" not in (fields[2], fields[4]):
            raise ValueError(
                f"schedule {expression!r}: one of day-of-month ({fields[2]}) and day-of-week "
                f"({fields[4]}) must be '?'"
            )
        return expression
    raise ValueError(
        f"schedule {expression!r} must be rate(<n> <minute(s)|hour(s)|day(s)>) or "
        "cron(<6 fields>), e.g. rate(5 minutes) or cron(0 6 * * ? *)"
    )


def dead_letter_queue_policy(queue_arn: str, rule_arn: str) -> str:
    """The DLQ policy: only EventBridge, for this one rule, may send to the queue."""
    return policy_json(
        [
            {
                "Sid": "AllowThisRuleOnly",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ]
    )


DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_EVENT_AGE_SECONDS = 3600


@dataclass(frozen=True, kw_only=True)
class ScheduleArgs(ComponentArgs):
    """When to invoke which Function, with what, and how hard to retry."""

    function: Function
    """The Function to invoke (required)."""
    schedule: str
    """``rate(5 minutes)`` or ``cron(0 6 * * ? *)`` (required; UTC)."""
    input: pulumi.Input[Mapping[str, Any]] | None = None
    """The event the function receives (default: EventBridge's scheduled event)."""
    enabled: bool = True
    """Whether the rule fires."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Delivery retries, 0-185."""
    max_event_age_seconds: int = DEFAULT_MAX_EVENT_AGE_SECONDS
    """How long EventBridge keeps retrying, 60-86400."""
    description: str | None = None
    """The rule's description (default ``<schedule> -> <function>``)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the rule and the dead-letter queue."""

    def __post_init__(self) -> None:
        if not isinstance(self.function, Function):
            refuse(f"function must be a Function, not {self.function!r}")
        try:
            validate_schedule_expression(self.schedule)
        except ValueError as error:
            refuse(str(error))
        in_range("max_retries", self.max_retries, 0, 185)
        in_range("max_event_age_seconds", self.max_event_age_seconds, 60, 86_400)


class ScheduleTransforms(TypedDict, total=False):
    """Reshape a child of the Schedule before it is created (see ``HybridComponent``)."""

    rule: Transform
    """``aws.cloudwatch.EventRule``: the schedule rule."""
    dead_letter_queue: Transform
    """``aws.sqs.Queue``: where deliveries that still fail go."""
    dead_letter_policy: Transform
    """``aws.sqs.QueuePolicy``: only this rule may send to the dead-letter queue."""
    target: Transform
    """``aws.cloudwatch.EventTarget``: the function, with retries and the dead-letter queue."""


class Schedule(HybridComponent):
    """An EventBridge schedule invoking a Function, with retries and a dead-letter queue.

    Example:
        Schedule("nightly", {"function": cleanup, "schedule": "cron(0 3 * * ? *)"})
    """

    TYPE = "hybridstack:aws:Schedule"
    TRANSFORMS = ScheduleTransforms

    rule_arn: pulumi.Output[str]
    """The EventBridge rule's ARN."""
    dead_letter_arn: pulumi.Output[str]
    """The dead-letter queue's ARN."""
    dead_letter_name: pulumi.Output[str]
    """The dead-letter queue's name."""

    def __init__(
        self,
        name: str,
        args: ScheduleArgs | Mapping[str, Any] | None = None,
        *,
        transform: ScheduleTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = ScheduleArgs.parse(args, owner=f"Schedule {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self.schedule_expression = settings.schedule

        rule = self._create_rule(settings)
        queue = create_dead_letter_queue(self, settings.tags)
        queue_policy = self._create_dead_letter_policy(queue, rule)
        permission = settings.function.allow_invoke_from(
            f"schedule-{name}", "events.amazonaws.com", rule.arn
        )
        self._create_target(settings, rule, queue, depends_on=[permission, queue_policy])
        self.rule_arn = rule.arn
        self.dead_letter_arn = queue.arn
        self.dead_letter_name = queue.name
        self.register_outputs({"rule_arn": self.rule_arn, "dead_letter_arn": self.dead_letter_arn})

    def _create_rule(self, settings: ScheduleArgs) -> aws.cloudwatch.EventRule:
        target = settings.function.component_name
        return self.child(
            "rule",
            aws.cloudwatch.EventRule,
            self.component_name,
            {
                "schedule_expression": settings.schedule,
                "state": "ENABLED" if settings.enabled else "DISABLED",
                "description": settings.description or f"{settings.schedule} -> {target}",
                "tags": dict(settings.tags),
            },
        )

    def _create_dead_letter_policy(
        self, queue: aws.sqs.Queue, rule: aws.cloudwatch.EventRule
    ) -> aws.sqs.QueuePolicy:
        return self.child(
            "dead_letter_policy",
            aws.sqs.QueuePolicy,
            f"{self.component_name}-dlq",
            {
                "queue_url": queue.url,
                "policy": pulumi.Output.all(queue.arn, rule.arn).apply(
                    lambda arns: dead_letter_queue_policy(arns[0], arns[1])
                ),
            },
        )

    def _create_target(
        self,
        settings: ScheduleArgs,
        rule: aws.cloudwatch.EventRule,
        queue: aws.sqs.Queue,
        *,
        depends_on: list[pulumi.Resource],
    ) -> aws.cloudwatch.EventTarget:
        target_args: dict[str, Any] = {
            "rule": rule.name,
            "arn": settings.function.arn,
            "retry_policy": {
                "maximum_retry_attempts": settings.max_retries,
                "maximum_event_age_in_seconds": settings.max_event_age_seconds,
            },
            "dead_letter_config": {"arn": queue.arn},
        }
        if settings.input is not None:
            target_args["input"] = pulumi.Output.from_input(settings.input).apply(
                lambda value: json.dumps(value, sort_keys=True)
            )
        return self.child(
            "target",
            aws.cloudwatch.EventTarget,
            self.component_name,
            target_args,
            opts=pulumi.ResourceOptions(depends_on=depends_on),
        )
