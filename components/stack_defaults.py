"""Per-stack defaults shared by the AWS components: what changes between dev and prod.

The reference architectures keep logs a week in dev and a month in prod, turn on point-in-time
recovery, deletion protection and versioning in prod only, and so on. These pure functions say
which stack counts as production and pick the defaults, so every component agrees.

Functions on a local stack default to the host's platform, because the local cloud (MiniStack)
runs Lambdas on its own interpreter: see ``Function``.

Example:
    >>> default_log_retention_days("prod")
    30
    >>> default_log_retention_days("dev")
    7
"""

from __future__ import annotations

import pulumi

from hybridstack.components.component import ComponentArgsError

PRODUCTION_STACKS = frozenset({"prod", "production", "prd", "live"})
"""Stack names treated as production (also any name starting with ``prod-``/``prod_``)."""

CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The only values CloudWatch Logs accepts for ``retention_in_days``."""


def is_production(stack: str | None = None) -> bool:
    """Whether ``stack`` (default: the current Pulumi stack) is a production stack."""
    name = (stack if stack is not None else pulumi.get_stack()).lower()
    return name in PRODUCTION_STACKS or name.startswith(("prod-", "prod_"))


LOCAL_STACKS = frozenset({"local"})
"""Stack names deployed into the local cloud (also any name starting with ``local-``)."""


def is_local(stack: str | None = None) -> bool:
    """Whether ``stack`` (default: the current stack) targets the local cloud (MiniStack)."""
    name = (stack if stack is not None else pulumi.get_stack()).lower()
    return name in LOCAL_STACKS or name.startswith(("local-", "local_"))


def default_log_retention_days(stack: str | None = None) -> int:
    """Log retention for a stack: 30 days in production, 7 days elsewhere."""
    return 30 if is_production(stack) else 7


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
