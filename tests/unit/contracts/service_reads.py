"""Which link variables a handler's code reads, from its source (``settings.NAME`` uses).

A handler module and every ``hybridstack.services`` module it imports, directly or not, are
read (not run). A variable is *required* when read through ``settings.require(settings.NAME)``
(the code fails without it), *optional* when read otherwise (``os.environ.get(settings.NAME)``);
a ``settings.NAME_SUFFIX`` read (``by_suffix``) looks for whichever link sets that suffix.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from hybridstack.services.common import settings

SERVICES = "hybridstack.services"


@dataclass
class Reads:
    """The settings a handler's code reads."""

    required: set[str] = field(default_factory=set)
    optional: set[str] = field(default_factory=set)
    suffixes: set[str] = field(default_factory=set)

    def update(self, other: Reads) -> None:
        self.required |= other.required
        self.optional |= other.optional
        self.suffixes |= other.suffixes


def _source(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:  # a name inside a module, not a module
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


def _imports(tree: ast.Module) -> set[str]:
    """The ``hybridstack.services`` modules a module imports (a module or a name in one)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(SERVICES)}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(SERVICES):
            found.add(str(node.module))
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if _source(m) is not None}


def _setting(node: ast.AST) -> str | None:
    """``settings.NAME`` -> the value of that string constant of settings.py, else None."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "settings"
        and node.attr.isupper()
    ):
        value = getattr(settings, node.attr, None)
        return value if isinstance(value, str) else None
    return None


def _reads(tree: ast.Module) -> Reads:
    reads = Reads()
    required_nodes = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "require"
            and node.args
            and _setting(node.args[0])
        ):
            required_nodes.add(id(node.args[0]))
            reads.required.add(str(_setting(node.args[0])))
    for node in ast.walk(tree):
        name = _setting(node)
        if name is None or id(node) in required_nodes:
            continue
        (reads.suffixes if name.startswith("_") else reads.optional).add(name)
    return reads


@cache
def module_reads(module: str) -> tuple[Reads, frozenset[str]]:
    """What ``module`` itself reads, and the service modules it imports."""
    source = _source(module)
    assert source is not None, f"no source for {module}"
    tree = ast.parse(source.read_text())
    return _reads(tree), frozenset(_imports(tree))


def handler_reads(module: str) -> Reads:
    """What a handler module and everything it imports from the services read."""
    total, seen, todo = Reads(), set(), [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        reads, imported = module_reads(current)
        total.update(reads)
        todo += sorted(imported - seen)
    total.optional -= total.required
    return total
