"""The composition, kept in a function so the program and the tests build the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hybridstack.components.function import Function
from hybridstack.components.queue import Queue


@dataclass
class JobsPipeline:
    queue: Queue
    worker: Function


def jobs_pipeline(code_root: Path) -> JobsPipeline:
    """A queue with a dead-letter queue, and a worker subscribed to it with least privilege."""
    queue = Queue("jobs")
    worker = Function(
        "worker",
        {
            "handler": "acme.handlers.worker.handle",
            "code_root": str(code_root),
            "include": ["acme.handlers"],
            "layer": False,
            "timeout": 30,
        },
    )
    queue.subscribe(worker, batch_size=10)
    return JobsPipeline(queue=queue, worker=worker)
