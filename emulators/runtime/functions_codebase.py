"""The platform's Firebase functions codebase, assembled from ``services/`` for the emulator.

``firebase deploy --only functions`` and the Functions emulator both want one folder: ``main.py``
(here ``services/firebase/main.py``), ``requirements.txt`` and a ``venv/`` holding them. The
service code that ``main.py`` imports stays in ``services/``: :func:`assemble` copies it under
``hybridstack/services/`` of the codebase (no second copy is kept in the repository), writes the
pinned ``services/firebase/requirements.lock`` as ``requirements.txt`` and links ``venv/`` to the
virtual environment ``scripts/setup.d/35-functions-venv.sh`` installs from that lock.

:func:`configure` writes what the functions read at run time into ``.env.local`` (the emulator-only
environment file firebase-tools reads whenever it starts a function worker): the deployed API's
``REGISTRATION_API_URL``, and ``GCE_METADATA_HOST``/``GCE_METADATA_IP`` pointing google-auth at
the local issuer's metadata stand-in for the registration service account, so the unchanged
``google_id_token`` gets a Google-style token the local API's authorizer trusts.

:func:`refresh` (through :func:`reload` with ``services=``) brings a running codebase's copy of
the service code up to date, writing only the files that differ, and :func:`reload` asks the
emulator to load it again: ``hybridstack deploy`` does both when ``services/`` changed since, so
edited code reaches the Functions emulator without a restart, wherever the codebase lives.

Example:
    source = assemble(state_dir / "functions")
    cloud = LocalCloud(functions_source=source)
    cloud.start()
    configure(source, api_url=api_url, metadata_host=metadata_host(issuer, caller_email))
    stale_files(source)                       # ["hybridstack/services/identity/registration.py"]
    reload(source, log_path, hub=cloud.endpoints.hub, services=SERVICES_DIR)  # copies, reloads
"""

from __future__ import annotations

import filecmp
import fnmatch
import importlib.resources
import shutil
from pathlib import Path

from hybridstack.emulators.runtime import firebase_tools, tools
from hybridstack.emulators.runtime.firebase_tools import FunctionsReloadError

SERVICES_DIR = Path(str(importlib.resources.files("hybridstack.services")))
MAIN_SOURCE = SERVICES_DIR / "firebase" / "main.py"
LOCK_FILE = SERVICES_DIR / "firebase" / "requirements.lock"
VENV_NAME = "functions-venv"
ENV_FILE = ".env.local"
_NOT_COPIED = ("__pycache__", "*.pyc", "requirements.*", "README.md")
_PACKAGE_INIT = '"""hybridstack service code, copied from services/ for this codebase."""\n'


class FunctionsVenvMissingError(FileNotFoundError):
    """The functions codebase's virtual environment is not installed."""


def venv_dir() -> Path:
    """``.tools/functions-venv``: firebase-functions and the services' packages (Python 3.11)."""
    return tools.tools_dir() / VENV_NAME


def assemble(target: Path, *, venv: Path | None = None, services: Path = SERVICES_DIR) -> Path:
    """Build (or rebuild) the codebase in ``target`` from ``services``; returns ``target``."""
    environment = venv or venv_dir()
    if not (environment / "bin" / "python").exists():
        raise FunctionsVenvMissingError(
            f"the functions codebase's virtual environment {environment} is missing: run "
            "scripts/setup (step 35-functions-venv installs services/firebase/requirements.lock)"
        )
    package = target / "hybridstack"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(_PACKAGE_INIT)
    refresh(target, services)  # the service code and main.py, as a later redeploy updates them
    shutil.copyfile(services / LOCK_FILE.relative_to(SERVICES_DIR), target / "requirements.txt")
    link = target / "venv"
    if link.is_symlink() and link.resolve() != environment.resolve():
        link.unlink()
    if not link.is_symlink():
        link.symlink_to(environment.resolve(), target_is_directory=True)
    (target / ENV_FILE).write_text("")  # settings of an earlier run are stale: deploy sets them
    return target


def _copied_files(root: Path) -> dict[str, Path]:
    """Relative path -> file, for the files of ``root`` that a codebase carries."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if path.is_file() and not any(
            fnmatch.fnmatch(part, pattern) for part in parts for pattern in _NOT_COPIED
        ):
            found["/".join(parts)] = path
    return found


def _sources(codebase: Path, services: Path) -> dict[Path, Path | None]:
    """Each file of the codebase that comes from ``services`` -> its source (None: gone)."""
    package = codebase / "hybridstack" / "services"
    wanted = {package / name: path for name, path in _copied_files(services).items()}
    wanted[codebase / "main.py"] = services / MAIN_SOURCE.relative_to(SERVICES_DIR)
    stale: dict[Path, Path | None] = {path: None for path in _copied_files(package).values()}
    stale.update(wanted)
    return stale


def _stale(codebase: Path, services: Path) -> dict[Path, Path | None]:
    """The codebase's files that differ from ``services`` -> their source (None: removed)."""
    return {
        target: source
        for target, source in _sources(codebase, services).items()
        if source is None or not target.exists() or not filecmp.cmp(source, target, shallow=False)
    }


def stale_files(codebase: Path, services: Path = SERVICES_DIR) -> list[str]:
    """The codebase's files that differ from ``services`` now (changed, new or removed there),
    relative to the codebase: what :func:`refresh` would write."""
    return [str(target.relative_to(codebase)) for target in _stale(codebase, services)]


def refresh(codebase: Path, services: Path = SERVICES_DIR) -> list[str]:
    """Bring the codebase's copy of the service code up to date with ``services``, touching only
    the files that differ (each write makes the emulator reload); the paths written."""
    stale = _stale(codebase, services)
    for target, source in stale.items():
        if source is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return [str(target.relative_to(codebase)) for target in stale]


def configure(source: Path, *, api_url: str, metadata_host: str | None = None) -> bool:
    """Write the functions' run-time settings to ``.env.local``; True when they changed.

    Workers started after this read the new values (firebase-tools loads the file per worker).
    """
    values = {"REGISTRATION_API_URL": api_url.rstrip("/")}
    if metadata_host:
        values |= {"GCE_METADATA_HOST": metadata_host, "GCE_METADATA_IP": metadata_host}
    text = "".join(f"{name}={value}\n" for name, value in values.items())
    path = source / ENV_FILE
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def settings(source: Path) -> dict[str, str]:
    """The run-time settings :func:`configure` wrote (``{}`` before the first deploy)."""
    path = source / ENV_FILE
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs}


def reload(
    source: Path,
    log_path: Path,
    *,
    hub: str,
    services: Path | None = None,
) -> None:
    """Make the running Functions emulator (reached through its ``hub``) load ``source`` again:
    its workers then start with the current ``.env.local`` and, with ``services``, the service
    code :func:`refresh` copied from there. Returns once loaded; a codebase that no longer loads
    raises :class:`FunctionsReloadError` naming the log line that says why.

    The reload is asked for
    (:func:`~hybridstack.emulators.runtime.firebase_tools.reload_functions`), not
    left to the emulator's file watcher, which ignores every path under a dot-folder such as the
    default state folder ``.hybridstack/``.
    """
    failures_before = firebase_tools.functions_load_failures(log_path)
    if services is not None:
        refresh(source, services)
    firebase_tools.reload_functions(hub)
    failures = firebase_tools.functions_load_failures(log_path)[len(failures_before) :]
    if failures:
        raise FunctionsReloadError(
            f"the functions codebase {source} did not load again: {failures[-1]} (log {log_path})"
        )
