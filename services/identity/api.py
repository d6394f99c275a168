"""The identity API's Lambda adapter (HTTP API, payload 2.0, JWT-authorized routes).

- ``GET /users/me``: the caller's profile; the record is created on this first call when the
  registration call from Firebase never arrived (lazy creation).
- ``PATCH /users/me``: change ``display_name`` / ``bio``.
- ``PUT /users/{uid}/role``: an admin sets a role (a Firebase custom claim + the record).
- ``POST /internal/users``: the Firebase blocking function registers a new user (Google-signed
  token of the registration service account).

Example event -> response::

    handle({"rawPath": "/users/me", "requestContext": {"http": {"method": "GET"},
            "authorizer": {"jwt": {"claims": {"sub": "u1", "email": "a@b.c"}}}}, ...}, ctx)
    # {"statusCode": 200, "body": '{"uid": "u1", "created_by": "lazy", ...}'}
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from firebase_admin import auth as firebase_auth

from hybridstack.services.common.http import caller, json_body, path_uid
from hybridstack.services.common.routes import serve
from hybridstack.services.identity import routes
from hybridstack.services.identity.registration import (
    RegistrationRefusedError,
    accept_registration,
)
from hybridstack.services.identity.roles import NotAllowedError, RoleChange, assign_role
from hybridstack.services.identity.users import (
    NewUser,
    ProfileUpdate,
    UserNotFoundError,
    ensure_user,
    user_store,
)

logger = Logger(service="identity")
app = APIGatewayHttpResolver()


def get_me() -> dict[str, Any]:
    """The caller's record, created now if registration never happened."""
    me = caller(app.current_event)
    return ensure_user(me.uid, me.email).model_dump()


def patch_me() -> dict[str, Any]:
    me = caller(app.current_event)
    update = json_body(app.current_event, ProfileUpdate)
    users = user_store()
    ensure_user(me.uid, me.email, users)
    try:
        return users.update_profile(me.uid, update).model_dump()
    except ValueError as error:
        raise BadRequestError(str(error)) from None


def put_role(uid: str) -> dict[str, Any]:
    me = caller(app.current_event)
    uid = path_uid(uid)
    change = json_body(app.current_event, RoleChange)
    try:
        return assign_role(me, uid, change.role).model_dump()
    except NotAllowedError as error:
        raise ForbiddenError(str(error)) from None
    except (firebase_auth.UserNotFoundError, UserNotFoundError):
        raise NotFoundError(f"no user with uid {uid!r}") from None


def register() -> Response[Any]:
    service = caller(app.current_event)
    user = json_body(app.current_event, NewUser)
    try:
        record, created = accept_registration(service, user)
    except RegistrationRefusedError as error:
        raise ForbiddenError(str(error)) from None
    return Response(
        status_code=201 if created else 200,
        content_type="application/json",
        body=record.model_dump(),
    )


ROUTES = serve(
    app,
    {
        routes.GET_ME: get_me,
        routes.PATCH_ME: patch_me,
        routes.PUT_ROLE: put_role,
        routes.REGISTRATION: register,
    },
    declared=routes.ROUTES,
)
"""The routes this adapter serves (API Gateway route keys); the program routes exactly these."""


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point."""
    return app.resolve(event, context)
