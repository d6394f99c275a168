"""Queue: an SQS queue with a dead-letter queue, encryption and a consumer Function.

Messages that fail ``max_receive_count`` times move to the dead-letter queue (kept 14 days), so
nothing is dropped; both queues are encrypted (SQS-managed keys, or your KMS key). The visibility
timeout is six times the consumer's timeout (AWS's advice for Lambda consumers), so a message is
not handed to a second consumer while the first still works on it.

``subscribe`` connects a Function with an event source mapping that reports partial batch
failures (``ReportBatchItemFailures``: only the failed records are retried; pair it with
Powertools' ``BatchProcessor``) and grants that function the consuming actions on this queue only.

Linking a Queue grants send/receive on this queue only and sets ``<NAME>_QUEUE_URL``;
``queue.send_only()`` grants sending alone.

Example:
    worker = Function("worker", {"handler": "hybridstack.services.media.handler.process",
                                 "timeout": 60})
    jobs = Queue("jobs", {"consumer_timeout": worker.timeout_seconds, "max_receive_count": 3})
    jobs.subscribe(worker, batch_size=5)
    api = Function("api", {"handler": "hybridstack.services.api.handler.handle",
                           "link": [jobs.send_only()]})     # -> JOBS_QUEUE_URL

    # an existing queue, linkable the same way:
    legacy = Queue.from_existing("legacy", arn="arn:aws:sqs:...:legacy", url="https://...")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.function import Function
from hybridstack.components.link import IamStatement, LinkSpec, env_prefix

SEND_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
CONSUME_ACTIONS = (
    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
)  # fmt: skip
KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
MAX_VISIBILITY_TIMEOUT = 43_200


def visibility_timeout_for(consumer_timeout: int) -> int:
    """AWS's advice for Lambda consumers: six times the function timeout (capped at 12 h)."""
    return min(MAX_VISIBILITY_TIMEOUT, max(30, 6 * consumer_timeout))


def redrive_policy(dead_letter_arn: str, max_receive_count: int) -> str:
    """The ``redrivePolicy`` JSON moving a message to ``dead_letter_arn`` after N receives."""
    return json.dumps(
        {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}
    )


class QueueArgs(TypedDict, total=False):
    """Retention, retries and encryption of the queue and its dead-letter queue."""

    max_receive_count: int
    """Deliveries before a message moves to the dead-letter queue, 1-1000 (default 5)."""
    consumer_timeout: int
    """The consuming Function's timeout in seconds; sets the visibility timeout to 6x it."""
    visibility_timeout_seconds: int
    """An explicit visibility timeout (default: from ``consumer_timeout``, else 90 s)."""
    message_retention_seconds: int
    """How long messages wait, 60-1209600 (default 4 days); the DLQ always keeps 14 days."""
    delay_seconds: int
    """Delivery delay of every message, 0-900 (default 0)."""
    fifo: bool
    """A FIFO queue (and FIFO dead-letter queue), content-based deduplication on."""
    kms_key_arn: pulumi.Input[str]
    """Encrypt with this KMS key instead of SQS-managed keys (links then grant kms use)."""
    tags: pulumi.Input[dict[str, str]]
    """Tags for both queues."""


@dataclass(frozen=True)
class ExistingQueue:
    """A queue created elsewhere, linkable like a Queue (see ``Queue.from_existing``)."""

    name: str
    arn: pulumi.Input[str]
    url: pulumi.Input[str]

    def link_spec(self) -> LinkSpec:
        return _queue_spec(self.name, self.arn, self.url, (*SEND_ACTIONS, *CONSUME_ACTIONS), None)

    def send_only(self) -> LinkSpec:
        return _queue_spec(self.name, self.arn, self.url, SEND_ACTIONS, None)


def _queue_spec(
    name: str,
    arn: pulumi.Input[str],
    url: pulumi.Input[str],
    actions: tuple[str, ...],
    kms_key_arn: pulumi.Input[str] | None,
) -> LinkSpec:
    statements = [IamStatement(sorted(set(actions)), [arn])]
    if kms_key_arn is not None:
        statements.append(IamStatement(list(KMS_ACTIONS), [kms_key_arn]))
    return LinkSpec(statements=statements, environment={f"{env_prefix(name)}_QUEUE_URL": url})


def _int_arg(owner: str, arg: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ComponentArgsError(f"{owner}: {arg}={value!r} must be an integer in {low}..{high}")
    return value


class Queue(HybridComponent):
    """SQS queue + dead-letter queue with redrive, encrypted, linkable and subscribable.

    Example:
        jobs = Queue("jobs", {"max_receive_count": 3})
        jobs.subscribe(worker, batch_size=10)
    """

    TYPE = "hybridstack:aws:Queue"
    CHILD_ROLES = ("queue", "dead_letter_queue", "event_source_mapping")

    arn: pulumi.Output[str]
    """The queue ARN."""
    url: pulumi.Output[str]
    """The queue URL (what SendMessage takes)."""
    queue_name: pulumi.Output[str]
    """The physical queue name."""
    dead_letter_arn: pulumi.Output[str]
    """The dead-letter queue's ARN."""
    dead_letter_url: pulumi.Output[str]
    """The dead-letter queue's URL."""
    dead_letter_name: pulumi.Output[str]
    """The dead-letter queue's name (alarm on its depth: ``Alerts.watch_queue``)."""

    def __init__(
        self,
        name: str,
        args: QueueArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Queue {name!r}"
        a: dict[str, Any] = dict(args or {})
        max_receive = _int_arg(owner, "max_receive_count", a.get("max_receive_count", 5), 1, 1000)
        if "visibility_timeout_seconds" in a:
            visibility = _int_arg(
                owner, "visibility_timeout_seconds", a["visibility_timeout_seconds"], 0,
                MAX_VISIBILITY_TIMEOUT,
            )  # fmt: skip
        elif "consumer_timeout" in a:
            visibility = visibility_timeout_for(
                _int_arg(owner, "consumer_timeout", a["consumer_timeout"], 1, 900)
            )
        else:
            visibility = 90
        retention = _int_arg(
            owner, "message_retention_seconds", a.get("message_retention_seconds", 345_600),
            60, 1_209_600,
        )  # fmt: skip
        delay = _int_arg(owner, "delay_seconds", a.get("delay_seconds", 0), 0, 900)
        fifo = bool(a.get("fifo", False))
        kms_key_arn = a.get("kms_key_arn")
        tags = a.get("tags", {})
        super().__init__(name, transform=transform, opts=opts)
        self.visibility_timeout_seconds = visibility
        self.max_receive_count = max_receive
        self.kms_key_arn = kms_key_arn

        encryption: dict[str, Any] = (
            {"kms_master_key_id": kms_key_arn, "kms_data_key_reuse_period_seconds": 300}
            if kms_key_arn is not None
            else {"sqs_managed_sse_enabled": True}
        )
        fifo_args: dict[str, Any] = (
            {"fifo_queue": True, "content_based_deduplication": True} if fifo else {}
        )
        dlq_name: dict[str, Any] = {"name_prefix": f"{name}-dlq-"} if not fifo else {}
        dlq = self.child(
            "dead_letter_queue",
            aws.sqs.Queue,
            f"{name}-dlq",
            {
                **dlq_name,
                **encryption,
                **fifo_args,
                "message_retention_seconds": 1_209_600,
                "tags": tags,
            },
        )
        queue = self.child(
            "queue",
            aws.sqs.Queue,
            name,
            {
                **encryption,
                **fifo_args,
                "visibility_timeout_seconds": visibility,
                "message_retention_seconds": retention,
                "delay_seconds": delay,
                "receive_wait_time_seconds": 20,
                "redrive_policy": dlq.arn.apply(lambda arn: redrive_policy(arn, max_receive)),
                "tags": tags,
            },
        )
        self.queue = queue
        self.dead_letter_queue = dlq
        self.arn = queue.arn
        self.url = queue.url
        self.queue_name = queue.name
        self.dead_letter_arn = dlq.arn
        self.dead_letter_url = dlq.url
        self.dead_letter_name = dlq.name
        self._subscriptions: set[str] = set()
        self.register_outputs(
            {
                "arn": self.arn,
                "url": self.url,
                "queue_name": self.queue_name,
                "dead_letter_arn": self.dead_letter_arn,
                "dead_letter_url": self.dead_letter_url,
            }
        )

    @staticmethod
    def from_existing(
        name: str, *, arn: pulumi.Input[str], url: pulumi.Input[str]
    ) -> ExistingQueue:
        """Adopt a queue made elsewhere: linkable (``<NAME>_QUEUE_URL``), nothing created."""
        return ExistingQueue(name, arn, url)

    def link_spec(self) -> LinkSpec:
        """Send, receive and delete on this queue only; ``<NAME>_QUEUE_URL``."""
        return _queue_spec(
            self.component_name, self.arn, self.url, (*SEND_ACTIONS, *CONSUME_ACTIONS),
            self.kms_key_arn,
        )  # fmt: skip

    def send_only(self) -> LinkSpec:
        """Sending to this queue only (producers); ``<NAME>_QUEUE_URL``."""
        return _queue_spec(self.component_name, self.arn, self.url, SEND_ACTIONS, self.kms_key_arn)

    def subscribe(
        self,
        function: Function,
        *,
        batch_size: int = 10,
        partial_batch_failures: bool = True,
        max_batching_window_seconds: int = 0,
        max_concurrency: int | None = None,
        enabled: bool = True,
    ) -> aws.lambda_.EventSourceMapping:
        """Deliver this queue's messages to ``function`` in batches.

        Grants ``function`` the consuming actions on this queue only, and refuses a consumer
        whose timeout does not fit the visibility timeout (messages would be processed twice).
        """
        owner = f"Queue {self.component_name!r}.subscribe"
        if not isinstance(function, Function):
            raise ComponentArgsError(f"{owner}: function must be a Function, not {function!r}")
        if function.timeout_seconds > self.visibility_timeout_seconds:
            raise ComponentArgsError(
                f"{owner}: function {function.component_name!r} has timeout "
                f"{function.timeout_seconds}s, longer than the queue's visibility timeout "
                f"{self.visibility_timeout_seconds}s; create the Queue with "
                f"consumer_timeout={function.timeout_seconds}"
            )
        window = _int_arg(owner, "max_batching_window_seconds", max_batching_window_seconds, 0, 300)
        _int_arg(owner, "batch_size", batch_size, 1, 10_000 if window else 10)
        key = function.component_name
        if key in self._subscriptions:
            raise ComponentArgsError(f"{owner}: {key!r} is already subscribed")
        self._subscriptions.add(key)
        statements = [IamStatement(list(CONSUME_ACTIONS), [self.arn])]
        if self.kms_key_arn is not None:
            statements.append(IamStatement(["kms:Decrypt"], [self.kms_key_arn]))
        grant = function.grant(f"consume-{self.component_name}", statements)
        args: dict[str, Any] = {
            "event_source_arn": self.arn,
            "function_name": function.arn,
            "batch_size": batch_size,
            "enabled": enabled,
            "function_response_types": ["ReportBatchItemFailures"]
            if partial_batch_failures
            else [],
        }
        if window:
            args["maximum_batching_window_in_seconds"] = window
        if max_concurrency is not None:
            args["scaling_config"] = {
                "maximum_concurrency": _int_arg(owner, "max_concurrency", max_concurrency, 2, 1000)
            }
        return self.child(
            "event_source_mapping",
            aws.lambda_.EventSourceMapping,
            f"{self.component_name}-to-{key}",
            args,
            opts=pulumi.ResourceOptions(depends_on=[grant]),
        )
