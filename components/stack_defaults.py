"""Which environment a stack is, and the defaults that follow: the one definition of production.

Every stack is one of four environments (the reference architectures' dev/prod differences):

=======  =====================================  =============  ===============
env      stack names (without hybridstack:env)  log retention  data protection
=======  =====================================  =============  ===============
local    local                                  7 days         no
dev      any other name                         7 days         no
staging  staging, stage, stg                    30 days        no
prod     prod, production, prd, live            30 days        yes
=======  =====================================  =============  ===============

(``-*`` and ``_*`` suffixes count for every listed name: ``prod-eu`` is production. Data
protection: point-in-time recovery, deletion protection, versioning, recovery windows.)

A stack's environment is the ``hybridstack:env`` value of its stack config when set, else the
one its name says (:func:`environment`). The components' defaults, the reference platform's
config (``reference_platform/config.py``) and the policy rules all ask these functions, so they
agree: production (:func:`is_production`) protects data; staging and production
(:func:`is_production_like`) keep logs 30 days and put CloudFront in front.

Functions on a local stack default to the host's platform, because the local cloud (MiniStack)
runs Lambdas on its own interpreter: see ``Function``.

Example:
    >>> environment("prod-eu"), environment("stage"), environment("feature-x")
    ('prod', 'staging', 'dev')
    >>> default_log_retention_days("staging")
    30
    >>> default_log_retention_days("dev")
    7
"""

from __future__ import annotations

from typing import Literal, cast, get_args

import pulumi

from hybridstack.components.component import ComponentArgsError

Environment = Literal["dev", "staging", "prod", "local"]
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
ENVIRONMENT_CONFIG_KEY = "hybridstack:env"
"""The stack config key that names a stack's environment outright."""

PRODUCTION_STACKS = frozenset({"prod", "production", "prd", "live"})
"""Stack names treated as production (also any name starting with ``prod-``/``prod_``)."""
STAGING_STACKS = frozenset({"staging", "stage", "stg"})
"""Stack names treated as staging (also any name starting with ``staging-``/``staging_``)."""
LOCAL_STACKS = frozenset({"local"})
"""Stack names deployed into the local cloud (also any name starting with ``local-``)."""
LONG_LOG_RETENTION_DAYS = 30
"""Log retention in staging and production."""
SHORT_LOG_RETENTION_DAYS = 7
"""Log retention in dev and local."""


def environment(stack: str | None = None) -> Environment:
    """The environment of a stack name or ``env`` value (default: the current stack's, from
    ``hybridstack:env`` when set, else from its name)."""
    if stack is None:
        configured = pulumi.runtime.get_config(ENVIRONMENT_CONFIG_KEY)
        stack = str(configured) if configured else pulumi.get_stack()
    name = stack.lower()
    if name in ENVIRONMENTS:
        return cast(Environment, name)
    for env, names in (("prod", PRODUCTION_STACKS), ("staging", STAGING_STACKS),
                       ("local", LOCAL_STACKS)):  # fmt: skip
        if name in names or name.startswith(tuple(f"{n}{s}" for n in names for s in "-_")):
            return cast(Environment, env)
    return "dev"


def is_production(stack: str | None = None) -> bool:
    """Whether ``stack`` (default: the current stack) is production: data is protected."""
    return environment(stack) == "prod"


def is_production_like(stack: str | None = None) -> bool:
    """Whether ``stack`` is staging or production: production's shape (logs, CDN)."""
    return environment(stack) in ("staging", "prod")


def is_local(stack: str | None = None) -> bool:
    """Whether ``stack`` (default: the current stack) targets the local cloud (MiniStack)."""
    return environment(stack) == "local"


def default_log_retention_days(stack: str | None = None) -> int:
    """Log retention for a stack: 30 days in staging and production, 7 days elsewhere."""
    return LONG_LOG_RETENTION_DAYS if is_production_like(stack) else SHORT_LOG_RETENTION_DAYS


CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The only values CloudWatch Logs accepts for ``retention_in_days``."""


def log_retention_days(value: int | None, *, owner: str, arg: str = "log_retention_days") -> int:
    """The retention to use: ``value`` if valid for CloudWatch, else the stack's default.

    Raises ComponentArgsError naming ``arg`` and the accepted values when ``value`` is not one
    CloudWatch accepts (it would otherwise fail only at deploy time).
    """
    if value is None:
        return default_log_retention_days()
    if isinstance(value, bool) or value not in CLOUDWATCH_RETENTION_DAYS:
        raise ComponentArgsError(
            f"{owner}: {arg}={value!r} is not a CloudWatch Logs retention; use one of "
            f"{', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}"
        )
    return value
