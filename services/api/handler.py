"""The platform API's Lambda adapter: ``GET /health`` (public) and ``GET /me`` (JWT-authorized).

API Gateway's JWT authorizer has already verified the Firebase ID token (signature, issuer
``https://securetoken.google.com/<project>``, audience ``<project>``, expiry) before this code
runs; ``GET /me`` answers with the verified claims the authorizer passed on, and refuses a
request that reached it without them (a misconfigured route) with 401 rather than guessing.

Example event -> response::

    handle({"rawPath": "/me", "requestContext": {"http": {"method": "GET"},
            "authorizer": {"jwt": {"claims": {"sub": "u1", "email": "a@b.c"}}}}, ...}, ctx)
    # {"statusCode": 200, "body": '{"uid": "u1", "email": "a@b.c", ...}'}
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.exceptions import UnauthorizedError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hybridstack.services.api import routes
from hybridstack.services.common.routes import serve

logger = Logger(service="platform-api")
app = APIGatewayHttpResolver()

STANDARD_CLAIMS = frozenset(
    {"iss", "aud", "auth_time", "user_id", "sub", "iat", "exp", "email", "email_verified",
     "firebase", "name", "picture"}
)  # fmt: skip


def identity_from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The caller as the API reports it: uid, email, and the custom claims (roles ...)."""
    uid = claims.get("sub") or claims.get("user_id")
    if not uid:
        raise UnauthorizedError("no verified identity on this request")
    verified = claims.get("email_verified")
    return {
        "uid": uid,
        "email": claims.get("email"),
        "email_verified": verified in (True, "true"),
        "custom_claims": {k: v for k, v in claims.items() if k not in STANDARD_CLAIMS},
    }


def health() -> dict[str, str]:
    """Liveness: answers without touching any dependency."""
    return {"status": "ok"}


def me() -> dict[str, Any]:
    """The verified identity of the caller."""
    return identity_from_claims(app.current_event.request_context.authorizer.jwt_claim)


ROUTES = serve(app, {routes.HEALTH: health, routes.ME: me}, declared=routes.ROUTES)
"""The routes this adapter serves (API Gateway route keys); the program routes exactly these."""


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point (HTTP API payload format 2.0)."""
    return app.resolve(event, context)
