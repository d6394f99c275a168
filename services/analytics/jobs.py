"""The scheduled collector's Lambda adapter: validate the schedule's input, collect the day.

EventBridge invokes it asynchronously (failures are retried, then kept in the Function's DLQ)
with e.g. ``{"sources": ["spotify"], "day": "2026-11-21"}``; both are optional (every source,
yesterday in UTC). ``ANALYTICS_SOURCE_MODE`` picks ``generated`` (the default on the local
stack) or ``live`` adapters.

Example:
    run({"sources": ["youtube"]}, context)   # {"day": "...", "run_id": "...", "sources": {...}}
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hybridstack.services.analytics.collector import collect
from hybridstack.services.analytics.sources import SOURCES, make_source
from hybridstack.services.common import settings
from hybridstack.services.common.http import describe_validation_error

logger = Logger(service="analytics")
Source = Literal["youtube", "spotify", "tiktok"]


class ScheduledRun(BaseModel):
    """The schedule's input."""

    model_config = ConfigDict(extra="forbid")

    sources: list[Source] = Field(default_factory=lambda: list(SOURCES), min_length=1)  # type: ignore[arg-type]
    day: date | None = None


class InvalidScheduleInputError(ValueError):
    """The schedule's input is not what the collector accepts (the message says why)."""


def scheduled_run(event: Any) -> ScheduledRun:
    """The validated schedule input; InvalidScheduleInputError naming each problem."""
    try:
        return ScheduledRun.model_validate(event if event is not None else {})
    except ValidationError as error:
        raise InvalidScheduleInputError(
            f"invalid schedule input: {describe_validation_error(error)}"
        ) from None


def source_mode() -> str:
    default = "generated" if os.environ.get(settings.HYBRIDSTACK_ENV) == "local" else "live"
    return os.environ.get(settings.ANALYTICS_SOURCE_MODE, default)


@logger.inject_lambda_context
def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point for the analytics schedule."""
    request = scheduled_run(event)
    day = request.day or (datetime.now(UTC).date() - timedelta(days=1))
    mode = source_mode()
    run_id = uuid.uuid4().hex
    sources = [make_source(name, mode) for name in sorted(set(request.sources))]
    summary = collect(sources, day, run_id=run_id)
    logger.info("analytics collected", extra={"day": day.isoformat(), "mode": mode})
    return {"day": day.isoformat(), "run_id": run_id, "mode": mode, "sources": summary}
