"""Where hybridstack finds what is not inside its own package: the tools folder.

The local cloud's programs (MiniStack's virtual environment, firebase-tools, uv, the functions
venv) are installed by ``scripts/setup`` into a ``.tools`` folder. Nothing here is derived from
where hybridstack itself is installed, so a checkout and an installed wheel find the same folder.

Rule: ``$HYBRIDSTACK_TOOLS_DIR`` when set, else the nearest ``.tools`` folder in the working
directory or one of its parents (as git finds ``.git``), else ``./.tools``.

Example:
    from hybridstack.locations import tools_dir

    tools_dir() / "ministack" / "bin" / "python"
"""

from __future__ import annotations

import os
from pathlib import Path

TOOLS_DIR_VARIABLE = "HYBRIDSTACK_TOOLS_DIR"
TOOLS_FOLDER = ".tools"


def tools_dir() -> Path:
    """The tools folder, by the rule in the module docstring."""
    explicit = os.environ.get(TOOLS_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / TOOLS_FOLDER).is_dir():
            return folder / TOOLS_FOLDER
    return here / TOOLS_FOLDER
