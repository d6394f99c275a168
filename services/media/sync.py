"""The Pub/Sub push endpoint for Firebase Storage events (``POST /media/sync``, MediaStore's route).

A push request's body is ``{"message": {"attributes": {...}, "data": <base64>, "messageId":
...}, "subscription": ...}``; the attributes say what happened (``eventType``, ``bucketId``,
``objectId``, ``objectGeneration``). On GCP the push carries a Google-signed OIDC token of the
subscription's service account, verified by the API's Google JWT authorizer (issuer, signature,
audience ``<NAME>_PUSH_AUDIENCE``); this adapter then requires the token's email to be
``<NAME>_PUSH_SERVICE_ACCOUNT`` (any Google identity can mint a token for an audience) and the
bucket to be ``<NAME>_FIREBASE_BUCKET`` when set. Only the local stack (``HYBRIDSTACK_ENV=local``),
where the Pub/Sub emulator's pushes carry no token, skips the token check.

Answers: 204 done (Pub/Sub acknowledges), 4xx for a malformed push (with the reason; Pub/Sub
retries, then dead-letters per the subscription), 5xx on infrastructure errors (retried).

Example:
    handle(http_event("POST", "/media/sync", body=push_body), context)
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import (
    ForbiddenError,
    ServiceError,
    UnauthorizedError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Field

from hybridstack.services.common import settings
from hybridstack.services.common.http import UNPROCESSABLE, RequestBody, json_body, parse_model
from hybridstack.services.common.idempotency import register_context
from hybridstack.services.common.routes import serve
from hybridstack.services.media import routes
from hybridstack.services.media.storage_sync import StorageEvent, sync_object

logger = Logger(service="storage-sync")
app = APIGatewayHttpResolver()


class PushMessage(RequestBody):
    """A push's message; Pub/Sub adds fields (``publishTime``, ...) that are not needed here."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    attributes: dict[str, str]
    data: str | None = None
    message_id: str | None = Field(default=None, alias="messageId")


class PushRequest(RequestBody):
    """A Pub/Sub push request."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message: PushMessage
    subscription: str


def check_pusher() -> None:
    """Only the linked push service account may call (except on the local stack)."""
    if os.environ.get(settings.HYBRIDSTACK_ENV) == "local":
        return
    claims = app.current_event.request_context.authorizer.jwt_claim
    if not claims:
        raise UnauthorizedError("a Pub/Sub push must carry its OIDC token")
    expected = settings.by_suffix(settings.PUSH_SERVICE_ACCOUNT_SUFFIX)
    if not expected or claims.get("email") != expected:
        raise ForbiddenError(f"pushes are accepted from {expected or 'no linked account'} only")


def storage_event() -> Response[str]:
    check_pusher()
    push = json_body(app.current_event, PushRequest)
    attributes = push.message.attributes
    event = parse_model(
        StorageEvent,
        {
            "event_type": attributes.get("eventType"),
            "bucket": attributes.get("bucketId"),
            "name": attributes.get("objectId"),
            "generation": attributes.get("objectGeneration"),
        },
        what="storage notification attributes",
    )
    expected_bucket = settings.by_suffix(settings.FIREBASE_BUCKET_SUFFIX)
    if expected_bucket and event.bucket != expected_bucket:
        raise ServiceError(
            UNPROCESSABLE, f"bucket {event.bucket!r} is not the linked {expected_bucket!r}"
        )
    result = sync_object(event)
    logger.info("storage event synchronised", extra={"message_id": push.message.message_id,
                                                     **result})  # fmt: skip
    return Response(status_code=204, body="")


ROUTES = serve(
    app,
    {routes.SYNC: storage_event},
    declared=routes.SYNC_ROUTES,
)
"""The route this adapter serves: MediaStore routes its Pub/Sub push subscription here."""


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point."""
    register_context(context)
    return app.resolve(event, context)
