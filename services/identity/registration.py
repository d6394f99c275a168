"""Registration: a new Firebase user gets its AWS user record through a verifiable call.

Two halves:

- :func:`register_with_aws` runs in the Firebase blocking function (``beforeUserCreated``): it
  asks Google for an ID token of the function's service account with the registration URL
  ``<api>/internal/users`` as audience (:func:`google_id_token`, from the metadata server on GCP;
  the route's authorizer requires exactly that audience) and POSTs the new user there, retrying
  what may pass within the blocking function's time. A failure never blocks the sign-up: it is
  logged as an error with the uid and the reason, and the record is created lazily on the user's
  first authenticated request instead, counted as a missed registration
  (:mod:`~hybridstack.services.identity.missed_registrations`).
- :func:`accept_registration` runs behind the API's Google JWT authorizer (issuer
  ``https://accounts.google.com``, signature, audience and expiry already checked) and admits
  only the registration service account named by the linked CrossCloudAccess
  (``<NAME>_GOOGLE_CALLER``): any Google identity can mint a token for an audience. On the
  local stack (``HYBRIDSTACK_ENV=local``) Google is the local issuer's stand-in
  (``<HYBRIDSTACK_TOKEN_ISSUER base>/google``), which the local authorizer trusts instead.

Example:
    register_with_aws(NewUser(uid="u1", email="a@b.c"), api_url="https://api.example.com",
                      token=google_id_token("https://api.example.com/internal/users"))
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from aws_lambda_powertools import Logger
from pydantic import ValidationError

from hybridstack.services.common import settings
from hybridstack.services.common.http import Caller
from hybridstack.services.identity.users import NewUser, UserRecord, UserStore, user_store

GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")
REGISTRATION_PATH = "/internal/users"
REGISTRATION_BUDGET_SECONDS = 6.0
"""How long a sign-up waits for the registration call, retries included: under the 7 s within
which Identity Platform wants a blocking function's answer."""
FIRST_RETRY_PAUSE_SECONDS = 0.25
LOCAL_ISSUER_VARIABLE = "HYBRIDSTACK_TOKEN_ISSUER"
logger = Logger(service="identity")

Post = Callable[..., Any]


class RegistrationRefusedError(PermissionError):
    """The caller of the registration endpoint is not the registration service."""


def registration_url(api_url: str) -> str:
    """``<api>/internal/users``: where new users are POSTed, and the tokens' audience."""
    return api_url.rstrip("/") + REGISTRATION_PATH


def trusted_google_issuers(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Google's issuers; on the local stack also the local issuer's Google stand-in."""
    source = env if env is not None else os.environ
    local_issuer = source.get(LOCAL_ISSUER_VARIABLE)
    if source.get(settings.HYBRIDSTACK_ENV) == "local" and local_issuer:
        base = local_issuer.rstrip("/").rsplit("/", 1)[0]
        return (*GOOGLE_ISSUERS, f"{base}/google")
    return GOOGLE_ISSUERS


def google_id_token(audience: str) -> str:
    """A Google-signed ID token for this code's service account (metadata server on GCP)."""
    import google.auth.transport.requests
    from google.oauth2 import id_token

    token: str = id_token.fetch_id_token(google.auth.transport.requests.Request(), audience)
    return token


def register_with_aws(
    user: NewUser,
    *,
    api_url: str,
    token: str,
    post: Post = requests.post,
    budget: float = REGISTRATION_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST the new user to the AWS API; True when it answered 2xx. Never raises.

    A failure that may pass (no connection, a timeout, 429, 5xx: e.g. the API's function still
    starting) is retried with a short back-off while ``budget`` seconds last; the API creates the
    record once however often it is posted. What finally fails is logged as an error naming the
    uid and the reason (the record is then created lazily, and counted, on the first call).
    """
    deadline = clock() + budget
    attempts, pause = 0, FIRST_RETRY_PAUSE_SECONDS
    while True:
        attempts += 1
        reason, retry = _attempt(user, api_url, token, post, max(deadline - clock(), 0.1))
        if reason is None:
            return True
        if not retry or clock() + pause >= deadline:
            _failed(user.uid, reason, attempts=attempts)
            return False
        sleep(pause)
        pause *= 2


def _failed(uid: str, reason: str, **details: Any) -> None:
    """The one error a failed registration logs: the uid and why (what alerting reads)."""
    logger.error(
        "registration failed; the record will be created on the first API call",
        extra={"uid": uid, "reason": reason, **details},
    )


def _attempt(
    user: NewUser, api_url: str, token: str, post: Post, timeout: float
) -> tuple[str | None, bool]:
    """One POST: (None, _) when accepted, else (the reason, whether retrying may help)."""
    try:
        response = post(
            registration_url(api_url),
            json=user.model_dump(exclude_none=True),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except Exception as error:
        return f"{type(error).__name__}: {error}", True
    if 200 <= response.status_code < 300:
        return None, False
    passing = response.status_code == 429 or response.status_code >= 500
    return f"HTTP {response.status_code}: {response.text[:300]}", passing


def on_user_created(
    event: Any,
    *,
    api_url: str,
    token_source: Callable[[str], str] = google_id_token,
    post: Post = requests.post,
) -> bool:
    """The blocking function's body: ``event.data`` is the new user (uid, email, name).

    A display name the API's text rule refuses is left out of the registration (the user can set
    one later); anything else the record cannot hold fails the registration, never the sign-up.
    """
    data = event.data
    try:
        user = _new_user(data)
    except ValidationError as error:
        _failed(str(data.uid), f"not a valid new user: {error}")
        return False
    try:
        token = token_source(registration_url(api_url))
    except Exception as error:
        _failed(user.uid, f"no ID token: {type(error).__name__}: {error}")
        return False
    return register_with_aws(user, api_url=api_url, token=token, post=post)


def _new_user(data: Any) -> NewUser:
    try:
        return NewUser(uid=data.uid, email=data.email, display_name=data.display_name)
    except ValidationError as error:
        if not any(problem["loc"] == ("display_name",) for problem in error.errors()):
            raise
        logger.warning(
            "display name left out of the registration",
            extra={"uid": str(data.uid), "reason": str(error)},
        )
        return NewUser(uid=data.uid, email=data.email)


def accept_registration(
    caller_claims: Caller, user: NewUser, *, users: UserStore | None = None
) -> tuple[UserRecord, bool]:
    """Create the record for ``user`` if the call came from the registration service."""
    expected = settings.by_suffix(settings.GOOGLE_CALLER_SUFFIX)
    if not expected:
        raise RegistrationRefusedError(
            "registration is closed: no registration service account is linked "
            "(<NAME>_GOOGLE_CALLER is not set)"
        )
    if caller_claims.issuer not in trusted_google_issuers() or caller_claims.email != expected:
        raise RegistrationRefusedError(
            f"only {expected} may register users (the token is {caller_claims.email!r} "
            f"issued by {caller_claims.issuer!r})"
        )
    return (users or user_store()).create_if_absent(user, source="registration")
