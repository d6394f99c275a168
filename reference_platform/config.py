"""The stack config of the reference platform: typed, validated, with per-environment defaults.

Every key lives in the ``hybridstack`` namespace of a stack file (``Pulumi.<stack>.yaml``);
nested settings are objects, so ``pulumi config set --path media.retention_days 90`` works.
:func:`load_stack_config` reads them all and validates them *before* the program registers any
resource: a wrong value fails with :class:`StackConfigError` naming the full key
(``hybridstack:media.retention_days``) and what is allowed, an unknown key (a typo) fails with
the keys that exist.

Per-environment defaults (architecture D of the reference workloads):

=====================  ==========  ==========  ==========  ==========
setting                dev         local       staging     prod
=====================  ==========  ==========  ==========  ==========
log_retention_days     7           7           30          30
protect_data (*)       no          no          no          yes
media.cdn              off         off         on          on
static_site.cdn        off         off         on          on
media.retention_days   30          7           90          365
=====================  ==========  ==========  ==========  ==========

(*) ``protect_data``: point-in-time recovery, deletion protection and bucket versioning.

Which environment is production (``protect_data``), which keeps logs 30 days and puts CloudFront
in front (staging and prod) is decided once, in ``hybridstack.components.stack_defaults``, which
the components' own defaults follow too.

Example (``Pulumi.prod.yaml``)::

    config:
      hybridstack:env: prod
      hybridstack:firebase_project_id: acme-music-prod
      hybridstack:media:
        retention_days: 365
      hybridstack:alerts:
        email: oncall@acme.example
        budget_usd: 200

Example (program)::

    from reference_platform.config import load_stack_config

    config = load_stack_config()   # raises StackConfigError before anything registers
    if config.media.enabled: ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from hybridstack.components.schedule import validate_schedule_expression
from hybridstack.components.stack_defaults import (
    CLOUDWATCH_RETENTION_DAYS,
    Environment,
    default_log_retention_days,
    environment,
    is_production,
    is_production_like,
)

NAMESPACE = "hybridstack"

Env = Environment
"""The environments (``hybridstack.components.stack_defaults`` defines them and what follows)."""
DatabaseKind = Literal["dynamodb", "postgres", "both"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


class StackConfigError(ValueError):
    """The stack config is invalid; the message names every offending key and what is allowed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "invalid stack config:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MediaConfig(_Section):
    """Media uploads: S3 + CloudFront on AWS, Firebase Storage for clients, and the sync between."""

    enabled: bool = True
    cdn: bool = Field(description="CloudFront in front of the media bucket (off in dev/local)")
    retention_days: int = Field(
        ge=1, le=3650, description="days before non-current versions and uploads expire"
    )
    max_upload_mb: int = Field(default=100, ge=1, le=5120)
    cors_origins: tuple[str, ...] = ("http://localhost:5173",)


class AnalyticsConfig(_Section):
    """Scheduled analytics collection (architecture A's YouTube/Spotify/TikTok collectors)."""

    enabled: bool = True
    schedule: str = Field(
        default="rate(1 hour)",
        description="an EventBridge Scheduler expression: rate(N unit) or cron(6 fields)",
    )

    @field_validator("schedule")
    @classmethod
    def _schedule_expression(cls, value: str) -> str:
        try:
            return validate_schedule_expression(value)
        except ValueError as error:
            raise ValueError(
                f"{error}; allowed: 'rate(<n> minute(s)|hour(s)|day(s))' or "
                "'cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)'"
            ) from None


class AlertsConfig(_Section):
    """Where alarms go and when they fire."""

    email: str | None = Field(default=None, description="subscribed to the alarm topic")
    budget_usd: float = Field(default=200.0, gt=0, le=1_000_000)
    budget_thresholds_percent: tuple[int, ...] = (50, 80, 100)
    latency_ms: int = Field(default=500, ge=10, le=30_000)
    error_rate_percent: float = Field(default=1.0, gt=0, le=100)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address; allowed: name@domain.tld")
        return value

    @field_validator("budget_thresholds_percent")
    @classmethod
    def _thresholds(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= t <= 1000 for t in value):
            raise ValueError("allowed: a non-empty list of percentages between 1 and 1000")
        return tuple(sorted(set(value)))


class StaticSiteConfig(_Section):
    """The SPA (S3 + CloudFront with index fallback)."""

    enabled: bool = True
    cdn: bool = Field(description="CloudFront in front of the site bucket (off in dev/local)")


class StackConfig(_Section):
    """The whole validated stack config, per-environment defaults filled in."""

    env: Env = "dev"
    aws_region: str = "us-east-1"
    gcp_region: str = "us-central1"
    firebase_project_id: str = "demo-hybridstack"
    authorized_domains: tuple[str, ...] = ()
    identity_issuer: str | None = Field(
        default=None,
        description="token issuer the API trusts instead of Firebase's (the local signing issuer)",
    )

    @field_validator("identity_issuer")
    @classmethod
    def _issuer_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        loopback = re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/", value)
        if not (value.startswith("https://") or loopback):
            raise ValueError(
                f"{value!r} is not an issuer URL; allowed: https://..., or http:// on 127.0.0.1 "
                "(the local cloud's signing issuer)"
            )
        return value

    log_retention_days: int = Field(
        ge=1, le=3653, description="CloudWatch log retention: 7 in dev/local, 30 in staging/prod"
    )
    protect_data: bool = Field(
        description="PITR, deletion protection and versioning (on in prod, off elsewhere)"
    )
    database: DatabaseKind = "dynamodb"
    media: MediaConfig
    analytics: AnalyticsConfig = AnalyticsConfig()
    alerts: AlertsConfig = AlertsConfig()
    static_site: StaticSiteConfig

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, data: Any) -> Any:
        """Fill what the user left out with the defaults of the chosen ``env``."""
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        env = environment(str(values.get("env", "dev")))  # a wrong env is refused below
        prod_like = is_production_like(env)
        values.setdefault("log_retention_days", default_log_retention_days(env))
        values.setdefault("protect_data", is_production(env))
        retention = {"dev": 30, "local": 7, "staging": 90, "prod": 365}[env]
        for section, extra in (("media", {"retention_days": retention}), ("static_site", {})):
            given = values.get(section, {})
            if isinstance(given, Mapping):
                values[section] = {"cdn": prod_like, **extra, **given}
        return values

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        if value not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a CloudWatch Logs retention; allowed: "
                f"{', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}"
            )
        return value

    @field_validator("aws_region")
    @classmethod
    def _aws_region(cls, value: str) -> str:
        if not _AWS_REGION.match(value):
            raise ValueError(f"{value!r} is not an AWS region; allowed: e.g. us-east-1, eu-west-3")
        return value

    @field_validator("firebase_project_id")
    @classmethod
    def _project_id(cls, value: str, info: ValidationInfo) -> str:
        if not _PROJECT_ID.match(value):
            raise ValueError(
                f"{value!r} is not a Google Cloud project id; allowed: 6-30 characters, "
                "lowercase letters, digits and hyphens, starting with a letter"
            )
        if info.data.get("env") == "local" and not value.startswith("demo-"):
            raise ValueError(
                "the local stack needs a demo project; allowed: an id starting with 'demo-' "
                "(the Firebase emulators stay offline only for demo projects)"
            )
        return value

    @property
    def is_prod(self) -> bool:
        """True for the production environment (data protection policies apply)."""
        return is_production(self.env)


def _field(location: tuple[Any, ...]) -> FieldInfo | None:
    model: type[BaseModel] = StackConfig
    field: FieldInfo | None = None
    for part in location:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return field


def _reason(error: Mapping[str, Any]) -> str:
    """pydantic's message, with the allowed range spelled out for numbers."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return "required"
    if error["type"] == "literal_error":
        return f"allowed: {error.get('ctx', {}).get('expected', message)}"
    field = _field(tuple(error["loc"]))
    if field is not None and "allowed" not in message:
        bounds = {type(m).__name__: m for m in field.metadata}
        low = bounds.get("Ge") or bounds.get("Gt")
        high = bounds.get("Le") or bounds.get("Lt")
        if low is not None or high is not None:
            lo = getattr(low, "ge", getattr(low, "gt", None))
            hi = getattr(high, "le", getattr(high, "lt", None))
            message += f" (allowed: {lo if lo is not None else '...'} to "
            message += f"{hi if hi is not None else '...'})"
    return message


def _key(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if not str(p).startswith("function-")]
    return f"{NAMESPACE}:{'.'.join(parts)}" if parts else f"{NAMESPACE}:<root>"


def _known_keys(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    for part in location[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(model.model_fields)


def parse_stack_config(values: Mapping[str, Any]) -> StackConfig:
    """Validate already-decoded config values (keys without the namespace).

    Raises:
        StackConfigError: naming each invalid key (``hybridstack:media.retention_days``) and
            the values allowed there.
    """
    try:
        return StackConfig.model_validate(dict(values))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = tuple(error["loc"])
            reason = _reason(error)
            if error["type"] == "extra_forbidden":
                known = _known_keys(StackConfig, location)
                reason = f"unknown key; allowed keys: {', '.join(known)}"
            shown = error.get("input")
            value = "" if error["type"] in ("extra_forbidden", "missing") else f" = {shown!r}"
            problems.append(f"{_key(location)}{value}: {reason}")
        raise StackConfigError(problems) from None


def _decode(raw: Any) -> Any:
    """Stack config values arrive as strings; objects, numbers and booleans as JSON."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def raw_stack_config(namespace: str = NAMESPACE) -> dict[str, Any]:
    """Every ``<namespace>:<key>`` the engine passed to the program, decoded, namespace stripped."""
    merged: dict[str, Any] = dict(get_config_env())
    merged.update(CONFIG.get())
    prefix = f"{namespace}:"
    return {k.removeprefix(prefix): _decode(v) for k, v in merged.items() if k.startswith(prefix)}


PROVIDER_KEYS = {
    "aws_region": "aws:region",
    "gcp_region": "gcp:region",
    "firebase_project_id": "gcp:project",
}
"""hybridstack settings that must agree with the providers' own config (same stack file)."""


def _agree_with_providers(values: dict[str, Any]) -> list[str]:
    """Fill unset settings from the provider config; name every disagreement."""
    problems = []
    for key, provider_key in PROVIDER_KEYS.items():
        package, _, setting = provider_key.partition(":")
        provider_value = raw_stack_config(package).get(setting)
        if provider_value is None:
            continue
        if key not in values:
            values[key] = provider_value
        elif values[key] != provider_value:
            problems.append(
                f"{NAMESPACE}:{key} = {values[key]!r} disagrees with {provider_key} = "
                f"{provider_value!r}; allowed: the same value (or leave {NAMESPACE}:{key} unset)"
            )
    return problems


def load_stack_config() -> StackConfig:
    """Read ``pulumi.Config("hybridstack")`` of the current stack and validate it.

    ``env`` defaults to the environment the stack name says
    (:func:`~hybridstack.components.stack_defaults.environment`: ``prod-eu`` -> ``prod``);
    ``aws_region``, ``gcp_region`` and ``firebase_project_id`` default to ``aws:region``,
    ``gcp:region`` and ``gcp:project`` and must agree with them when both are set.
    Call it first in a program: it raises :class:`StackConfigError` before anything registers.
    """
    values = raw_stack_config()
    if "env" not in values:
        values["env"] = environment(pulumi.get_stack())
    disagreements = _agree_with_providers(values)
    try:
        config = parse_stack_config(values)
    except StackConfigError as error:
        raise StackConfigError(disagreements + error.problems) from None
    if disagreements:
        raise StackConfigError(disagreements)
    return config
