"""``hybridstack local up|down|status|env|logs|reset`` and the top-level ``hybridstack up``.

``up`` starts the local cloud with a live progress display, prints where each emulator listens
and keeps running until Ctrl-C or ``hybridstack local down`` from another shell. The other
commands work from any shell through the run's state directory (``$HYBRIDSTACK_STATE_DIR`` or
``./.hybridstack/local``: state.json, pid files, logs). ``hybridstack up`` deploys the Pulumi
project in ``--project-dir`` (default: the current directory).

Example:
    hybridstack local up --services aws,firestore     # Ctrl-C to stop
    eval "$(hybridstack local env)"                    # in another shell
    hybridstack local status
    hybridstack local reset                            # wipe data, keep running
    hybridstack local logs auth --lines 50
    hybridstack local down
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from hybridstack.emulators.devtools.cli.deploy import (
    ConfigOption,
    ProjectDirOption,
    SmokeOption,
    config_overrides,
)
from hybridstack.emulators.runtime.endpoints import DEFAULT_PROJECT_ID, LocalCloudEndpoints
from hybridstack.emulators.runtime.run_state import disk_report

if TYPE_CHECKING:
    from hybridstack.emulators.devtools.dev_loop import DevLoop
    from hybridstack.emulators.runtime.local_cloud import LocalCloud
    from hybridstack.emulators.runtime.run_state import RunState
    from hybridstack.emulators.runtime.storage import StorageEvents

local_app = typer.Typer(
    help="Run the local cloud (AWS and Firebase emulators) as local processes.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

# Which process (log file) serves each service.
PROCESS_OF = {
    "aws": "aws",
    "auth": "firebase",
    "functions": "firebase",
    "firestore": "firestore",
    "pubsub": "pubsub",
    "storage": "storage",
}
DOWN_TIMEOUT_SECONDS = 30.0

StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="where the run keeps state.json, pid files and logs "
        "[default: $HYBRIDSTACK_STATE_DIR or ./.hybridstack/local]",
    ),
]


class _StopRequestedError(Exception):
    """Raised in the main thread by SIGTERM/SIGHUP (``hybridstack local down``)."""


def _state_dir(option: Path | None) -> Path:
    from hybridstack.emulators.runtime.run_state import default_state_dir

    return (option or default_state_dir()).resolve()


def _running_state(state_dir: Path) -> RunState:
    """The live run's record, or exit 1 saying none runs."""
    from hybridstack.emulators.runtime.run_state import owner_alive, read_state

    state = read_state(state_dir)
    if state is None or not owner_alive(state):
        errors.print(
            f"no local cloud is running (state dir {state_dir}): start one with "
            "`hybridstack local up`"
        )
        raise typer.Exit(1)
    return state


def _parse_services(services: str | None) -> list[str] | None:
    from hybridstack.emulators.runtime.emulators import SERVICES

    if not services or services == "all":
        return None
    chosen = [name.strip() for name in services.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SERVICES]
    if unknown:
        raise typer.BadParameter(
            f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}",
            param_hint="--services",
        )
    return chosen


def _endpoint_table(
    endpoints: LocalCloudEndpoints,
    health: dict[str, bool] | None,
    restarts: dict[str, int] | None = None,
) -> Table:
    from hybridstack.emulators.runtime.emulators import STATUS_ROWS

    table = Table(title=f"local cloud · project {endpoints.project_id}")
    table.add_column("service")
    table.add_column("address")
    if health is not None:
        table.add_column("health")
    for service in STATUS_ROWS:
        address = getattr(endpoints, service)
        if not address:
            continue
        row = [service, str(address)]
        if health is not None:
            state = "[green]healthy[/green]" if health.get(service) else "[red]down[/red]"
            if restarts and restarts.get(service):
                state += f" (restarted {restarts[service]}x)"
            row.append(state)
        table.add_row(*row)
    return table


def _start_with_progress(cloud: LocalCloud) -> LocalCloudEndpoints:
    """Start ``cloud`` showing one spinner per emulator, then its start time."""
    from hybridstack.emulators.runtime.process import EmulatorStartError
    from hybridstack.emulators.runtime.tools import MissingToolError

    started = time.perf_counter()
    with Progress(
        SpinnerColumn(finished_text="[green]✔[/green]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {
            service: progress.add_task(f"{service:<10} waiting", total=1)
            for service in cloud.services
        }

        def report(service: str, status: str) -> None:
            task = tasks[service]
            if status == "starting":
                progress.update(task, description=f"{service:<10} starting")
            elif status == "ready":
                seconds = time.perf_counter() - started
                progress.update(
                    task, description=f"{service:<10} ready in {seconds:.1f} s", completed=1
                )
            else:
                progress.update(task, description=f"{service:<10} [red]failed[/red]")
                progress.stop_task(task)

        try:
            endpoints = cloud.start(progress=report)
        except (MissingToolError, EmulatorStartError, ValueError, RuntimeError) as error:
            progress.stop()
            errors.print(f"[red]local cloud did not start:[/red] {error}")
            raise typer.Exit(1) from error
    if cloud.removed_orphans:
        left = ", ".join(
            f"{name} (pid {pid})" for name, pid in sorted(cloud.removed_orphans.items())
        )
        console.print(f"stopped what a killed run had left running: {left}")
    return endpoints


def deploy_and_keep_running(cloud: LocalCloud, deployment: Deployment) -> None:
    """``hybridstack up``'s deploy: deploy the project's local stack into the running local
    cloud, print its outputs, what is not emulated and the smoke journey
    (:func:`~hybridstack.emulators.devtools.cli.deploy.deploy_and_report`). A failure is
    reported and the cloud keeps running (fix, then ``hybridstack deploy``)."""
    from hybridstack.emulators.devtools.cli.deploy import deploy_and_report

    if not deploy_and_report(
        cloud, project_dir=deployment.project_dir, config=deployment.config, smoke=deployment.smoke
    ):
        errors.print("[yellow]the local cloud keeps running; fix, then `hybridstack deploy`[/]")


@dataclass(frozen=True)
class Deployment:
    """What ``hybridstack up`` deploys: the project, its config overrides, the smoke choice."""

    project_dir: Path
    config: dict[str, str] = field(default_factory=dict)
    smoke: bool | None = None


def _run_until_stopped(
    cloud: LocalCloud,
    *,
    deployment: Deployment | None = None,
    watch: bool = False,
) -> None:
    """Start, maybe deploy (and with ``watch`` redeploy on every saved edit), print endpoints;
    wait for Ctrl-C, SIGTERM or a dead emulator."""

    def stop_signal(signum: int, frame: FrameType | None) -> None:
        del frame
        raise _StopRequestedError(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    dev_loop = None
    try:
        endpoints = _start_with_progress(cloud)
        if deployment is not None:
            deploy_and_keep_running(cloud, deployment)
            if watch:
                dev_loop = _start_dev_loop(cloud, deployment)
        console.print(_endpoint_table(endpoints, None))
        console.print(
            f"ready in {cloud.start_seconds.get('total', 0.0):.1f} s · state in {cloud.state_dir}\n"
            'in another shell: eval "$(hybridstack local env)" · hybridstack local down to stop'
            " · Ctrl-C here"
        )
        _supervise(cloud, deployment)
    except (KeyboardInterrupt, _StopRequestedError):
        console.print("stopping the local cloud ...")
    finally:
        if dev_loop is not None:
            dev_loop.stop()
        cloud.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("local cloud stopped")
    console.print(disk_report(cloud.state_dir), highlight=False)


def _start_dev_loop(cloud: LocalCloud, deployment: Deployment) -> DevLoop:
    from hybridstack.emulators.devtools.dev_loop import DevLoop

    loop = DevLoop(
        deployment.project_dir,
        cloud.state_dir,
        report=lambda line: console.print(line, markup=False, highlight=False),
        config=[f"{key}={value}" for key, value in deployment.config.items()],
    )
    loop.start()
    console.print(
        f"watching {deployment.project_dir} for edits: each save redeploys what it changes"
    )
    return loop


def _recovery_command(cloud: LocalCloud) -> str:
    """The command line that starts this run again from scratch."""
    again = shlex.join(["hybridstack", *sys.argv[1:]]) if sys.argv[1:] else "hybridstack local up"
    return f"hybridstack local down --state-dir {shlex.quote(str(cloud.state_dir))} && {again}"


def _supervise(cloud: LocalCloud, deployment: Deployment | None) -> None:
    """Until stopped: restart dead emulators (:mod:`~hybridstack.emulators.runtime.supervision`),
    say
    what was lost, redeploy the stack when it lost resources; exit 1 when one cannot come back."""
    from hybridstack.emulators.runtime.supervision import GaveUp, Supervisor

    supervisor = Supervisor(cloud, recovery=_recovery_command(cloud))
    while True:
        time.sleep(1.0)
        events = supervisor.check()
        for event in events:
            if isinstance(event, GaveUp):
                errors.print(event.message(), style="red", markup=False, highlight=False)
                raise typer.Exit(1)
            errors.print(event.message(), style="yellow", markup=False, highlight=False)
        if any(event.stack_affected for event in events if not isinstance(event, GaveUp)):
            if deployment is not None:
                errors.print("redeploying the stack into the restarted emulator ...")
                deploy_and_report_again(cloud, deployment)
            elif (cloud.state_dir / "deploy-local.json").exists():
                errors.print(
                    "a stack deployed into it lost resources; deploy it again: hybridstack "
                    f"deploy --state-dir {shlex.quote(str(cloud.state_dir))}",
                    markup=False,
                )


def deploy_and_report_again(cloud: LocalCloud, deployment: Deployment) -> None:
    """After a restart: deploy again (the engine recreates what the emulator lost)."""
    from hybridstack.emulators.devtools.cli.deploy import deploy_and_report

    if deploy_and_report(
        cloud, project_dir=deployment.project_dir, config=deployment.config, smoke=False
    ):
        errors.print(
            "redeployed: the outputs above replace the earlier ones (a recreated API has a new id)"
        )
    else:
        errors.print("[yellow]the redeploy failed; fix, then `hybridstack deploy`[/]")


def _make_cloud(
    services: str | None,
    project: str,
    iam: bool,
    persist: bool,
    functions_source: Path | None,
    state_dir: Path | None,
    storage_events: StorageEvents | None = None,
) -> LocalCloud:
    from hybridstack.emulators.runtime.local_cloud import LocalCloud

    try:
        return LocalCloud(
            services=_parse_services(services),
            project_id=project,
            state_dir=_state_dir(state_dir),
            aws_iam=iam,
            persist=persist,
            functions_source=functions_source,
            storage_events=storage_events,
        )
    except ValueError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error


ServicesOption = Annotated[
    str | None,
    typer.Option(
        "--services",
        help="comma-separated: aws,auth,functions,firestore,pubsub,storage [default: all but "
        "functions, plus functions with --functions-source]",
    ),
]
ProjectOption = Annotated[str, typer.Option("--project", help="Firebase/GCP project id")]
IamOption = Annotated[bool, typer.Option("--iam/--no-iam", help="enforce IAM in the AWS emulator")]
PersistOption = Annotated[
    bool, typer.Option("--persist/--no-persist", help="keep data across restarts")
]
WatchOption = Annotated[
    bool,
    typer.Option(
        "--watch",
        help="after deploying, redeploy what each saved edit of the project changes "
        "(Lambdas, Firebase functions, rules, config); `hybridstack dev` is `up --watch`",
    ),
]
FunctionsOption = Annotated[
    Path | None,
    typer.Option(
        "--functions-source", help="Firebase functions codebase for the Functions emulator"
    ),
]


@local_app.command("up")
def local_up(
    services: ServicesOption = None,
    project: ProjectOption = DEFAULT_PROJECT_ID,
    iam: IamOption = False,
    persist: PersistOption = False,
    functions_source: FunctionsOption = None,
    state_dir: StateDirOption = None,
) -> None:
    """Start the emulators and run until Ctrl-C or `hybridstack local down`."""
    cloud = _make_cloud(services, project, iam, persist, functions_source, state_dir)
    _run_until_stopped(cloud)


def up(
    services: ServicesOption = None,
    project: ProjectOption = DEFAULT_PROJECT_ID,
    iam: IamOption = True,
    persist: PersistOption = False,
    functions_source: FunctionsOption = None,
    state_dir: StateDirOption = None,
    config: ConfigOption = None,
    watch: WatchOption = False,
    project_dir: ProjectDirOption = Path("."),
    smoke: SmokeOption = None,
) -> None:
    """Start the local cloud and deploy the project's local stack into it; Ctrl-C to stop."""
    overrides = config_overrides(config)  # a usage error before anything starts
    from hybridstack.emulators.devtools.stack_cloud import STORAGE_EVENTS_TOPIC
    from hybridstack.emulators.runtime.storage import StorageEvents

    chosen = _parse_services(services)
    events = None
    if chosen is None or {"storage", "pubsub"} <= set(chosen):
        events = StorageEvents(project_id=project, topic=STORAGE_EVENTS_TOPIC)
    if functions_source is None and (chosen is None or "functions" in chosen):
        # the platform's blocking function (user registration), assembled from services/
        functions_source = _platform_functions(state_dir)
    cloud = _make_cloud(services, project, iam, persist, functions_source, state_dir, events)
    deployment = Deployment(project_dir.resolve(), overrides, smoke)
    _run_until_stopped(cloud, deployment=deployment, watch=watch)


DEV_DEFAULTS = {"watch": True}
"""``hybridstack dev`` is :func:`up` with these defaults (``up --watch``): the context settings
its command is registered with."""


def _platform_functions(state_dir: Path | None) -> Path:
    from hybridstack.emulators.devtools.stack_cloud import platform_functions_source
    from hybridstack.emulators.runtime.functions_codebase import FunctionsVenvMissingError

    try:
        return platform_functions_source(_state_dir(state_dir))
    except FunctionsVenvMissingError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error


@local_app.command("down")
def down(state_dir: StateDirOption = None) -> None:
    """Stop the running local cloud (from any shell); nothing is left running."""
    from hybridstack.emulators.runtime.local_cloud import clean_up_killed_run
    from hybridstack.emulators.runtime.run_state import clear_state, owner_alive, read_state

    directory = _state_dir(state_dir)
    state = read_state(directory)
    if state is not None and owner_alive(state) and state.owner_pid != os.getpid():
        os.kill(state.owner_pid, signal.SIGTERM)  # its `up` stops the emulators and exits
        deadline = time.monotonic() + DOWN_TIMEOUT_SECONDS
        while owner_alive(state) and time.monotonic() < deadline:
            time.sleep(0.1)
    # `up --persist` keeps database volumes
    persisted = state.persist if state else (directory / "data" / "aws").is_dir()
    stopped = (
        # a persisting run's emulators save their data on SIGTERM: give them the time
        clean_up_killed_run(directory, state, keep_data=persisted, grace=None if persisted else 3.0)
        if directory.is_dir()
        else []
    )
    clear_state(directory)
    if state is None and not stopped:
        console.print(f"no local cloud was running (state dir {directory})")
        return
    if stopped:
        console.print(f"stopped what a killed run had left running: {', '.join(stopped)}")
    console.print("local cloud stopped")
    console.print(disk_report(directory), highlight=False)


@local_app.command("status")
def status(state_dir: StateDirOption = None) -> None:
    """Show each emulator's address and whether it answers; exit 1 if any is down, or if
    emulators run without their owner (a killed `up`: orphans, with the command that removes
    them)."""
    from hybridstack.emulators.runtime.emulators import STATUS_ROWS
    from hybridstack.emulators.runtime.local_cloud import orphans
    from hybridstack.emulators.runtime.operations import health_of
    from hybridstack.emulators.runtime.run_state import owner_alive, read_state

    directory = _state_dir(state_dir)
    state = read_state(directory)
    if state is None or not owner_alive(state):
        _report_orphans(directory, state, orphans(directory))
    assert state is not None
    health = health_of(state.endpoints, STATUS_ROWS)
    restarts = {
        service: record.restarts
        for record in state.processes.values()
        for service in record.services
        if record.restarts
    }
    console.print(_endpoint_table(state.endpoints, health, restarts))
    console.print(f"owner pid {state.owner_pid} · started {time.ctime(state.started_at)}")
    if not all(health.values()):
        raise typer.Exit(1)


def _report_orphans(directory: Path, state: RunState | None, found: dict[str, int]) -> None:
    """Exit 1 saying either that nothing runs, or which emulators run without their owner."""
    if not found:
        errors.print(
            f"no local cloud is running (state dir {directory}): start one with "
            "`hybridstack local up`"
        )
        raise typer.Exit(1)
    owner = f"its owner (pid {state.owner_pid}) is gone" if state else "its owner is gone"
    console.print(f"[red]orphaned emulators[/red] in {directory}: {owner}, these still run:")
    table = Table()
    for column in ("process", "pid", "address"):
        table.add_column(column)
    for name, pid in sorted(found.items()):
        record = state.processes.get(name) if state else None
        services = record.services if record else []
        addresses = [str(getattr(state.endpoints, s)) for s in services] if state else []
        table.add_row(name, str(pid), ", ".join(addresses) or "-")
    console.print(table)
    console.print(
        f"remove them with: hybridstack local down --state-dir {shlex.quote(str(directory))}",
        markup=False,
        highlight=False,
    )
    raise typer.Exit(1)


@local_app.command("env")
def env(state_dir: StateDirOption = None) -> None:
    """Print `export` lines pointing AWS and Firebase SDKs at the running local cloud."""
    state = _running_state(_state_dir(state_dir))
    for name, value in sorted(state.endpoints.environment().items()):
        sys.stdout.write(f"export {name}={shlex.quote(value)}\n")


@local_app.command("reset")
def reset(state_dir: StateDirOption = None) -> None:
    """Wipe every emulator's data without restarting."""
    from hybridstack.emulators.runtime.operations import reset_services
    from hybridstack.emulators.runtime.storage import StorageEvents

    state = _running_state(_state_dir(state_dir))
    topic = state.storage_event_topic
    events = StorageEvents(state.endpoints.project_id, topic) if topic else None
    started = time.perf_counter()
    seconds = reset_services(state.endpoints, state.services, storage_events=events)
    total = time.perf_counter() - started
    detail = ", ".join(f"{service} {value * 1000:.0f} ms" for service, value in seconds.items())
    console.print(f"reset in {total * 1000:.0f} ms ({detail})")


@local_app.command("logs")
def logs(
    service: Annotated[
        str | None, typer.Argument(help="aws, auth, functions, firestore, pubsub or storage")
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", help="lines per log")] = 40,
    state_dir: StateDirOption = None,
) -> None:
    """Print the last lines of each emulator's log (or of one)."""
    from hybridstack.emulators.runtime.process import log_tail

    directory = _state_dir(state_dir)
    if service is not None and service not in PROCESS_OF:
        raise typer.BadParameter(
            f"unknown service {service!r}; choose from {', '.join(PROCESS_OF)}",
            param_hint="SERVICE",
        )
    names = [PROCESS_OF[service]] if service else list(dict.fromkeys(PROCESS_OF.values()))
    shown = 0
    for name in names:
        path = directory / f"{name}.log"
        if not path.exists():
            continue
        shown += 1
        console.rule(f"{name} · {path}")
        console.print(log_tail(path, lines), markup=False, highlight=False)
    if not shown:
        errors.print(f"no emulator logs in {directory}")
        raise typer.Exit(1)


def _seed_endpoints_provider(state_dir: Path | None = None) -> LocalCloudEndpoints:
    """The running local cloud's endpoints (state dir first, then the exported environment)."""
    from hybridstack.emulators.runtime.run_state import owner_alive, read_state

    state = read_state(_state_dir(state_dir))
    if state is not None and owner_alive(state):
        return state.endpoints
    from hybridstack.emulators.devtools.cli.seed import endpoints_from_environment

    return endpoints_from_environment()


@local_app.command(
    "seed",
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
    add_help_option=False,
)
def seed(ctx: typer.Context) -> None:
    """Load a seed folder into the running local cloud, or export one (`seed --help`)."""
    # Imported here: the seed module pulls in the Google/AWS clients (~2 s), which the other
    # commands (env, status, down) should not pay for.
    from hybridstack.emulators.devtools.cli.seed import make_seed_app

    command = typer.main.get_command(make_seed_app(_seed_endpoints_provider))
    command.main(args=list(ctx.args), prog_name="hybridstack local seed")
