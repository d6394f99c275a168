"""At-least-once events made harmless: run an action once per payload, with Powertools'
idempotency utility and its DynamoDB persistence layer (table ``IDEMPOTENCY_TABLE_NAME``,
partition key ``id``).

A second delivery of the same payload (an S3 notification redelivered by SQS, a Pub/Sub push
retried) returns the first run's stored result instead of running the action again. A run that
raised is not recorded, so a retry really retries.

Example:
    result = run_once("media-process", {"bucket": b, "key": k, "etag": e},
                      lambda payload: process(payload))
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from hybridstack.services.common import settings
from hybridstack.services.common.clients import aws_client

DEFAULT_EXPIRY_SECONDS = 7 * 24 * 3600
_context: list[Any] = []


def register_context(context: Any) -> None:
    """Tell the idempotency records how long this invocation may still run (Lambda adapters)."""
    _context[:] = [context]


@cache
def persistence_layer(table_name: str) -> DynamoDBPersistenceLayer:
    """The persistence layer for ``table_name`` (the client follows ``AWS_ENDPOINT_URL``)."""
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=aws_client("dynamodb"))


def run_once(
    name: str,
    payload: dict[str, Any],
    action: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    expires_after_seconds: int = DEFAULT_EXPIRY_SECONDS,
) -> dict[str, Any]:
    """Run ``action(payload)`` unless the same ``name`` + payload already ran; its result."""
    store = persistence_layer(settings.require(settings.IDEMPOTENCY_TABLE))

    def call(*, payload: dict[str, Any]) -> dict[str, Any]:
        return action(payload)

    config = IdempotencyConfig(expires_after_seconds=expires_after_seconds)
    if _context and hasattr(_context[0], "get_remaining_time_in_millis"):
        config.register_lambda_context(_context[0])
    guarded = idempotent_function(
        call,
        data_keyword_argument="payload",
        persistence_store=store,
        config=config,
        key_prefix=name,
    )
    result: dict[str, Any] = guarded(payload=payload)
    return result
