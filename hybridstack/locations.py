"""Where hybridstack finds what is not inside its own package: the tools folder.

The local cloud's programs (MiniStack's virtual environment, firebase-tools, uv, the functions
venv) are installed by ``scripts/setup`` into a ``.tools`` folder. Nothing here is derived from
where hybridstack itself is installed, so a checkout and an installed wheel follow one rule:

1. ``$HYBRIDSTACK_TOOLS_DIR`` when set;
2. else the folder recorded in the Python environment, ``<sys.prefix>/etc/hybridstack/tools-dir``
   (``scripts/setup`` records its ``.tools`` for the checkout's ``.venv``, so the checkout's
   ``hybridstack`` command finds its tools from any working directory);
3. else the nearest ``.tools`` folder in the working directory or one of its parents;
4. else ``./.tools`` (where a missing tool is then reported, with its install command).

Example:
    from hybridstack.locations import tools_dir

    tools_dir() / "ministack" / "bin" / "python"
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TOOLS_DIR_VARIABLE = "HYBRIDSTACK_TOOLS_DIR"
TOOLS_FOLDER = ".tools"


def recorded_tools_dir_file(prefix: str | None = None) -> Path:
    """The file in a Python environment that names its tools folder (rule 2)."""
    return Path(prefix or sys.prefix) / "etc" / "hybridstack" / "tools-dir"


def tools_dir() -> Path:
    """The tools folder, by the rule in the module docstring."""
    explicit = os.environ.get(TOOLS_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    recorded = recorded_tools_dir_file()
    if recorded.is_file():
        return Path(recorded.read_text().strip())
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / TOOLS_FOLDER).is_dir():
            return folder / TOOLS_FOLDER
    return here / TOOLS_FOLDER
