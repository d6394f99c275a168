"""Dead-letter queues: where a component's undeliverable events wait to be looked at.

A Function's failed asynchronous invocations and a Schedule's failed deliveries go to the same
kind of queue: SQS-encrypted, keeping messages 14 days (SQS's maximum), named ``<name>-dlq``,
created as the owner's ``dead_letter_queue`` child (so its transform reshapes it). A Queue's own
dead-letter queue follows its main queue's encryption and FIFO-ness, with the same retention.

Example:
    queue = create_dead_letter_queue(self, settings.tags)   # inside a HybridComponent
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi_aws as aws

from hybridstack.components.component import HybridComponent

DEAD_LETTER_RETENTION_SECONDS = 1_209_600  # 14 days, SQS's maximum


def create_dead_letter_queue(owner: HybridComponent, tags: Mapping[str, str]) -> aws.sqs.Queue:
    """The owner's encrypted ``dead_letter_queue`` child, ``<owner>-dlq``, keeping 14 days."""
    return owner.child(
        "dead_letter_queue",
        aws.sqs.Queue,
        f"{owner.component_name}-dlq",
        {
            "sqs_managed_sse_enabled": True,
            "message_retention_seconds": DEAD_LETTER_RETENTION_SECONDS,
            "tags": dict(tags),
        },
    )
