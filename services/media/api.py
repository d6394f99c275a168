"""The media API's Lambda adapter (HTTP API, payload 2.0, JWT-authorized).

- ``POST /media/upload`` -> 201 with a pre-signed POST (:mod:`.uploads`)
- ``GET /media/{id}`` -> the owner's view with delivery URLs; 404 for anyone else
- ``DELETE /media/{id}`` -> 204, soft delete; 410 afterwards

Example:
    handle({"rawPath": "/media/upload", "body": '{"filename": "a.png", ...}',
            "headers": {"content-type": "application/json"}, ...}, context)
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hybridstack.services.common.http import PAYLOAD_TOO_LARGE, caller, json_body, path_id
from hybridstack.services.common.routes import serve
from hybridstack.services.identity.users import ensure_user
from hybridstack.services.media import routes
from hybridstack.services.media.delivery import (
    MediaGoneError,
    MediaNotFoundError,
    media_view,
    soft_delete,
)
from hybridstack.services.media.uploads import UploadRequest, UploadTooLargeError, create_upload

logger = Logger(service="media")
app = APIGatewayHttpResolver()

GONE = 410


def upload() -> Response[Any]:
    owner = caller(app.current_event)
    request = json_body(app.current_event, UploadRequest)
    ensure_user(owner.uid, owner.email)  # storage is counted against the record
    try:
        ticket = create_upload(owner, request)
    except UploadTooLargeError as error:
        raise ServiceError(PAYLOAD_TOO_LARGE, str(error)) from None
    return Response(status_code=201, content_type="application/json", body=ticket.model_dump())


def get_media(media_id: str) -> dict[str, Any]:
    owner = caller(app.current_event)
    media_id = path_id(media_id, "media id")
    try:
        return media_view(owner, media_id).model_dump()
    except MediaNotFoundError as error:
        raise NotFoundError(str(error)) from None
    except MediaGoneError as error:
        raise ServiceError(GONE, str(error)) from None


def delete_media(media_id: str) -> Response[str]:
    owner = caller(app.current_event)
    media_id = path_id(media_id, "media id")
    try:
        soft_delete(owner, media_id)
    except MediaNotFoundError as error:
        raise NotFoundError(str(error)) from None
    except MediaGoneError as error:
        raise ServiceError(GONE, str(error)) from None
    return Response(status_code=204, body="")


ROUTES = serve(
    app,
    {
        routes.UPLOAD: upload,
        routes.GET_MEDIA: get_media,
        routes.DELETE_MEDIA: delete_media,
    },
    declared=routes.API_ROUTES,
)
"""The routes this adapter serves (API Gateway route keys); the program routes exactly these."""


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point."""
    return app.resolve(event, context)
