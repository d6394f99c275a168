"""The stack files of the reference program, as the Pulumi CLI would hand them to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
STACKS = ("dev", "staging", "prod", "local")


def stack_config(stack: str) -> dict[str, Any]:
    """Every key of ``Pulumi.<stack>.yaml`` (namespaced, values as written)."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return dict(document["config"])


def hybridstack_config(stack: str) -> dict[str, Any]:
    """Only the ``hybridstack:`` keys, namespace stripped (what ``parse_stack_config`` takes)."""
    return {
        key.removeprefix("hybridstack:"): value
        for key, value in stack_config(stack).items()
        if key.startswith("hybridstack:")
    }
