"""Identity: Firebase Auth / Identity Platform sign-in, and the AWS side that trusts its tokens.

Configures Identity Platform for the project — which sign-in methods exist (email/password on by
default; anonymous and phone when asked), OAuth identity providers such as Google, the domains
allowed to complete OAuth redirects, and blocking-function hooks (``beforeCreate``,
``beforeSignIn``) that can refuse or enrich a sign-in — and produces the
:class:`~hybridstack.components.jwt_authorizer.JwtAuthorizerConfig` that an ``HttpApi`` uses to
accept the project's Firebase ID tokens (issuer ``https://securetoken.google.com/<project>``,
audience ``<project>``).

**Custom claims.** Mapping claims to permissions is the services' job; the claim names every
hybridstack service reads are listed in :data:`CLAIM_NAMES` (set them with the Admin SDK,
``auth.set_custom_user_claims(uid, {"role": "admin"})``, typically from the ``beforeCreate``
hook or an admin endpoint). API Gateway passes the verified claims to the Lambda in
``requestContext.authorizer.jwt.claims``.

**Local cloud.** The Auth emulator issues unsigned tokens that no JWT authorizer accepts; pass
``issuer`` (the local signing issuer, e.g. ``http://127.0.0.1:9399/demo-acme``) on the local
stack so the API trusts the locally signed tokens instead.

Example:
    identity = Identity("auth", {
        "project": "acme-prod",
        "oauth_providers": {"google.com": {"client_id": google_id,
                                           "client_secret": google_secret}},
        "authorized_domains": ["app.acme.com"],
        "blocking_functions": {"beforeCreate": "https://.../before-create"},
    })
    api = HttpApi("api", {"authorizer": identity})       # or identity.jwt_authorizer()
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.args import ComponentArgs, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.jwt_authorizer import FIREBASE_ISSUER_PREFIX, JwtAuthorizerConfig
from hybridstack.components.link import LinkSpec, link_variable
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import FIREBASE_PROJECT, TOKEN_ISSUER

CLAIM_NAMES: Mapping[str, str] = {
    "role": "the user's role: 'user' (default when absent), 'editor', 'admin'",
    "org": "the organisation/tenant id the user acts for (multi-tenant services)",
    "plan": "the subscription plan ('free', 'pro', ...) for feature gates",
}
"""Custom claims the hybridstack services read from verified Firebase ID tokens."""

OAUTH_PROVIDERS: tuple[str, ...] = (
    "google.com", "apple.com", "facebook.com", "github.com", "linkedin.com", "microsoft.com",
    "twitter.com", "yahoo.com", "playgames.google.com", "gc.apple.com",
)  # fmt: skip
"""The identity providers Identity Platform supports without a custom OIDC/SAML config."""

BLOCKING_EVENTS: tuple[str, ...] = ("beforeCreate", "beforeSignIn")
_DOMAIN = re.compile(
    r"^(localhost|(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$"
)


class OAuthProviderSpec(TypedDict):
    """An OAuth client registered with the provider (e.g. a Google OAuth client)."""

    client_id: pulumi.Input[str]
    client_secret: pulumi.Input[str]


def firebase_issuer(project: str) -> str:
    """The ``iss`` of the project's Firebase ID tokens."""
    return f"{FIREBASE_ISSUER_PREFIX}{project}"


def default_authorized_domains(project: str, production: bool) -> list[str]:
    """Firebase's own hosting domains, plus ``localhost`` outside production."""
    domains = [f"{project}.firebaseapp.com", f"{project}.web.app"]
    return domains if production else ["localhost", *domains]


@dataclass(frozen=True, kw_only=True)
class IdentityArgs(ComponentArgs):
    """How users sign in, where OAuth may redirect, and which hooks run on sign-in."""

    project: pulumi.Input[str]
    """The Firebase project id (required)."""
    email_password: bool = True
    """Email + password sign-in."""
    email_link: bool = False
    """Allow passwordless email-link sign-in too (off: a password is required)."""
    anonymous: bool = False
    """Anonymous sign-in; anonymous users are deleted after 30 days."""
    phone: bool = False
    """Phone-number sign-in."""
    test_phone_numbers: Mapping[str, str] = field(default_factory=dict)
    """``{"+15555550100": "123456"}`` fake numbers for tests; refused on production stacks."""
    oauth_providers: Mapping[str, OAuthProviderSpec] = field(default_factory=dict)
    """IdP id (``google.com`` ...) -> OAuth client id and secret."""
    authorized_domains: Sequence[str] = ()
    """Domains allowed for OAuth redirects besides ``<project>.firebaseapp.com``/``.web.app``
    (and ``localhost`` outside production)."""
    blocking_functions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """``beforeCreate``/``beforeSignIn`` -> the https URI of the function to call."""
    forward_id_token: bool = False
    """Pass the IdP's ID token to blocking functions."""
    allow_duplicate_emails: bool = False
    """Allow several accounts with one email (off: one account per email)."""
    issuer: pulumi.Input[str] | None = None
    """Override the token issuer the AWS side trusts (the local cloud's signing issuer; default:
    ``https://securetoken.google.com/<project>``)."""

    def __post_init__(self) -> None:
        if not self.project:
            refuse("project (the Firebase project id) is required")
        if not (self.email_password or self.anonymous or self.phone or self.oauth_providers):
            refuse(
                "no sign-in method is enabled; enable email_password, anonymous, phone or an "
                "oauth_providers entry"
            )
        for idp_id, spec in self.oauth_providers.items():
            if idp_id not in OAUTH_PROVIDERS:
                refuse(
                    f"oauth_providers key {idp_id!r} is not a supported provider; use one of "
                    f"{', '.join(OAUTH_PROVIDERS)}"
                )
            if (
                not isinstance(spec, Mapping)
                or not spec.get("client_id")
                or not spec.get("client_secret")
            ):
                refuse(f"oauth_providers[{idp_id!r}] needs client_id and client_secret")
        production = is_production()
        for domain in self.authorized_domains:
            if not isinstance(domain, str) or not _DOMAIN.match(domain):
                refuse(
                    f"authorized_domains entry {domain!r} is not a domain name (no scheme, path "
                    "or wildcard)"
                )
            if production and domain == "localhost":
                refuse("authorized_domains must not include 'localhost' on a production stack")
        for event, uri in self.blocking_functions.items():
            if event not in BLOCKING_EVENTS:
                refuse(
                    f"blocking_functions key {event!r} must be one of {', '.join(BLOCKING_EVENTS)}"
                )
            if isinstance(uri, str) and not uri.startswith("https://"):
                refuse(f"blocking_functions[{event!r}] = {uri!r} must be an https:// URI")
        self._check_test_phone_numbers(production)
        if isinstance(self.issuer, str) and not re.match(r"^https?://", self.issuer):
            refuse(f"issuer {self.issuer!r} must be a URL")

    def _check_test_phone_numbers(self, production: bool) -> None:
        if not self.test_phone_numbers:
            return
        if production:
            refuse(
                "test_phone_numbers sign anyone in with a known code; they are refused on "
                "production stacks"
            )
        if not self.phone:
            refuse("test_phone_numbers needs phone=True")
        for number, code in self.test_phone_numbers.items():
            if not re.match(r"^\+[1-9]\d{6,14}$", str(number)) or not re.match(
                r"^\d{6}$", str(code)
            ):
                refuse(
                    f"test_phone_numbers entry {number!r}: {code!r} must be an E.164 number and "
                    "a 6-digit code"
                )


def sign_in_config(settings: IdentityArgs) -> dict[str, Any]:
    """Identity Platform's ``sign_in`` block for these settings."""
    sign_in: dict[str, Any] = {
        "allow_duplicate_emails": settings.allow_duplicate_emails,
        "email": {"enabled": settings.email_password, "password_required": not settings.email_link},
        "anonymous": {"enabled": settings.anonymous},
        "phone_number": {"enabled": settings.phone},
    }
    if settings.test_phone_numbers:
        sign_in["phone_number"]["test_phone_numbers"] = dict(settings.test_phone_numbers)
    return sign_in


def blocking_functions_config(settings: IdentityArgs) -> dict[str, Any] | None:
    """Identity Platform's ``blocking_functions`` block (None without hooks)."""
    if not settings.blocking_functions:
        return None
    return {
        "triggers": [
            {"event_type": event, "function_uri": uri}
            for event, uri in sorted(settings.blocking_functions.items())
        ],
        "forward_inbound_credentials": {
            "id_token": settings.forward_id_token,
            "access_token": False,
            "refresh_token": False,
        },
    }


class IdentityTransforms(TypedDict, total=False):
    """Reshape a child of the Identity before it is created (see ``HybridComponent``)."""

    config: Transform
    """``gcp.identityplatform.Config``: sign-in methods, domains, blocking functions."""
    idp: Transform
    """``gcp.identityplatform.DefaultSupportedIdpConfig``: each OAuth identity provider."""


class Identity(HybridComponent):
    """Identity Platform sign-in for the project and the JWT settings AWS uses to trust it.

    Example:
        identity = Identity("auth", {"project": "acme-dev", "anonymous": True})
        api = HttpApi("api", {"authorizer": identity})
    """

    TYPE = "hybridstack:index:Identity"
    TRANSFORMS = IdentityTransforms

    project: pulumi.Output[str]
    issuer: pulumi.Output[str]
    """The ``iss`` accepted: ``https://securetoken.google.com/<project>`` unless overridden."""
    audience: pulumi.Output[str]
    """The ``aud`` accepted: the project id."""
    authorized_domains: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        args: IdentityArgs | Mapping[str, Any] | None = None,
        *,
        transform: IdentityTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = IdentityArgs.parse(args, owner=f"Identity {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self.project = pulumi.Output.from_input(settings.project)
        self.audience = self.project
        self.issuer = (
            pulumi.Output.from_input(settings.issuer)
            if settings.issuer is not None
            else self.project.apply(firebase_issuer)
        )
        self.authorized_domains = self._authorized_domains(settings)
        config = self._create_config(settings)
        self._create_identity_providers(settings, config)
        self.register_outputs(
            {
                "issuer": self.issuer,
                "audience": self.audience,
                "authorizedDomains": self.authorized_domains,
            }
        )

    def _authorized_domains(self, settings: IdentityArgs) -> pulumi.Output[list[str]]:
        production = is_production()
        extra = list(settings.authorized_domains)
        return self.project.apply(
            lambda p: list(dict.fromkeys([*default_authorized_domains(p, production), *extra]))
        )

    def _create_config(self, settings: IdentityArgs) -> gcp.identityplatform.Config:
        config: dict[str, Any] = {
            "project": settings.project,
            "sign_in": sign_in_config(settings),
            "authorized_domains": self.authorized_domains,
            "autodelete_anonymous_users": settings.anonymous,
        }
        hooks = blocking_functions_config(settings)
        if hooks is not None:
            config["blocking_functions"] = hooks
        return self.child(
            "config", gcp.identityplatform.Config, f"{self.component_name}-config", config
        )

    def _create_identity_providers(
        self, settings: IdentityArgs, config: gcp.identityplatform.Config
    ) -> None:
        for idp_id, spec in sorted(settings.oauth_providers.items()):
            self.child(
                "idp",
                gcp.identityplatform.DefaultSupportedIdpConfig,
                f"{self.component_name}-{idp_id.replace('.', '-')}",
                {
                    "project": settings.project,
                    "idp_id": idp_id,
                    "client_id": spec["client_id"],
                    "client_secret": pulumi.Output.secret(spec["client_secret"]),
                    "enabled": True,
                },
                opts=pulumi.ResourceOptions(depends_on=[config]),
            )

    def jwt_authorizer(self) -> JwtAuthorizerConfig:
        """The JWT authorizer settings trusting this project's ID tokens (for ``HttpApi``)."""
        return JwtAuthorizerConfig(issuer=self.issuer, audience=[self.audience], name="firebase")

    def link_spec(self) -> LinkSpec:
        """``<NAME>_FIREBASE_PROJECT`` and ``<NAME>_TOKEN_ISSUER`` for code verifying tokens."""
        name = self.component_name
        return LinkSpec(
            environment={
                link_variable(name, FIREBASE_PROJECT): self.project,
                link_variable(name, TOKEN_ISSUER): self.issuer,
            }
        )
