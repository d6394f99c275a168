"""Roles as Firebase custom claims: the role lives in the ID token, the record mirrors it.

Only an admin may change a role. The claim is set with the Admin SDK, so the user's next ID
token (after a refresh) carries ``role``; API Gateway passes it to the Lambdas in the verified
claims, where :class:`~hybridstack.services.common.http.Caller` reads it.

Example:
    assign_role(admin_caller, "u1", "editor")
"""

from __future__ import annotations

from typing import Any

from firebase_admin import auth

from hybridstack.services.common.clients import firebase_app
from hybridstack.services.common.http import Caller, RequestBody
from hybridstack.services.identity.users import Role, UserRecord, UserStore, user_store


class RoleChange(RequestBody):
    """The body of ``PUT /users/{uid}/role``."""

    role: Role


class NotAllowedError(PermissionError):
    """The caller may not do this (the message says why)."""


def assign_role(
    actor: Caller, uid: str, role: Role, *, users: UserStore | None = None
) -> UserRecord:
    """Set ``role`` as a custom claim on ``uid`` (keeping its other claims) and on its record."""
    if not actor.is_admin:
        raise NotAllowedError(f"only an admin may change roles (your role is {actor.role!r})")
    app = firebase_app()
    current: dict[str, Any] = dict(auth.get_user(uid, app=app).custom_claims or {})
    # The record first: a user without one is refused before any claim changes (a repeat of
    # this call after a failed claim update converges, both writes being idempotent).
    record = (users or user_store()).set_role(uid, role)
    current["role"] = role
    auth.set_custom_user_claims(uid, current, app=app)
    return record
