"""Request parsing for the HTTP API adapters: JSON bodies validated by pydantic, callers from
the JWT authorizer's claims, and 4xx errors that say exactly what is wrong.

Errors are Powertools ``ServiceError``s, which the resolver turns into
``{"statusCode": 4xx, "message": "..."}``:

- 415 when the body is not ``application/json``;
- 400 for malformed JSON (with the parser's position) or a body that is not an object;
- 422 listing every invalid field (``size: Input should be less than or equal to 5242880``);
- 401 when no verified identity came with the request.

Example:
    @app.post("/media/upload")
    def upload():
        request = json_body(app.current_event, UploadRequest)
        user = caller(app.current_event)
"""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    ServiceError,
    UnauthorizedError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)

UNSUPPORTED_MEDIA_TYPE = 415
UNPROCESSABLE = 422


class Caller(BaseModel):
    """The verified identity of a request: uid, email and role (a custom claim)."""

    model_config = ConfigDict(frozen=True)

    uid: str
    email: str | None = None
    role: str = "user"
    issuer: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: ``field.path: message`` (``body`` when the problem is the whole)."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "body"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def parse_model(model: type[ModelT], data: Any, *, what: str = "request body") -> ModelT:
    """Validate ``data`` into ``model``; 422 naming every invalid field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ServiceError(
            UNPROCESSABLE, f"invalid {what}: {describe_validation_error(error)}"
        ) from None


def raw_body(event: APIGatewayProxyEventV2) -> str:
    """The request body as text (API Gateway may hand it over base64-encoded)."""
    body = event.body or ""
    if event.is_base64_encoded and body:
        return base64.b64decode(body).decode("utf-8", errors="replace")
    return body


def json_body(event: APIGatewayProxyEventV2, model: type[ModelT]) -> ModelT:
    """The request's JSON body as ``model``, or a 4xx that names the problem."""
    content_type = (event.headers or {}).get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise ServiceError(
            UNSUPPORTED_MEDIA_TYPE,
            f"the body must be JSON: send Content-Type: application/json "
            f"(got {content_type or 'no Content-Type'})",
        )
    text = raw_body(event)
    try:
        data = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as error:
        raise BadRequestError(
            f"malformed JSON body: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(data, dict):
        kind = "an empty body" if data is None else f"a JSON {type(data).__name__}"
        raise BadRequestError(f"the body must be a JSON object, not {kind}")
    return parse_model(model, data)


def caller(event: APIGatewayProxyEventV2) -> Caller:
    """The caller as the JWT authorizer verified it; 401 when the request carries none."""
    claims = event.request_context.authorizer.jwt_claim if event.request_context else {}
    uid = claims.get("sub") or claims.get("user_id")
    if not uid:
        raise UnauthorizedError("no verified identity on this request (sign in and send a token)")
    return Caller(
        uid=str(uid),
        email=claims.get("email"),
        role=str(claims.get("role") or "user"),
        issuer=claims.get("iss"),
    )
