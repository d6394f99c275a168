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
    identity = Identity("auth", project="acme-prod",
                        oauth_providers={"google.com": {"client_id": google_id,
                                                        "client_secret": google_secret}},
                        authorized_domains=["app.acme.com"],
                        blocking_functions={"beforeCreate": "https://.../before-create"})
    api = HttpApi("api", {"authorizer": identity})       # or identity.jwt_authorizer()
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypedDict

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.jwt_authorizer import FIREBASE_ISSUER_PREFIX, JwtAuthorizerConfig
from hybridstack.components.link import LinkSpec, env_prefix
from hybridstack.components.stack_defaults import is_production

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


class IdentityArgs(TypedDict, total=False):
    """How users sign in, where OAuth may redirect, and which hooks run on sign-in."""

    project: pulumi.Input[str]
    """The Firebase project id (required)."""
    email_password: bool
    """Email + password sign-in (default True)."""
    email_link: bool
    """Allow passwordless email-link sign-in too (default False: a password is required)."""
    anonymous: bool
    """Anonymous sign-in (default False); anonymous users are deleted after 30 days."""
    phone: bool
    """Phone-number sign-in (default False)."""
    test_phone_numbers: Mapping[str, str]
    """``{"+15555550100": "123456"}`` fake numbers for tests; refused on production stacks."""
    oauth_providers: Mapping[str, OAuthProviderSpec]
    """IdP id (``google.com`` ...) -> OAuth client id and secret."""
    authorized_domains: Sequence[str]
    """Domains allowed for OAuth redirects besides ``<project>.firebaseapp.com``/``.web.app``
    (and ``localhost`` outside production)."""
    blocking_functions: Mapping[str, pulumi.Input[str]]
    """``beforeCreate``/``beforeSignIn`` -> the https URI of the function to call."""
    forward_id_token: bool
    """Pass the IdP's ID token to blocking functions (default False)."""
    allow_duplicate_emails: bool
    """One account per email unless True (default False)."""
    issuer: pulumi.Input[str]
    """Override the token issuer the AWS side trusts (the local cloud's signing issuer)."""


def firebase_issuer(project: str) -> str:
    """The ``iss`` of the project's Firebase ID tokens."""
    return f"{FIREBASE_ISSUER_PREFIX}{project}"


def default_authorized_domains(project: str, production: bool) -> list[str]:
    """Firebase's own hosting domains, plus ``localhost`` outside production."""
    domains = [f"{project}.firebaseapp.com", f"{project}.web.app"]
    return domains if production else ["localhost", *domains]


class Identity(HybridComponent):
    """Identity Platform sign-in for the project and the JWT settings AWS uses to trust it.

    Example:
        identity = Identity("auth", project="acme-dev", anonymous=True)
        api = HttpApi("api", {"authorizer": identity})
    """

    TYPE: ClassVar[str] = "hybridstack:index:Identity"
    CHILD_ROLES: ClassVar[tuple[str, ...]] = ("config", "idp")

    project: pulumi.Output[str]
    issuer: pulumi.Output[str]
    """The ``iss`` accepted: ``https://securetoken.google.com/<project>`` unless overridden."""
    audience: pulumi.Output[str]
    """The ``aud`` accepted: the project id."""
    authorized_domains: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        args: IdentityArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        merged: dict[str, Any] = {**(args or {}), **kwargs}
        owner = f"Identity {name!r}"
        production = is_production()
        _validate(owner, merged, production)
        super().__init__(name, transform=transform, opts=opts)

        project: pulumi.Input[str] = merged["project"]
        self.project = pulumi.Output.from_input(project)
        self.audience = self.project
        issuer = merged.get("issuer")
        self.issuer = (
            pulumi.Output.from_input(issuer)
            if issuer is not None
            else self.project.apply(firebase_issuer)
        )
        extra_domains = list(merged.get("authorized_domains") or ())
        self.authorized_domains = self.project.apply(
            lambda p: list(
                dict.fromkeys([*default_authorized_domains(p, production), *extra_domains])
            )
        )

        sign_in: dict[str, Any] = {
            "allow_duplicate_emails": bool(merged.get("allow_duplicate_emails", False)),
            "email": {
                "enabled": bool(merged.get("email_password", True)),
                "password_required": not merged.get("email_link", False),
            },
            "anonymous": {"enabled": bool(merged.get("anonymous", False))},
            "phone_number": {"enabled": bool(merged.get("phone", False))},
        }
        if merged.get("test_phone_numbers"):
            sign_in["phone_number"]["test_phone_numbers"] = dict(merged["test_phone_numbers"])
        config: dict[str, Any] = {
            "project": project,
            "sign_in": sign_in,
            "authorized_domains": self.authorized_domains,
            "autodelete_anonymous_users": bool(merged.get("anonymous", False)),
        }
        hooks = dict(merged.get("blocking_functions") or {})
        if hooks:
            config["blocking_functions"] = {
                "triggers": [
                    {"event_type": event, "function_uri": uri}
                    for event, uri in sorted(hooks.items())
                ],
                "forward_inbound_credentials": {
                    "id_token": bool(merged.get("forward_id_token", False)),
                    "access_token": False,
                    "refresh_token": False,
                },
            }
        identity_config = self.child(
            "config", gcp.identityplatform.Config, f"{name}-config", config
        )
        for idp_id, spec in sorted((merged.get("oauth_providers") or {}).items()):
            self.child(
                "idp",
                gcp.identityplatform.DefaultSupportedIdpConfig,
                f"{name}-{idp_id.replace('.', '-')}",
                {
                    "project": project,
                    "idp_id": idp_id,
                    "client_id": spec["client_id"],
                    "client_secret": pulumi.Output.secret(spec["client_secret"]),
                    "enabled": True,
                },
                opts=pulumi.ResourceOptions(depends_on=[identity_config]),
            )
        self.register_outputs(
            {
                "issuer": self.issuer,
                "audience": self.audience,
                "authorizedDomains": self.authorized_domains,
            }
        )

    def jwt_authorizer(self) -> JwtAuthorizerConfig:
        """The JWT authorizer settings trusting this project's ID tokens (for ``HttpApi``)."""
        return JwtAuthorizerConfig(issuer=self.issuer, audience=[self.audience], name="firebase")

    def link_spec(self) -> LinkSpec:
        """``<NAME>_FIREBASE_PROJECT`` and ``<NAME>_TOKEN_ISSUER`` for code verifying tokens."""
        prefix = env_prefix(self.component_name)
        return LinkSpec(
            environment={
                f"{prefix}_FIREBASE_PROJECT": self.project,
                f"{prefix}_TOKEN_ISSUER": self.issuer,
            }
        )


def _validate(owner: str, merged: dict[str, Any], production: bool) -> None:
    known = set(IdentityArgs.__annotations__)
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ComponentArgsError(
            f"{owner}: unknown argument(s) {', '.join(unknown)}; "
            f"the arguments are: {', '.join(sorted(known))}"
        )
    if not merged.get("project"):
        raise ComponentArgsError(f"{owner}: project (the Firebase project id) is required")
    methods = [
        merged.get("email_password", True),
        merged.get("anonymous", False),
        merged.get("phone", False),
        bool(merged.get("oauth_providers")),
    ]
    if not any(methods):
        raise ComponentArgsError(
            f"{owner}: no sign-in method is enabled; enable email_password, anonymous, phone "
            "or an oauth_providers entry"
        )
    for idp_id, spec in (merged.get("oauth_providers") or {}).items():
        if idp_id not in OAUTH_PROVIDERS:
            raise ComponentArgsError(
                f"{owner}: oauth_providers key {idp_id!r} is not a supported provider; use one "
                f"of {', '.join(OAUTH_PROVIDERS)}"
            )
        if (
            not isinstance(spec, Mapping)
            or not spec.get("client_id")
            or not spec.get("client_secret")
        ):
            raise ComponentArgsError(
                f"{owner}: oauth_providers[{idp_id!r}] needs client_id and client_secret"
            )
    for domain in merged.get("authorized_domains") or ():
        if not isinstance(domain, str) or not _DOMAIN.match(domain):
            raise ComponentArgsError(
                f"{owner}: authorized_domains entry {domain!r} is not a domain name (no scheme, "
                "path or wildcard)"
            )
        if production and domain == "localhost":
            raise ComponentArgsError(
                f"{owner}: authorized_domains must not include 'localhost' on a production stack"
            )
    for event, uri in (merged.get("blocking_functions") or {}).items():
        if event not in BLOCKING_EVENTS:
            raise ComponentArgsError(
                f"{owner}: blocking_functions key {event!r} must be one of "
                f"{', '.join(BLOCKING_EVENTS)}"
            )
        if isinstance(uri, str) and not uri.startswith("https://"):
            raise ComponentArgsError(
                f"{owner}: blocking_functions[{event!r}] = {uri!r} must be an https:// URI"
            )
    phones = merged.get("test_phone_numbers")
    if phones:
        if production:
            raise ComponentArgsError(
                f"{owner}: test_phone_numbers sign anyone in with a known code; they are "
                "refused on production stacks"
            )
        if not merged.get("phone", False):
            raise ComponentArgsError(f"{owner}: test_phone_numbers needs phone=True")
        for number, code in phones.items():
            if not re.match(r"^\+[1-9]\d{6,14}$", str(number)) or not re.match(
                r"^\d{6}$", str(code)
            ):
                raise ComponentArgsError(
                    f"{owner}: test_phone_numbers entry {number!r}: {code!r} must be an E.164 "
                    "number and a 6-digit code"
                )
    issuer = merged.get("issuer")
    if isinstance(issuer, str) and not re.match(r"^https?://", issuer):
        raise ComponentArgsError(f"{owner}: issuer {issuer!r} must be a URL")
