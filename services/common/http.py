"""Request parsing for the HTTP API adapters: JSON bodies validated by pydantic, callers from
the JWT authorizer's claims, and 4xx errors that say exactly what is wrong.

Every route parses its input here, so the limits hold for the whole API and are stated once:
a body is at most :data:`MAX_BODY_BYTES` bytes of UTF-8, JSON nested at most
:data:`MAX_JSON_DEPTH` levels (checked before parsing, so no parser recursion); every string in
it follows the text rule of :mod:`.text`; models derive from :class:`RequestBody` (strict types:
``"100"`` or ``true`` is not a size; unknown fields refused); path ids go through
:func:`path_id` before any database sees them.

Errors are Powertools ``ServiceError``s, which the resolver turns into
``{"statusCode": 4xx, "message": "..."}``:

- 413 when the body is larger than :data:`MAX_BODY_BYTES`;
- 415 when the body is not ``application/json``;
- 400 for a body that is not UTF-8, malformed JSON (with the parser's position), JSON nested too
  deep, a body that is not an object, or a path id outside :data:`PATH_ID_PATTERN`;
- 422 listing every invalid field (``size: Input should be a valid integer``) or naming a refused
  character (``display_name: character U+202E RIGHT-TO-LEFT OVERRIDE is not accepted``);
- 401 when no verified identity came with the request.

Example:
    @app.post("/media/<media_id>/x")
    def upload(media_id: str):
        media_id = path_id(media_id, "media id")
        request = json_body(app.current_event, UploadRequest)
        user = caller(app.current_event)
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from itertools import accumulate
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    ServiceError,
    UnauthorizedError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from hybridstack.services.common.text import (
    TextRefusedError,
    clean_strings,
    clean_text,
    single_line,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

PAYLOAD_TOO_LARGE = 413
UNSUPPORTED_MEDIA_TYPE = 415
UNPROCESSABLE = 422

MAX_BODY_BYTES = 64 * 1024
"""The largest JSON body any route accepts (a 4000-character message is at most 16 KiB)."""
MAX_JSON_DEPTH = 8
"""How deeply a JSON body may nest objects and arrays (the deepest route body needs 3)."""
PATH_ID_PATTERN = re.compile(r"(?!__[A-Za-z0-9_-]*__\Z)[A-Za-z0-9_-]{1,128}")
"""What an id in a path may be: the ids the platform makes (uuid hex, Firestore auto ids) and
Firestore-safe client ids: 1-128 letters, digits, ``-``, ``_``, and not ``__..__`` (reserved by
Firestore); never ``.``/``..``, ``/`` or anything a database would refuse."""
MAX_UID_LENGTH = 128
"""Firebase Auth's longest uid."""
Id = Annotated[str, Field(pattern=f"^{PATH_ID_PATTERN.pattern}$")]
"""An id in a body (a media or message id): the same charset as a path id."""
Uid = Annotated[str, Field(min_length=1, max_length=MAX_UID_LENGTH), BeforeValidator(single_line)]
"""A Firebase uid in a body: 1-128 characters of single-line text."""
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # one step per plain run


class RequestBody(BaseModel):
    """Base of every request body model: strict types (no ``"100"`` or ``true`` for an int, no
    number for a string), unknown fields refused. String fields are :data:`~.text.Line` or
    :data:`~.text.Paragraph` (:func:`json_body` has already applied the text rule to every
    string; these add the single-line tightening and keep the rule for models built in code)."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re")


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
    """The request body as text (API Gateway hands a body that is not UTF-8 over base64-encoded):
    413 above :data:`MAX_BODY_BYTES`, 400 when it is not UTF-8."""
    body = event.body or ""
    if event.is_base64_encoded and body:
        if len(body) > (MAX_BODY_BYTES + 2) // 3 * 4:
            raise _too_large()
        try:
            data = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise BadRequestError("the body is marked base64-encoded but is not base64") from None
    else:
        data = body.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequestError(
            f"the body is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def _too_large() -> ServiceError:
    return ServiceError(PAYLOAD_TOO_LARGE, f"the body is larger than {MAX_BODY_BYTES} bytes")


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether ``text`` nests ``{``/``[`` (outside strings) more than ``limit`` levels, found
    without parsing it (so no parser recursion, whatever the depth)."""
    if text.count("{") + text.count("[") <= limit:
        return False  # the common case, at C speed: too few brackets to be too deep
    skeleton = _JSON_STRING.sub("", text)
    steps = (1 if c in "{[" else -1 for c in skeleton if c in "{}[]")
    return max(accumulate(steps, initial=0)) > limit


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
    if nests_deeper_than(text, MAX_JSON_DEPTH):
        raise BadRequestError(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as error:
        raise BadRequestError(
            f"malformed JSON body: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise BadRequestError(f"malformed JSON body: {error}") from None
    if not isinstance(data, dict):
        kind = "an empty body" if data is None else f"a JSON {type(data).__name__}"
        raise BadRequestError(f"the body must be a JSON object, not {kind}")
    try:
        data = clean_strings(data)
    except TextRefusedError as error:
        raise ServiceError(UNPROCESSABLE, f"invalid request body: {error}") from None
    return parse_model(model, data)


def path_id(value: str, what: str) -> str:
    """An id taken from the path, checked before any database sees it: 400 naming ``what``
    unless it matches :data:`PATH_ID_PATTERN` (1-128 letters, digits, ``-``, ``_``; not
    ``__..__``)."""
    if PATH_ID_PATTERN.fullmatch(value) is None:
        shown = value if len(value) <= 40 else f"{value[:40]}... ({len(value)} characters)"
        raise BadRequestError(
            f"invalid {what} {shown!r}: use 1-128 letters, digits, '-' or '_' "
            "(not __...__, which Firestore reserves)"
        )
    return value


def path_uid(value: str) -> str:
    """A Firebase uid taken from the path (any text of 1-128 characters under the single-line
    text rule; Firebase allows more than :data:`PATH_ID_PATTERN`): 400 naming the problem."""
    try:
        uid = clean_text(value, multiline=False)
    except TextRefusedError as error:
        raise BadRequestError(f"invalid uid: {error}") from None
    if not 1 <= len(uid) <= MAX_UID_LENGTH:
        raise BadRequestError(
            f"invalid uid: a uid has 1-{MAX_UID_LENGTH} characters (got {len(uid)})"
        )
    return uid


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
