"""The usage examples in docstrings and the README name things that exist, as they are called.

For every module of the library (``components/``, ``services/``, ``emulators/``, ``hybridstack/``)
and of the reference platform, for ``README.md`` and each package's own README:

- each dotted ``hybridstack.services...`` path resolves: to a module, or to an attribute of one;
  a quoted one (a handler, ``"hybridstack.services.media.api.handle"``) to a callable;
- each call of a hybridstack component (``Queue("jobs", {...})``) or of its args class in an
  example passes only arguments the component takes: the keys of its args mapping are checked
  against ``ComponentArgs.names()`` (converted components) or the args TypedDict, keyword
  arguments against the constructor's signature.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi
import pytest

import hybridstack.components
from hybridstack.components.args import ComponentArgs
from tests.unit.program.stacks import ROOT

PACKAGES = (
    "hybridstack.components",
    "hybridstack.services",
    "hybridstack.emulators",
    "hybridstack",
    "reference_platform",
)
DOTTED = re.compile(r"(?P<quote>[\"'`]?)(?P<path>hybridstack\.services(?:\.[A-Za-z_]\w*)+)")
PROMPT = re.compile(r"^(\s*)(>>>|\.\.\.) ?", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    """Text that may hold examples: one docstring, or the README."""

    where: str
    line: int
    text: str


def _files(package: str) -> Iterator[tuple[str, Any]]:
    """(dotted prefix, file) of every .py file of ``package``'s folder (not sub-packages of
    ``hybridstack``, which are listed by their own names)."""

    def walk(folder: Any, prefix: str, top: bool) -> Iterator[tuple[str, Any]]:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.is_dir() and entry.joinpath("__init__.py").is_file():
                if not (top and package == "hybridstack"):
                    yield from walk(entry, f"{prefix}.{entry.name}", False)
            elif entry.name.endswith(".py"):
                yield prefix, entry

    yield from walk(resources.files(package), package, True)


def _sources() -> list[tuple[str, str]]:
    """(label, text) of every module of ``PACKAGES``, and README.md."""
    found = [
        (f"{prefix}.{file.name.removesuffix('.py')}", file.read_text())
        for package in PACKAGES
        for prefix, file in _files(package)
    ]
    readmes = [
        (f"{package}/README.md", file.read_text())
        for package in PACKAGES
        if (file := resources.files(package).joinpath("README.md")).is_file()
    ]
    return [*found, ("README.md", (Path(ROOT) / "README.md").read_text()), *readmes]


SOURCES = _sources()


def _examples(label: str, text: str) -> list[Example]:
    if label.endswith(".md"):
        return [Example(label, 1, text)]
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstring = body[0].value.value
                if isinstance(docstring, str):
                    found.append(Example(label, body[0].lineno, docstring))
    return found


def _defined_in_source(module: str, name: str) -> object:
    """A top-level function or class ``name`` of ``module``, read from its source (for a
    module whose runtime dependencies this environment lacks, e.g. ``firebase_functions``)."""
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(str(spec.origin if spec else "")).read_text())
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    if any(isinstance(node, kinds) and node.name == name for node in tree.body):
        return len  # stands for "a callable": the module can't be imported here
    raise AttributeError(f"module {module!r} defines no function or class {name!r}")


def _resolve(path: str) -> object:
    """The module or attribute a dotted path names; ImportError/AttributeError if none."""
    parts = path.split(".")
    for cut in range(len(parts), 1, -1):
        module = ".".join(parts[:cut])
        try:
            target: object = importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name and not module.startswith(error.name):  # a dependency is missing
                return _defined_in_source(".".join(parts[:-1]), parts[-1])
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(f"no module in {path!r}")


def _dotted_path_problems(example: Example) -> Iterator[str]:
    for match in DOTTED.finditer(example.text):
        path = match["path"].rstrip(".")
        line = example.line + example.text[: match.start()].count("\n")
        try:
            target = _resolve(path)
        except (ImportError, AttributeError) as error:
            yield f"{example.where}:{line}: {path} does not resolve ({error})"
            continue
        quoted = match["quote"] in ("'", '"')
        if quoted and not isinstance(target, ModuleType) and not callable(target):
            yield f"{example.where}:{line}: handler {path} is not callable"


@cache
def _component_classes() -> dict[str, type]:
    """Every component (ComponentResource) and args class of hybridstack.components, by name."""
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(hybridstack.components.__path__):
        module = importlib.import_module(f"hybridstack.components.{info.name}")
        for name, value in vars(module).items():
            if not isinstance(value, type) or not value.__module__.startswith(
                "hybridstack.components"
            ):
                continue
            if issubclass(value, pulumi.ComponentResource) or (
                issubclass(value, ComponentArgs) and value is not ComponentArgs
            ):
                found[name] = value
    return found


def _args_names(component: type) -> list[str] | None:
    """The names a component's ``args`` mapping may hold; None when it has no args mapping."""
    parameter = inspect.signature(component).parameters.get("args")
    if parameter is None:
        return None
    module = importlib.import_module(component.__module__)
    annotation = parameter.annotation
    if isinstance(annotation, str):
        names = re.findall(r"[A-Za-z_]\w*", annotation)
        candidates = [getattr(module, n, None) for n in names]
    else:
        candidates = list(typing.get_args(annotation)) or [annotation]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, ComponentArgs):
            return candidate.names()
        if isinstance(candidate, type) and hasattr(candidate, "__total__"):  # a TypedDict
            return sorted(getattr(candidate, "__annotations__", {}))
    return None


def _call_text(text: str, start: int) -> str | None:
    """The call starting at ``start`` (``Name(`` ...), up to its closing parenthesis."""
    depth, quote = 0, ""
    for index in range(text.index("(", start), len(text)):
        char = text[index]
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return None


def _call_problems(example: Example) -> Iterator[str]:
    classes = _component_classes()
    text = example.text.replace("…", "...")
    if ">>>" in text:
        text = PROMPT.sub(r"\1", text)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, classes)) + r")\(")
    for match in pattern.finditer(text):
        line = example.line + text[: match.start()].count("\n")
        source = _call_text(text, match.start())
        try:
            call = ast.parse(source or "", mode="eval").body
        except SyntaxError:
            continue  # prose, not an example
        if not isinstance(call, ast.Call):
            continue
        yield from (
            f"{example.where}:{line}: {problem}"
            for problem in _argument_problems(classes[match[1]], call)
        )


def _argument_problems(cls: type, call: ast.Call) -> Iterator[str]:
    name = cls.__name__
    keywords = [k.arg for k in call.keywords if k.arg is not None]
    if issubclass(cls, ComponentArgs):
        for unknown in sorted(set(keywords) - set(cls.names())):
            yield f"{name}({unknown}=...): {name} takes {', '.join(cls.names())}"
        return
    signature = inspect.signature(cls)
    try:
        signature.bind_partial(*call.args, **dict.fromkeys(keywords))
    except TypeError as error:
        yield f"{name}(...) does not fit {name}{signature}: {error}"
        return
    allowed = _args_names(cls)
    given = call.args[1] if len(call.args) > 1 else None
    given = next((k.value for k in call.keywords if k.arg == "args"), given)
    if allowed is None or not isinstance(given, ast.Dict):
        return
    keys = [k.value for k in given.keys if isinstance(k, ast.Constant)]
    for unknown in sorted({str(k) for k in keys} - set(allowed)):
        yield f"{name}(..., {{{unknown!r}: ...}}): {name}'s args are {', '.join(allowed)}"


@pytest.mark.parametrize(("label", "text"), SOURCES, ids=[label for label, _ in SOURCES])
def test_docstring_examples_name_what_exists_as_it_is_called(label: str, text: str) -> None:
    problems = [
        problem
        for example in _examples(label, text)
        for check in (_dotted_path_problems, _call_problems)
        for problem in check(example)
    ]
    assert not problems, "\n".join(problems)


def test_a_wrong_handler_and_a_wrong_argument_are_found() -> None:
    example = Example(
        "example",
        1,
        'Function("worker", {"handler": "hybridstack.services.media.handler.process",\n'
        '                    "lnk": []})\nQueue("jobs", visibility=3)\n',
    )
    paths = list(_dotted_path_problems(example))
    calls = list(_call_problems(example))
    assert len(paths) == 1
    assert "hybridstack.services.media.handler.process does not resolve" in paths[0]
    assert any("'lnk'" in p and "Function's args are" in p for p in calls), calls
    assert any("Queue(...) does not fit" in p and "visibility" in p for p in calls), calls
