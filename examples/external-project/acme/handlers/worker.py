"""The worker: one SQS batch in, partial batch failures out (bad jobs are retried, then DLQ'd)."""

from __future__ import annotations

import json
from typing import Any


def handle(event: dict[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """Process each job; report the ones that are not JSON objects with a ``job`` key as failed."""
    failures = []
    for record in event.get("Records", []):
        try:
            body = json.loads(record["body"])
            if not isinstance(body, dict) or "job" not in body:
                raise ValueError("a job message is a JSON object with a 'job' key")
        except ValueError:
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        print(json.dumps({"processed": body["job"], "messageId": record["messageId"]}))
    return {"batchItemFailures": failures}
