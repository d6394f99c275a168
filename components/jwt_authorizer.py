"""JwtAuthorizerConfig: who issues the tokens an ``HttpApi`` JWT authorizer accepts.

``Identity`` (Firebase Auth: issuer ``https://securetoken.google.com/<project>``, audience
``<project>``) produces one; so can ``CrossCloudAccess`` for Google-signed OIDC tokens (issuer
``https://accounts.google.com``, audience = the push endpoint) or a Cognito user pool. An
``HttpApi`` takes either the config itself or any object with a ``jwt_authorizer()`` method
returning one (:class:`JwtAuthorizerSource`), so components need not import each other.

Example:
    firebase = JwtAuthorizerConfig.firebase("demo-music")
    api = HttpApi("api", {"authorizer": firebase})
    pubsub = JwtAuthorizerConfig(name="google-push", issuer="https://accounts.google.com",
                                 audience=["https://api.example.com/media/sync"])
    api.route("POST /media/sync", sync_fn, authorizer=pubsub)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pulumi

from hybridstack.components.component import ComponentArgsError

FIREBASE_ISSUER_PREFIX = "https://securetoken.google.com/"
GOOGLE_ISSUER = "https://accounts.google.com"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


@dataclass(frozen=True)
class JwtAuthorizerConfig:
    """Issuer and audiences of a JWT authorizer (API Gateway v2 ``jwt_configuration``).

    ``issuer`` must be the ``iss`` claim exactly (an https URL serving OIDC discovery; the local
    cloud uses an http issuer on 127.0.0.1). ``audience`` lists accepted ``aud``/``client_id``
    values. ``scopes`` are required on every route using it unless the route sets its own.
    """

    issuer: pulumi.Input[str]
    audience: Sequence[pulumi.Input[str]]
    name: str = "jwt"
    identity_source: str = "$request.header.Authorization"
    scopes: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if isinstance(self.audience, str):
            object.__setattr__(self, "audience", (self.audience,))
        if not self.audience:
            raise ComponentArgsError(f"JwtAuthorizerConfig {self.name!r}: audience is empty")
        if not _NAME.match(self.name):
            raise ComponentArgsError(
                f"JwtAuthorizerConfig: name={self.name!r} must be 1-128 letters, digits, - or _"
            )
        if isinstance(self.issuer, str) and not self.issuer.startswith(("https://", "http://")):
            raise ComponentArgsError(
                f"JwtAuthorizerConfig {self.name!r}: issuer={self.issuer!r} must be a URL "
                f"(e.g. {FIREBASE_ISSUER_PREFIX}<project>)"
            )
        if not self.identity_source.startswith("$request."):
            raise ComponentArgsError(
                f"JwtAuthorizerConfig {self.name!r}: identity_source={self.identity_source!r} "
                "must be a request selection expression like $request.header.Authorization"
            )

    @classmethod
    def firebase(cls, project_id: str, *, name: str = "firebase") -> JwtAuthorizerConfig:
        """Firebase Auth / Identity Platform ID tokens of ``project_id``."""
        return cls(
            issuer=f"{FIREBASE_ISSUER_PREFIX}{project_id}", audience=(project_id,), name=name
        )

    def jwt_authorizer(self) -> JwtAuthorizerConfig:
        """A config is its own source."""
        return self


@runtime_checkable
class JwtAuthorizerSource(Protocol):
    """Anything that can say which JWTs to trust (``Identity``, ``CrossCloudAccess``, ...)."""

    def jwt_authorizer(self) -> JwtAuthorizerConfig: ...


def resolve_authorizer(source: JwtAuthorizerConfig | JwtAuthorizerSource) -> JwtAuthorizerConfig:
    """The config behind ``source``; a clear TypeError for anything else."""
    if isinstance(source, JwtAuthorizerConfig):
        return source
    if isinstance(source, JwtAuthorizerSource):
        config = source.jwt_authorizer()
        if isinstance(config, JwtAuthorizerConfig):
            return config
    raise TypeError(
        f"{type(source).__name__} is not a JWT authorizer: pass a JwtAuthorizerConfig or an "
        "object with jwt_authorizer() returning one (e.g. Identity)"
    )
