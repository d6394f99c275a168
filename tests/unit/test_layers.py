"""The layers of the library, read from the imports of every module (``ast``, nothing imported).

- the local cloud's runtime (emulators and backends) knows nothing of the deploy engine or the
  developer tools; the deploy engine knows nothing of the developer tools;
- components and service code import nothing from the local cloud; service code imports no
  component (it runs in a Lambda or a Firebase function, without Pulumi);
- no cycle between these packages.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = ("hybridstack.components", "hybridstack.services", "hybridstack.emulators")
LAYERS = (
    "hybridstack.emulators.runtime",
    "hybridstack.emulators.deploy",
    "hybridstack.emulators.devtools",
    "hybridstack.components",
    "hybridstack.services",
)
FORBIDDEN = {  # layer -> the layers it must not import
    "hybridstack.emulators.runtime": (
        "hybridstack.emulators.deploy",
        "hybridstack.emulators.devtools",
    ),
    "hybridstack.emulators.deploy": ("hybridstack.emulators.devtools",),
    "hybridstack.components": ("hybridstack.emulators",),
    "hybridstack.services": ("hybridstack.emulators", "hybridstack.components"),
}


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _folder(package: str) -> Path:
    """Where ``package`` is installed (a checkout's folder, or site-packages)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None, f"{package} is not installed"
    assert spec.submodule_search_locations, f"{package} is not a package"
    return Path(next(iter(spec.submodule_search_locations)))


def _module_name(package: str, path: Path) -> str:
    parts = [*package.split("."), *path.relative_to(_folder(package)).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str, *, on_import: bool = False) -> Iterator[tuple[int, str]]:
    """(line, imported module) of every import in ``path``, relative ones resolved;
    ``on_import``: only those that run when the module is imported (its top level)."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body if on_import else ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from package import module`
                yield node.lineno, f"{target}.{alias.name}"


def _modules() -> list[tuple[Path, str]]:
    return [
        (path, _module_name(package, path))
        for package in PACKAGES
        for path in sorted(_folder(package).rglob("*.py"))
    ]


def _layer_of(module: str) -> str | None:
    return next((layer for layer in LAYERS if _inside(module, layer)), None)


def _layer_imports() -> list[tuple[str, str, str]]:
    """(importing layer, imported layer, where) for every import that crosses layers."""
    found = []
    for path, module in _modules():
        importer = _layer_of(module)
        if importer is None:
            continue
        for line, target in _imports(path, module):
            imported = _layer_of(target)
            if imported is not None and imported != importer:
                found.append((importer, imported, f"{path}:{line} {target}"))
    return found


def test_the_modules_are_found() -> None:
    names = {module for _path, module in _modules()}
    assert {
        "hybridstack.emulators.runtime.emulators",
        "hybridstack.emulators.deploy.engine",
        "hybridstack.emulators.devtools.pytest_plugin",
        "hybridstack.components.queue",
        "hybridstack.services.common.clients",
    } <= names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    violations = [
        where
        for importer, imported, where in _layer_imports()
        if importer == layer and any(_inside(imported, bad) for bad in FORBIDDEN[layer])
    ]
    assert not violations, (
        f"{layer} must not import {', '.join(FORBIDDEN[layer])}; it does at:\n"
        + "\n".join(violations)
    )


def test_no_cycle_between_the_layers() -> None:
    edges: dict[str, set[str]] = {layer: set() for layer in LAYERS}
    where: dict[tuple[str, str], str] = {}
    for importer, imported, place in _layer_imports():
        edges[importer].add(imported)
        where.setdefault((importer, imported), place)

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for following in sorted(edges[node]):
                if following == start:
                    return [*path, start]
                if following not in path:
                    stack.append((following, [*path, following]))
        return None

    cycles = [cycle for layer in LAYERS if (cycle := cycle_from(layer))]
    assert not cycles, "the layers import each other in a cycle:\n" + "\n".join(
        " -> ".join(cycle)
        + "\n  "
        + "\n  ".join(where[(a, b)] for a, b in itertools.pairwise(cycle))
        for cycle in cycles
    )


def test_no_module_imports_itself_through_others_on_import() -> None:
    """A cycle of top-level imports breaks with an ImportError depending on which module is
    imported first; a function-level import (done when called) is how a cycle is avoided."""
    modules = dict((module, path) for path, module in _modules())
    edges = {
        module: {
            target
            for _line, target in _imports(path, module, on_import=True)
            if target in modules and target != module
        }
        for module, path in modules.items()
    }
    cycles: list[list[str]] = []
    for start in sorted(edges):
        stack = [(start, [start])]
        while stack and not any(cycle[0] == start for cycle in cycles):
            node, path = stack.pop()
            for following in sorted(edges[node]):
                if following == start:
                    cycles.append([*path, start])
                    break
                if following not in path and following > start:  # each cycle found once
                    stack.append((following, [*path, following]))
    assert not cycles, "modules import each other when imported:\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )
