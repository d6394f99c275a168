"""Physical names for resources the program leaves unnamed (Pulumi's auto-naming, made stable).

``pulumi up`` names an unnamed bucket ``media-4f1c2e9`` (logical name + random suffix). Locally
the suffix is a hash of the resource's URN (stack, parents' types, type, logical name): the same
declaration gets the same name on every deploy, so a redeploy finds what the last one created.

Example:
    physical_name(urn, "media")                       # "media-1b2c3d4"
    physical_name(urn, "jobs", prefix="jobs-dlq-")    # "jobs-dlq-9e8f7a6"
"""

from __future__ import annotations

import hashlib
import re


def suffix(urn: str) -> str:
    """Seven stable hex characters for one declaration."""
    return hashlib.sha256(urn.encode()).hexdigest()[:7]


def physical_name(
    urn: str,
    name: str,
    *,
    prefix: str | None = None,
    max_length: int = 64,
    lower: bool = False,
    allowed: str = r"[^A-Za-z0-9_.\-]",
) -> str:
    """``prefix`` (or ``name-``) + stable suffix, cut to ``max_length``, invalid chars -> ``-``."""
    tail = suffix(urn)
    head = prefix if prefix is not None else f"{name}-"
    if lower:
        head = head.lower()
    head = re.sub(allowed, "-", head)
    return head[: max_length - len(tail)] + tail
