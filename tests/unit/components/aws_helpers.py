"""Shared helpers for the AWS component tests: a tiny service tree and policy readers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hybridstack.testing import RegisteredResource


def make_code_root(root: Path) -> Path:
    """A code root holding ``app/__init__.py`` and ``app/svc/{health,media}/handler.py``."""
    for package in ("app", "app/svc", "app/svc/health", "app/svc/media", "app/other"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    (root / "app/svc/health/handler.py").write_text("def handle(event, context):\n    return 1\n")
    (root / "app/svc/media/handler.py").write_text("def process(event, context):\n    return 2\n")
    (root / "app/svc/shared.py").write_text("X = 1\n")
    (root / "app/other/secret.py").write_text("NOT_SHIPPED = True\n")
    (root / "app/svc/health/__pycache__").mkdir(exist_ok=True)
    (root / "app/svc/health/__pycache__/handler.cpython-311.pyc").write_bytes(b"x")
    return root


def policy_statements(resource: RegisteredResource) -> list[dict[str, Any]]:
    """The statements of a RolePolicy / BucketPolicy / QueuePolicy's JSON document."""
    document = json.loads(resource.inputs["policy"])
    return list(document["Statement"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_on(statements: list[dict[str, Any]], resource: str) -> set[str]:
    """Every action allowed on exactly ``resource``."""
    found: set[str] = set()
    for statement in statements:
        if statement["Effect"] == "Allow" and resource in as_list(statement["Resource"]):
            found.update(as_list(statement["Action"]))
    return found


def all_resources(statements: list[dict[str, Any]]) -> set[str]:
    return {r for s in statements for r in as_list(s["Resource"])}
