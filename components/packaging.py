"""Packaging: the files of a Function's deployment archive, exactly as Lambda imports them.

A Function ships only what its handler needs from the code root: every ancestor package's
``__init__.py`` of the handler module, the handler module itself, and the whole tree of each
``include`` package (default: the handler's first two levels, ``hybridstack.services``), without
caches, tests or dotfiles. Third-party dependencies go in a :class:`PythonLayer`, not here.

These are pure functions (awsx style): ``Function`` turns their result into the archive, the
local deploy engine and the benchmarks read the same file list.

Example:
    files = package_files(None, "hybridstack.services.api.handler.handle")
    # {"hybridstack/__init__.py": ..., "hybridstack/services/api/handler.py": ..., ...}
    code = code_archive(files)          # what aws.lambda_.Function(code=...) takes
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pulumi

SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", "tests", "node_modules"})
"""Folders never shipped (besides any folder whose name starts with a dot)."""


def parse_handler(handler: str) -> tuple[str, str]:
    """``pkg.mod.func`` -> (``pkg.mod``, ``func``); raises ValueError for anything else."""
    parts = handler.split(".") if isinstance(handler, str) else []
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        raise ValueError(
            f"handler={handler!r} must be a dotted path 'package.module.function' "
            "(e.g. 'hybridstack.services.api.handler.handle')"
        )
    return ".".join(parts[:-1]), parts[-1]


def module_file(code_root: Path | None, module: str) -> Path | None:
    """The file defining ``module``: ``a/b.py`` or ``a/b/__init__.py`` under ``code_root``, or,
    without a ``code_root``, wherever the import system finds it (a checkout or site-packages)."""
    if code_root is None:
        try:
            spec = importlib.util.find_spec(module)
        except ImportError:  # a parent package is missing
            return None
        return Path(spec.origin) if spec is not None and spec.origin else None
    base = code_root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_init(code_root: Path | None, package: str) -> Path | None:
    """The ``__init__.py`` of ``package``, or None when ``package`` is not a regular package."""
    found = module_file(code_root, package)
    return found if found is not None and found.name == "__init__.py" else None


def _archive_path(dotted: str, file: Path) -> str:
    """Where ``file`` (defining ``dotted``) goes: ``a/b.py`` or ``a/b/__init__.py``."""
    base = dotted.replace(".", "/")
    return f"{base}/__init__.py" if file.name == "__init__.py" else f"{base}.py"


def _package_tree(package: str, directory: Path) -> dict[str, Path]:
    """Every shippable file under ``directory`` (the folder of ``package``), by archive path."""
    files: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and d[0] != ".")
        for filename in sorted(filenames):
            if filename.endswith((".pyc", ".pyo")) or filename.startswith("."):
                continue
            path = Path(dirpath) / filename
            relative = Path(package.replace(".", "/")) / path.relative_to(directory)
            files[relative.as_posix()] = path
    return files


def package_files(
    code_root: Path | None, handler: str, include: Sequence[str] = ()
) -> dict[str, Path]:
    """The files of the deployment package: archive path -> file on disk.

    Holds every ancestor package's ``__init__.py`` of the handler module, the handler module,
    and the whole tree of each ``include`` package (default: the handler's first two levels),
    without caches or tests. Modules are looked up under ``code_root``, or through the import
    system when it is None. Raises ValueError naming what is missing.
    """
    module, _ = parse_handler(handler)
    where = f"under {code_root}" if code_root is not None else "on the import path"
    handler_file = module_file(code_root, module)
    if handler_file is None:
        raise ValueError(
            f"handler={handler!r}: module {module!r} not found {where} "
            f"(looked for {Path(*module.split('.'))}.py and {Path(*module.split('.'))}/__init__.py)"
        )
    parts = module.split(".")
    files: dict[str, Path] = {}
    for depth in range(1, len(parts)):
        package = ".".join(parts[:depth])
        init = _package_init(code_root, package)
        if init is None:
            raise ValueError(
                f"handler={handler!r}: {package!r} is not a package (no __init__.py {where})"
            )
        files[_archive_path(package, init)] = init
    files[_archive_path(module, handler_file)] = handler_file
    default = ".".join(parts[:2])
    if not include and _package_init(code_root, default) is None:
        default = ""  # a single-module handler: ship only that module
    packages = list(include) or ([default] if default else [])
    for package in packages:
        init = _package_init(code_root, package)
        if init is None:
            raise ValueError(f"include={package!r}: no package {where}")
        for parent in range(1, len(package.split("."))):
            ancestor = ".".join(package.split(".")[:parent])
            ancestor_init = _package_init(code_root, ancestor)
            if ancestor_init is not None:
                files[_archive_path(ancestor, ancestor_init)] = ancestor_init
        files.update(_package_tree(package, init.parent))
    return dict(sorted(files.items()))


def code_archive(files: Mapping[str, Path]) -> pulumi.AssetArchive:
    """The Lambda code archive holding ``files`` (archive path -> file on disk)."""
    return pulumi.AssetArchive({path: pulumi.FileAsset(str(file)) for path, file in files.items()})
