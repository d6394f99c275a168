"""The messaging API's Lambda adapter (HTTP API, payload 2.0, JWT-authorized).

- ``POST /conversations`` -> 201 ``{"conversation_id": ...}`` (422 naming members that are no
  Firebase Auth user)
- ``POST /conversations/{id}/messages`` -> 201 ``{"message_id": ...}`` (attachments checked)
- ``POST /conversations/{id}/read`` -> 204

Clients read conversations and send plain text directly through Firestore (the rules allow
members only); attachments go through here because they need the media records.

Example:
    handle(http_event("POST", "/conversations", claims=alice, body={"members": ["bob"]}), ctx)
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    NotFoundError,
    ServiceError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hybridstack.services.common.http import UNPROCESSABLE, caller, json_body, path_id
from hybridstack.services.common.routes import serve
from hybridstack.services.messaging import routes
from hybridstack.services.messaging.conversations import (
    ConversationCreate,
    ConversationNotFoundError,
    InvalidAttachmentError,
    MessageCreate,
    ReadReceipt,
    UnknownMembersError,
    create_conversation,
    mark_read,
    send_message,
)

logger = Logger(service="messaging")
app = APIGatewayHttpResolver()


def new_conversation() -> Response[Any]:
    me = caller(app.current_event)
    request = json_body(app.current_event, ConversationCreate)
    try:
        conversation_id = create_conversation(me, request)
    except UnknownMembersError as error:
        raise ServiceError(UNPROCESSABLE, str(error)) from None
    except ValueError as error:
        raise BadRequestError(str(error)) from None
    return Response(201, "application/json", {"conversation_id": conversation_id})


def new_message(conversation_id: str) -> Response[Any]:
    me = caller(app.current_event)
    conversation_id = path_id(conversation_id, "conversation id")
    request = json_body(app.current_event, MessageCreate)
    try:
        message_id = send_message(me, conversation_id, request)
    except ConversationNotFoundError as error:
        raise NotFoundError(str(error)) from None
    except InvalidAttachmentError as error:
        raise ServiceError(UNPROCESSABLE, str(error)) from None
    return Response(201, "application/json", {"message_id": message_id})


def read(conversation_id: str) -> Response[str]:
    me = caller(app.current_event)
    conversation_id = path_id(conversation_id, "conversation id")
    receipt = json_body(app.current_event, ReadReceipt)
    try:
        mark_read(me, conversation_id, receipt)
    except ConversationNotFoundError as error:
        raise NotFoundError(str(error)) from None
    return Response(204, body="")


ROUTES = serve(
    app,
    {
        routes.NEW_CONVERSATION: new_conversation,
        routes.NEW_MESSAGE: new_message,
        routes.READ: read,
    },
    declared=routes.ROUTES,
)
"""The routes this adapter serves (API Gateway route keys); the program routes exactly these."""


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point."""
    return app.resolve(event, context)
