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
    worker = Function("worker", {"handler": "hybridstack.services.media.events.handle",
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, ComponentArgsError, in_range
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.dead_letter import DEAD_LETTER_RETENTION_SECONDS
from hybridstack.components.function import Function
from hybridstack.components.link import IamStatement, LinkSpec, link_variable
from hybridstack.services.common.links import QUEUE_URL

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


DEFAULT_MAX_RECEIVE_COUNT = 5
DEFAULT_VISIBILITY_TIMEOUT = 90
DEFAULT_RETENTION_SECONDS = 345_600  # 4 days
LONG_POLL_SECONDS = 20


@dataclass(frozen=True, kw_only=True)
class QueueArgs(ComponentArgs):
    """Retention, retries and encryption of the queue and its dead-letter queue."""

    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT
    """Deliveries before a message moves to the dead-letter queue, 1-1000."""
    consumer_timeout: int | None = None
    """The consuming Function's timeout in seconds, 1-900; sets the visibility timeout to 6x it."""
    visibility_timeout_seconds: int | None = None
    """An explicit visibility timeout (default: from ``consumer_timeout``, else 90 s)."""
    message_retention_seconds: int = DEFAULT_RETENTION_SECONDS
    """How long messages wait, 60-1209600 (4 days); the DLQ always keeps 14 days."""
    delay_seconds: int = 0
    """Delivery delay of every message, 0-900."""
    fifo: bool = False
    """A FIFO queue (and FIFO dead-letter queue), content-based deduplication on."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Encrypt with this KMS key instead of SQS-managed keys (links then grant kms use)."""
    tags: pulumi.Input[Mapping[str, str]] = field(default_factory=dict)
    """Tags for both queues."""

    def __post_init__(self) -> None:
        in_range("max_receive_count", self.max_receive_count, 1, 1000)
        if self.consumer_timeout is not None:
            in_range("consumer_timeout", self.consumer_timeout, 1, 900)
        if self.visibility_timeout_seconds is not None:
            in_range("visibility_timeout_seconds", self.visibility_timeout_seconds, 0,
                     MAX_VISIBILITY_TIMEOUT)  # fmt: skip
        in_range("message_retention_seconds", self.message_retention_seconds, 60, 1_209_600)
        in_range("delay_seconds", self.delay_seconds, 0, 900)

    @property
    def visibility_timeout(self) -> int:
        """The explicit timeout, else six times the consumer's, else the default."""
        if self.visibility_timeout_seconds is not None:
            return self.visibility_timeout_seconds
        if self.consumer_timeout is not None:
            return visibility_timeout_for(self.consumer_timeout)
        return DEFAULT_VISIBILITY_TIMEOUT


class QueueTransforms(TypedDict, total=False):
    """Reshape a child of the Queue before it is created (see ``HybridComponent``)."""

    queue: Transform
    """``aws.sqs.Queue``: the queue itself."""
    dead_letter_queue: Transform
    """``aws.sqs.Queue``: where messages go after ``max_receive_count`` deliveries."""
    event_source_mapping: Transform
    """``aws.lambda_.EventSourceMapping``: each ``subscribe`` call's mapping."""


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
    return LinkSpec(statements=statements, environment={link_variable(name, QUEUE_URL): url})


class Queue(HybridComponent):
    """SQS queue + dead-letter queue with redrive, encrypted, linkable and subscribable.

    Example:
        jobs = Queue("jobs", {"max_receive_count": 3})
        jobs.subscribe(worker, batch_size=10)
    """

    TYPE = "hybridstack:aws:Queue"
    TRANSFORMS = QueueTransforms

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
        args: QueueArgs | Mapping[str, Any] | None = None,
        *,
        transform: QueueTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = QueueArgs.parse(args, owner=f"Queue {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self.visibility_timeout_seconds = settings.visibility_timeout
        self.max_receive_count = settings.max_receive_count
        self.kms_key_arn = settings.kms_key_arn
        self._subscriptions: set[str] = set()

        self.dead_letter_queue = self._create_dead_letter_queue(settings)
        self.queue = self._create_queue(settings, self.dead_letter_queue)
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.queue_name = self.queue.name
        self.dead_letter_arn = self.dead_letter_queue.arn
        self.dead_letter_url = self.dead_letter_queue.url
        self.dead_letter_name = self.dead_letter_queue.name
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
    def _encryption(settings: QueueArgs) -> dict[str, Any]:
        if settings.kms_key_arn is not None:
            return {"kms_master_key_id": settings.kms_key_arn,
                    "kms_data_key_reuse_period_seconds": 300}  # fmt: skip
        return {"sqs_managed_sse_enabled": True}

    @staticmethod
    def _fifo(settings: QueueArgs) -> dict[str, Any]:
        return {"fifo_queue": True, "content_based_deduplication": True} if settings.fifo else {}

    def _create_dead_letter_queue(self, settings: QueueArgs) -> aws.sqs.Queue:
        name = self.component_name
        prefix: dict[str, Any] = {} if settings.fifo else {"name_prefix": f"{name}-dlq-"}
        return self.child(
            "dead_letter_queue",
            aws.sqs.Queue,
            f"{name}-dlq",
            {
                **prefix,
                **self._encryption(settings),
                **self._fifo(settings),
                "message_retention_seconds": DEAD_LETTER_RETENTION_SECONDS,
                "tags": settings.tags,
            },
        )

    def _create_queue(self, settings: QueueArgs, dead_letter: aws.sqs.Queue) -> aws.sqs.Queue:
        max_receive = settings.max_receive_count
        return self.child(
            "queue",
            aws.sqs.Queue,
            self.component_name,
            {
                **self._encryption(settings),
                **self._fifo(settings),
                "visibility_timeout_seconds": settings.visibility_timeout,
                "message_retention_seconds": settings.message_retention_seconds,
                "delay_seconds": settings.delay_seconds,
                "receive_wait_time_seconds": LONG_POLL_SECONDS,
                "redrive_policy": dead_letter.arn.apply(
                    lambda arn: redrive_policy(arn, max_receive)
                ),
                "tags": settings.tags,
            },
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
        window = max_batching_window_seconds
        try:
            in_range("max_batching_window_seconds", window, 0, 300)
            in_range("batch_size", batch_size, 1, 10_000 if window else 10)
            if max_concurrency is not None:
                in_range("max_concurrency", max_concurrency, 2, 1000)
        except ComponentArgsError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None
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
            args["scaling_config"] = {"maximum_concurrency": max_concurrency}
        return self.child(
            "event_source_mapping",
            aws.lambda_.EventSourceMapping,
            f"{self.component_name}-to-{key}",
            args,
            opts=pulumi.ResourceOptions(depends_on=[grant]),
        )
