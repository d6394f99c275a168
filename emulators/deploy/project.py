"""A Pulumi project folder as the local deploy engine reads it: ``Pulumi.yaml`` and its stacks.

Like ``pulumi up --stack <stack>`` run in the folder: the project's name namespaces bare config
keys, ``main`` (if set) says where the program is (a folder holding ``__main__.py``, or a
Python file), and ``Pulumi.<stack>.yaml``'s ``config`` is the stack's config (a stack without a
stack file has none).

Example:
    project = PulumiProject.load(Path("examples/external-project"))
    project.name                      # "acme-jobs"
    project.program                   # .../examples/external-project/__main__.py
    project.stack_config("local")     # {"acme-jobs:env": "local", "aws:region": "us-east-1"}
"""

from __future__ import annotations

import json
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ProjectError(RuntimeError):
    """The folder is not a Pulumi project the engine can run (the message says why)."""


@dataclass(frozen=True)
class PulumiProject:
    """One project folder: its name and where its program is."""

    directory: Path
    name: str
    program: Path

    @classmethod
    def load(cls, directory: Path) -> PulumiProject:
        directory = Path(directory).resolve()
        project_file = directory / "Pulumi.yaml"
        if not project_file.is_file():
            raise ProjectError(f"no Pulumi.yaml in {directory}")
        document = yaml.safe_load(project_file.read_text()) or {}
        if not document.get("name"):
            raise ProjectError(f"{project_file} names no project (`name:`)")
        main = directory / str(document.get("main") or ".")
        program = main / "__main__.py" if main.is_dir() else main
        return cls(directory=directory, name=str(document["name"]), program=program.resolve())

    def stack_config(self, stack: str) -> dict[str, str]:
        """``Pulumi.<stack>.yaml``'s config, encoded as the CLI passes it to the program."""
        stack_file = self.directory / f"Pulumi.{stack}.yaml"
        document = (yaml.safe_load(stack_file.read_text()) or {}) if stack_file.is_file() else {}
        return self.encode_config(dict(document.get("config") or {}))

    def encode_config(self, config: Mapping[str, Any]) -> dict[str, str]:
        """Namespace bare keys with the project and JSON-encode non-strings, as the CLI does."""
        encoded: dict[str, str] = {}
        for key, value in config.items():
            full = key if ":" in key else f"{self.name}:{key}"
            encoded[full] = value if isinstance(value, str) else json.dumps(value)
        return encoded

    def main_program(self) -> Callable[[], None]:
        """Runs the program as ``pulumi up`` does: as ``__main__``, its folder importable."""
        if not self.program.is_file():
            raise ProjectError(f"the program of project {self.name!r} is missing: {self.program}")
        folders = list(dict.fromkeys([str(self.program.parent), str(self.directory)]))

        def run() -> None:
            added = [folder for folder in folders if folder not in sys.path]
            sys.path[:0] = added
            try:
                runpy.run_path(str(self.program), run_name="__main__")
            finally:
                for folder in added:
                    sys.path.remove(folder)

        return run
