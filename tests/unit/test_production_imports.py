"""Production code does not depend on test helpers: no module of the library (components,
services, emulators, hybridstack) imports :mod:`hybridstack.testing`; what production code shares
with tests lives in :mod:`hybridstack.recording`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
PRODUCTION = ("components", "services", "emulators", "hybridstack", "reference_platform")
TEST_HELPERS = "hybridstack.testing"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


@pytest.mark.parametrize("folder", PRODUCTION)
def test_no_production_module_imports_the_test_helpers(folder: str) -> None:
    offenders = sorted(
        str(path.relative_to(REPOSITORY))
        for path in (REPOSITORY / folder).rglob("*.py")
        if path.name != "testing.py" and TEST_HELPERS in _imports(path)
    )

    assert offenders == [], f"production modules importing {TEST_HELPERS}: {offenders}"
