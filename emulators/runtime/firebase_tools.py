"""Firebase Auth (and the Functions emulator) through firebase-tools, on 127.0.0.1.

One ``firebase emulators:start`` process serves both. Its ``firebase.json`` is generated in the
run directory with every port firebase-tools would open (hub, logging, eventarc, tasks) chosen
free on 127.0.0.1, and the UI disabled (it would need a download). ``node`` runs firebase-tools'
entry script directly, with ``lazy-validators.js`` preloaded.

Why the Auth emulator used to take 10-30 s to start, and what cuts it (profiled with
``node --cpu-prof`` on a busy 2-core machine: 27.1 s before, 2.5 s after; the benchmark's
``--compare-auth`` measured 16.4 s -> 2.9 s at load 2.5 and 30.9 s -> 8.5 s at load 6.4):

* ~20 s: the Auth emulator builds its REST API with *exegesis*, which compiles an AJV validator
  for every request and response schema of the Identity Toolkit API before it listens (16 s in
  ``ajv/dist/compile``, 4.5 s of garbage collection). exegesis's own option
  ``lazyCompileValidationSchemas`` compiles each on first use instead; firebase-tools doesn't set
  it, so ``emulators/runtime/firebase/lazy-validators.js`` turns it on (the first call of each Auth
  operation then pays a few milliseconds). Same schemas, same validation errors.
* ~3 s: loading firebase-tools' JavaScript (node 20 has no compile cache) - unchanged.
* network look-ups offline (the MOTD at ``firebase-public.firebaseio.com``, the update notifier)
  fail fast with ENOTFOUND and run beside the start, so they cost nothing here;
  ``NO_UPDATE_NOTIFIER=1`` still spares the update check's child process.
* the "VSCode notification endpoint" message at the end is a 3 s-capped POST to
  ``localhost:40001`` sent after the emulators already listen: it does not delay readiness.

Example:
    launch = firebase_tools.launch(ports, run_dir, project_id="demo-hybridstack")
    firebase_tools.health_auth("127.0.0.1:9099")
    firebase_tools.reset_auth("127.0.0.1:9099", "demo-hybridstack")  # every user deleted
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import requests

from hybridstack.emulators.runtime import tools
from hybridstack.emulators.runtime.ports import LOOPBACK, choose_port
from hybridstack.emulators.runtime.process import EmulatorStartError, Launch

NAME = "firebase"
TIMEOUT = 5.0
LAZY_VALIDATORS = Path(__file__).resolve().parent / "firebase" / "lazy-validators.js"
FUNCTIONS_RUNTIME = "python311"
WATCH_NOTHING = "**"
"""The functions codebase's ``ignore`` pattern: the emulator's file watcher sees no file."""


class FunctionsReloadError(RuntimeError):
    """The Functions emulator did not load its codebase again (the message says why)."""


@dataclass(frozen=True)
class FirebasePorts:
    """Every port the firebase-tools process opens (all on 127.0.0.1)."""

    auth: int
    functions: int | None
    hub: int
    logging: int
    eventarc: int | None = None
    tasks: int | None = None

    @classmethod
    def choose(cls, *, functions: bool) -> FirebasePorts:
        """Free ports, preferring firebase-tools' defaults."""
        return cls(
            auth=choose_port(9099),
            functions=choose_port(5001) if functions else None,
            hub=choose_port(4400),
            logging=choose_port(4500),
            eventarc=choose_port(9299) if functions else None,
            tasks=choose_port(9499) if functions else None,
        )


def address(port: int) -> str:
    """``host:port`` as ``FIREBASE_AUTH_EMULATOR_HOST`` / ``FUNCTIONS_EMULATOR_HOST`` want it."""
    return f"{LOOPBACK}:{port}"


def firebase_json(
    ports: FirebasePorts, functions_source: Path | None, config_dir: Path
) -> dict[str, object]:
    """The generated ``firebase.json`` (in ``config_dir``): every emulator on 127.0.0.1, UI off."""

    def listen(port: int) -> dict[str, object]:
        return {"host": LOOPBACK, "port": port}

    emulators: dict[str, object] = {
        "auth": listen(ports.auth),
        "hub": listen(ports.hub),
        "logging": listen(ports.logging),
        "ui": {"enabled": False},
        "singleProjectMode": True,
    }
    config: dict[str, object] = {"emulators": emulators}
    if functions_source is not None:
        if ports.functions is None:
            raise ValueError("a functions source needs a functions port")
        emulators["functions"] = listen(ports.functions)
        if ports.eventarc:
            emulators["eventarc"] = listen(ports.eventarc)
        if ports.tasks:
            emulators["tasks"] = listen(ports.tasks)
        config["functions"] = [
            {
                # firebase-tools joins the source to the config's folder, even an absolute one.
                "source": os.path.relpath(functions_source.resolve(), config_dir.resolve()),
                "codebase": "default",
                "runtime": FUNCTIONS_RUNTIME,
                # No file watching: it cannot see a codebase under a dot-folder (firebase-tools
                # ignores /(^|[/\\])\../, e.g. .hybridstack/), and a second, late reload would
                # follow every explicit one. Reloads are asked for: reload_functions().
                "ignore": [WATCH_NOTHING],
            }
        ]
    return config


def lazy_validators_enabled() -> bool:
    """Preload ``lazy-validators.js`` unless ``HYBRIDSTACK_FIREBASE_LAZY_VALIDATORS=0``."""
    return os.environ.get("HYBRIDSTACK_FIREBASE_LAZY_VALIDATORS", "1") != "0"


def check_tools() -> None:
    """Locate node and firebase-tools (a missing one raises, naming its installer)."""
    tools.node()
    tools.firebase_tools_dir()


def launch(
    ports: FirebasePorts,
    run_dir: Path,
    *,
    project_id: str,
    functions_source: Path | None = None,
    persist_dir: Path | None = None,
) -> Launch:
    """How to run ``firebase emulators:start`` for Auth (and Functions given a source)."""
    if functions_source is not None and not functions_source.is_dir():
        raise ValueError(f"functions source {functions_source} is not a directory")
    node = tools.node()
    firebase_dir = tools.firebase_tools_dir()
    script = tools.firebase_cli_script()
    work = run_dir / "firebase"
    work.mkdir(parents=True, exist_ok=True)
    config_path = work / "firebase.json"
    config_path.write_text(json.dumps(firebase_json(ports, functions_source, work), indent=2))
    only = "auth,functions" if functions_source is not None else "auth"
    preload = ["--require", str(LAZY_VALIDATORS)] if lazy_validators_enabled() else []
    argv = [
        str(node),
        *preload,
        str(script),
        "emulators:start",
        "--only",
        only,
        "--project",
        project_id,
        "--config",
        str(config_path),
    ]
    if persist_dir:
        persist_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--export-on-exit", str(persist_dir)]
        if (persist_dir / "firebase-export-metadata.json").exists():
            argv += ["--import", str(persist_dir)]
    tmp = work / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {
        "HYBRIDSTACK_FIREBASE_TOOLS_DIR": str(firebase_dir),
        "NO_UPDATE_NOTIFIER": "1",
        "FORCE_COLOR": "0",
        "CI": "1",  # no interactive prompts, plain output
        "TMPDIR": str(tmp),  # the hub locator file (hub-<project>.json) stays in this run
    }
    auth_address = address(ports.auth)
    functions_address = address(ports.functions) if functions_source and ports.functions else None

    log_path = run_dir / f"{NAME}.log"

    def ready() -> bool:
        if not health_auth(auth_address):
            return False
        if persist_dir is None:  # a real API call, its first-call cost paid; nothing to lose yet
            reset_auth(auth_address, project_id)
        if functions_address is None:
            return True
        failure = functions_load_failure(log_path)
        if failure:
            raise EmulatorStartError(NAME, f"could not load the functions: {failure}", log_path)
        return functions_loaded(functions_address)

    return Launch(name=NAME, argv=argv, env=env, cwd=work, ready=ready, start_timeout=120.0)


def health_auth(address: str) -> bool:
    """Whether the Auth emulator answers (its root reports ``authEmulator.ready``)."""
    try:
        response = requests.get(f"http://{address}/", timeout=TIMEOUT)
        return response.status_code == 200 and bool(response.json()["authEmulator"]["ready"])
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return False


FUNCTIONS_LOAD_FAILURES = ("Failed to load function definition", "Error: Failed to find")


def functions_load_failures(log_path: Path) -> list[str]:
    """The lines of the firebase-tools log that say the functions codebase did not load."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return []
    return [
        line.strip()
        for line in text.splitlines()
        if any(marker in line for marker in FUNCTIONS_LOAD_FAILURES)
    ]


def functions_load_failure(log_path: Path) -> str | None:
    """The first line of the firebase-tools log that says the codebase did not load."""
    return next(iter(functions_load_failures(log_path)), None)


def functions_loaded(address: str) -> bool:
    """Whether the Functions emulator lists at least one loaded function (``GET /backends``)."""
    try:
        response = requests.get(f"http://{address}/backends", timeout=TIMEOUT)
        backends = response.json()["backends"]
    except (requests.RequestException, ValueError, KeyError):
        return False
    return any(backend.get("functionTriggers") for backend in backends)


def reload_functions(hub: str) -> None:
    """Make the Functions emulator load its codebase again and wait until it has.

    The hub's ``PUT /functions/enableBackgroundTriggers`` runs the emulator's
    ``reloadTriggers()`` (what a file change would trigger): the function definitions are
    discovered anew, idle workers stop, busy ones finish first, and every worker started after
    it reads the codebase and ``.env.local`` as they are now. It answers once the load is done;
    a codebase that fails to load says so in the log, not in the answer
    (:func:`functions_load_failure`).
    """
    try:
        response = requests.put(f"http://{hub}/functions/enableBackgroundTriggers", timeout=120)
    except requests.RequestException as error:
        raise FunctionsReloadError(f"the emulator hub at {hub} did not answer: {error}") from error
    if response.status_code != 200:
        raise FunctionsReloadError(
            f"the emulator hub at {hub} refused to reload the functions: "
            f"{response.status_code} {response.text[:300]}"
        )


def health_functions(address: str) -> bool:
    """Whether the Functions emulator answers HTTP (any non-5xx reply to ``GET /``)."""
    try:
        response = requests.get(f"http://{address}/", timeout=TIMEOUT)
    except requests.RequestException:
        return False
    return response.status_code < 500


health = health_auth


def reset_auth(address: str, project_id: str) -> None:
    """Delete every user of ``project_id`` (``DELETE /emulator/v1/projects/<p>/accounts``)."""
    response = requests.delete(
        f"http://{address}/emulator/v1/projects/{project_id}/accounts", timeout=30
    )
    response.raise_for_status()


reset = reset_auth
