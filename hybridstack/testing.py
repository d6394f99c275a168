"""Test helpers: run a Pulumi program or component under Pulumi's mocks and inspect what it
registered (the recording itself lives in :mod:`hybridstack.recording`).

Example:
    from hybridstack.testing import of_type, run_under_mocks
    from hybridstack.components.queue import Queue

    resources = run_under_mocks(lambda: Queue("jobs"))
    queues = of_type(resources, "aws:sqs/queue:Queue")
    assert any(q.inputs.get("redrivePolicy") for q in queues)
"""

from __future__ import annotations

from collections.abc import Iterable

from hybridstack.recording import (
    ACCOUNT_ID,
    REGION,
    RecordingMocks,
    RegisteredResource,
    run_under_mocks,
)

__all__ = [
    "ACCOUNT_ID",
    "REGION",
    "RecordingMocks",
    "RegisteredResource",
    "of_type",
    "run_under_mocks",
]


def of_type(resources: Iterable[RegisteredResource], type_token: str) -> list[RegisteredResource]:
    """The resources of one type token, e.g. ``aws:lambda/function:Function``."""
    return [r for r in resources if r.type == type_token]
