"""The scheduled analytics run: validate what the schedule asked for, record the run in S3.

EventBridge Scheduler invokes this Lambda asynchronously with the schedule's input, e.g.
``{"sources": ["youtube", "spotify"]}``. The run manifest lands under
``raw/analytics/<yyyy>/<mm>/<dd>/<run id>.json`` in the bucket linked as ``ANALYTICS_RAW``; the
per-source collectors (YouTube/Spotify/TikTok clients) read it and add their raw pages next to
it. A malformed input raises, so Lambda retries it and then sends it to the function's DLQ:
nothing is dropped silently.

Example:
    collect({"sources": ["spotify"]}, context)
    # {"run_id": "...", "key": "raw/analytics/2026/11/22/<run id>.json", "sources": ["spotify"]}
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

SOURCES = ("youtube", "spotify", "tiktok")
logger = Logger(service="analytics")


def requested_sources(event: Any) -> list[str]:
    """The sources a scheduled event asks for (all when it names none); ValueError otherwise."""
    if not isinstance(event, dict):
        raise ValueError(f"the schedule input must be a JSON object, not {type(event).__name__}")
    sources = event.get("sources", list(SOURCES))
    if not isinstance(sources, list) or not sources:
        raise ValueError("'sources' must be a non-empty list")
    unknown = sorted({str(s) for s in sources} - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; allowed: {', '.join(SOURCES)}")
    return sorted(set(sources))


def run_key(run_id: str, now: datetime) -> str:
    """Where a run's manifest is stored."""
    return f"raw/analytics/{now:%Y/%m/%d}/{run_id}.json"


@logger.inject_lambda_context
def collect(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point for the analytics schedule."""
    sources = requested_sources(event)
    now = datetime.now(UTC)
    run_id = uuid.uuid4().hex
    key = run_key(run_id, now)
    manifest = {"run_id": run_id, "requested_at": now.isoformat(), "sources": sources}
    boto3.client("s3").put_object(
        Bucket=os.environ["ANALYTICS_RAW_BUCKET_NAME"],
        Key=key,
        Body=json.dumps(manifest).encode(),
        ContentType="application/json",
    )
    logger.info("analytics run recorded", extra={"run_id": run_id, "sources": sources})
    return {"run_id": run_id, "key": key, "sources": sources}
