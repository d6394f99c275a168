"""Schedule: an EventBridge rule invoking a Function on a ``rate(...)`` or ``cron(...)``.

The target retries failed deliveries (``max_retries``, ``max_event_age_seconds``) and sends what
still fails to an encrypted SQS dead-letter queue that only this rule may write to, so a missed
run is visible (alarm on it with ``Alerts.watch_queue``) instead of lost. The function's resource
policy lets only this rule invoke it.

The expression is checked when the program runs, with the reason:
``rate(5 minutes)``, ``rate(1 hour)``, ``cron(0 6 * * ? *)`` (six fields, UTC; one of
day-of-month / day-of-week must be ``?``).

Example:
    collector = Function("spotify", {"handler": "hybridstack.services.analytics.handler.collect",
                                     "timeout": 300})
    Schedule("spotify-hourly", {"function": collector, "schedule": "rate(1 hour)",
                                "input": {"source": "spotify"}})
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.function import Function

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
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowThisRuleOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        },
        sort_keys=True,
    )


class ScheduleArgs(TypedDict, total=False):
    """When to invoke which Function, with what, and how hard to retry."""

    function: Function
    """The Function to invoke (required)."""
    schedule: str
    """``rate(5 minutes)`` or ``cron(0 6 * * ? *)`` (required; UTC)."""
    input: pulumi.Input[Mapping[str, Any]]
    """The event the function receives (default: EventBridge's scheduled event)."""
    enabled: bool
    """Whether the rule fires (default True)."""
    max_retries: int
    """Delivery retries, 0-185 (default 3)."""
    max_event_age_seconds: int
    """How long EventBridge keeps retrying, 60-86400 (default 3600)."""
    description: str
    """The rule's description."""
    tags: Mapping[str, str]
    """Tags of the rule and the dead-letter queue."""


class Schedule(HybridComponent):
    """An EventBridge schedule invoking a Function, with retries and a dead-letter queue.

    Example:
        Schedule("nightly", {"function": cleanup, "schedule": "cron(0 3 * * ? *)"})
    """

    TYPE = "hybridstack:aws:Schedule"
    CHILD_ROLES = ("rule", "dead_letter_queue", "dead_letter_policy", "target")

    rule_arn: pulumi.Output[str]
    """The EventBridge rule's ARN."""
    dead_letter_arn: pulumi.Output[str]
    """The dead-letter queue's ARN."""
    dead_letter_name: pulumi.Output[str]
    """The dead-letter queue's name."""

    def __init__(
        self,
        name: str,
        args: ScheduleArgs,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Schedule {name!r}"
        a: dict[str, Any] = dict(args or {})
        function = a.get("function")
        if not isinstance(function, Function):
            raise ComponentArgsError(f"{owner}: function must be a Function, not {function!r}")
        try:
            expression = validate_schedule_expression(a.get("schedule", ""))
        except ValueError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None
        retries = a.get("max_retries", 3)
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 185:
            raise ComponentArgsError(f"{owner}: max_retries={retries!r} must be in 0..185")
        age = a.get("max_event_age_seconds", 3600)
        if isinstance(age, bool) or not isinstance(age, int) or not 60 <= age <= 86400:
            raise ComponentArgsError(f"{owner}: max_event_age_seconds={age!r} must be in 60..86400")
        tags = dict(a.get("tags", {}))
        super().__init__(name, transform=transform, opts=opts)
        self.schedule_expression = expression

        rule = self.child(
            "rule",
            aws.cloudwatch.EventRule,
            name,
            {
                "schedule_expression": expression,
                "state": "ENABLED" if a.get("enabled", True) else "DISABLED",
                "description": a.get("description", f"{expression} -> {function.component_name}"),
                "tags": tags,
            },
        )
        dlq = self.child(
            "dead_letter_queue",
            aws.sqs.Queue,
            f"{name}-dlq",
            {"sqs_managed_sse_enabled": True, "message_retention_seconds": 1_209_600, "tags": tags},
        )
        dlq_policy = self.child(
            "dead_letter_policy",
            aws.sqs.QueuePolicy,
            f"{name}-dlq",
            {
                "queue_url": dlq.url,
                "policy": pulumi.Output.all(dlq.arn, rule.arn).apply(
                    lambda arns: dead_letter_queue_policy(arns[0], arns[1])
                ),
            },
        )
        permission = function.allow_invoke_from(
            f"schedule-{name}", "events.amazonaws.com", rule.arn
        )
        target_args: dict[str, Any] = {
            "rule": rule.name,
            "arn": function.arn,
            "retry_policy": {
                "maximum_retry_attempts": retries,
                "maximum_event_age_in_seconds": age,
            },
            "dead_letter_config": {"arn": dlq.arn},
        }
        if a.get("input") is not None:
            target_args["input"] = pulumi.Output.from_input(a["input"]).apply(
                lambda value: json.dumps(value, sort_keys=True)
            )
        self.child(
            "target",
            aws.cloudwatch.EventTarget,
            name,
            target_args,
            opts=pulumi.ResourceOptions(depends_on=[permission, dlq_policy]),
        )
        self.rule_arn = rule.arn
        self.dead_letter_arn = dlq.arn
        self.dead_letter_name = dlq.name
        self.register_outputs({"rule_arn": self.rule_arn, "dead_letter_arn": self.dead_letter_arn})
