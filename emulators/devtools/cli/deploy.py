"""``hybridstack deploy`` and ``outputs``, and what ``hybridstack up`` prints after deploying.

``deploy`` runs the stack's Pulumi program into the local cloud that ``hybridstack up`` (or
``hybridstack local up``) is running, found through the run's state directory; a second deploy
after a code change updates only what changed (one function in under a second). ``outputs`` prints
the last deploy's stack outputs and what is not emulated.

Both deploy the Pulumi project in ``--project-dir`` (default: the current directory): its
``Pulumi.yaml`` (project name, ``main``), ``Pulumi.<stack>.yaml`` and program, as ``pulumi up``
run in that folder would.

Example:
    hybridstack up                        # start, deploy, smoke journey; Ctrl-C stops
    hybridstack deploy                    # in another shell, after editing services/...
    hybridstack deploy --project-dir examples/external-project
    hybridstack outputs --json | jq -r .outputs.apiUrl
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hybridstack.emulators.deploy.context import NotEmulated
    from hybridstack.emulators.deploy.engine import DeployResult
    from hybridstack.emulators.devtools.smoke import SmokeReport
    from hybridstack.emulators.runtime.local_cloud import LocalCloud

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

StackOption = Annotated[str, typer.Option("--stack", help="the stack file to deploy")]
ProjectDirOption = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        help="the Pulumi project to deploy: the folder of its Pulumi.yaml, Pulumi.<stack>.yaml "
        "and program [default: the current directory]",
        show_default=False,
    ),
]
SmokeOption = Annotated[
    bool | None,
    typer.Option(
        "--smoke/--no-smoke",
        help="run the reference platform's smoke journey after deploying [default: where it "
        "applies: the stack exports apiUrl and routes GET /health and GET /me]",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    list[str] | None,
    typer.Option(
        "--config",
        "-c",
        metavar="KEY=VALUE",
        help="override one config value of the stack file for this deploy, as `pulumi up "
        "--config` does (bare keys are the project's: database=postgres); repeatable",
    ),
]


def config_overrides(values: list[str] | None) -> dict[str, str]:
    """``["database=postgres", "aws:region=eu-west-1"]`` -> ``{"database": "postgres", ...}``;
    an entry without ``=`` or without a key is a usage error naming it."""
    overrides: dict[str, str] = {}
    for value in values or []:
        key, sep, setting = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                f"{value!r} is not KEY=VALUE (e.g. database=postgres)", param_hint="--config"
            )
        overrides[key.strip()] = setting
    return overrides


StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="the running local cloud's state directory "
        "[default: $HYBRIDSTACK_STATE_DIR or ./.hybridstack/local]",
    ),
]


LONGEST_VALUE = 160
"""Longer output values are cut in the table (``hybridstack outputs --json`` has them whole)."""


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)
    if len(text) > LONGEST_VALUE:
        return text[: LONGEST_VALUE - 40] + f" ... ({len(text)} chars: outputs --json)"
    return text


def outputs_table(outputs: dict[str, Any], stack: str) -> Table:
    table = Table(title=f"stack {stack} · outputs")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for key in sorted(outputs):
        table.add_row(key, _value(outputs[key]))
    return table


def not_emulated_lines(items: list[NotEmulated] | list[dict[str, str]]) -> list[str]:
    """One line per type and reason: ``aws:budgets/budget:Budget: ops  (budgets ...)``."""
    by_type: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item in items:
        entry = item if isinstance(item, dict) else vars(item)
        by_type[(entry["type"], entry["reason"])].append(entry["name"])
    return [
        f"{type_token}: {', '.join(sorted(names))}  ({reason})"
        for (type_token, reason), names in sorted(by_type.items())
    ]


def print_result(result: DeployResult) -> None:
    console.print(outputs_table(result.outputs, result.stack))
    lines = not_emulated_lines(result.not_emulated)
    if lines:
        console.print(f"[yellow]not emulated ({len(result.not_emulated)} resources):[/yellow]")
        for line in lines:
            console.print(f"  {line}", markup=False, highlight=False)
    if result.adapted:
        console.print(f"[yellow]adapted for the local cloud ({len(result.adapted)}):[/yellow]")
        for line in not_emulated_lines(result.adapted):
            console.print(f"  {line}", markup=False, highlight=False)
    if result.removed:
        console.print(f"deleted (no longer declared): {len(result.removed)} resources")
    for urn, why in result.left:
        console.print(f"[yellow]kept[/yellow] {urn}: {why}", highlight=False)
    console.print(f"[green]deployed[/green] stack {result.stack}: {result.summary()}")


def print_smoke(report: SmokeReport) -> None:
    for step in report.steps:
        mark = "[green]✔[/green]" if step.ok else "[red]✘[/red]"
        console.print(f"{mark} {step.name} ({step.seconds:.1f} s): ", end="")
        console.print(step.detail, markup=False, highlight=False)
    verdict = "[green]passed[/green]" if report.passed else "[red]FAILED[/red]"
    console.print(f"smoke journey {verdict}")


def deploy_and_report(
    cloud: LocalCloud,
    *,
    project_dir: Path,
    stack: str = "local",
    smoke: bool | None = None,
    config: dict[str, str] | None = None,
) -> bool:
    """``hybridstack up``'s deploy step: deploy the project in ``project_dir`` (``config``
    overrides the stack file's values), print outputs, not-emulated list and (``smoke``: True,
    False, or None for where it applies) the smoke journey. Returns False (after printing why)
    when the deploy or the journey failed."""
    from hybridstack.emulators.deploy.engine import DeployError
    from hybridstack.emulators.deploy.registry import UnknownResourceTypeError
    from hybridstack.emulators.devtools.stack_cloud import deploy_into
    from hybridstack.emulators.runtime.firebase_tools import FunctionsReloadError

    with console.status(f"deploying stack {stack} into the local cloud ..."):
        try:
            result = deploy_into(cloud, project_dir=project_dir, stack=stack, config=config or {})
        except (DeployError, UnknownResourceTypeError, FunctionsReloadError) as error:
            errors.print(f"[red]deploy failed:[/red] {error}")
            return False
    print_result(result)
    from hybridstack.emulators.devtools.smoke import journey_applies, run_smoke_journey

    if smoke is None:
        smoke = journey_applies(cloud.endpoints, result)
        if not smoke:
            console.print("no smoke journey: the stack lacks what it calls (GET /health, GET /me)")
    if not smoke:
        return True
    with console.status("smoke journey ..."):
        report = run_smoke_journey(cloud.endpoints, result.outputs)
    print_smoke(report)
    return report.passed


def print_changes(result: DeployResult, functions_reloaded: bool) -> None:
    """What a redeploy changed, one line each (``hybridstack deploy --changes-only``)."""
    for action in result.actions:
        if action.status in ("created", "updated"):
            console.print(
                f"{action.status} {action.type} {action.name} ({action.seconds:.1f} s)",
                markup=False,
                highlight=False,
            )
    for urn in result.removed:
        console.print(f"deleted {urn}", markup=False, highlight=False)
    if functions_reloaded:
        console.print("reloaded the Firebase functions codebase", highlight=False)
    console.print(f"deployed stack {result.stack}: {result.summary()}", highlight=False)


def deploy(
    project_dir: ProjectDirOption = Path("."),
    stack: StackOption = "local",
    state_dir: StateDirOption = None,
    config: ConfigOption = None,
    smoke: Annotated[
        bool, typer.Option("--smoke/--no-smoke", help="run the smoke journey after deploying")
    ] = False,
    changes_only: Annotated[
        bool,
        typer.Option(
            "--changes-only", help="print only what was created, updated or deleted (no outputs)"
        ),
    ] = False,
) -> None:
    """Deploy the stack into the running local cloud (only what changed is updated)."""
    overrides = config_overrides(config)
    from hybridstack.emulators.deploy.engine import DeployError, deploy_local_stack
    from hybridstack.emulators.deploy.registry import UnknownResourceTypeError
    from hybridstack.emulators.devtools.stack_cloud import FUNCTIONS_DIR, configure_functions_source
    from hybridstack.emulators.runtime import firebase_tools
    from hybridstack.emulators.runtime.run_state import default_state_dir, owner_alive, read_state

    directory = (state_dir or default_state_dir()).resolve()
    state = read_state(directory)
    if state is None or not owner_alive(state):
        errors.print(
            f"no local cloud is running (state dir {directory}): start one with `hybridstack up`"
        )
        raise typer.Exit(1)
    with console.status(f"deploying stack {stack} ..."):
        try:
            result = deploy_local_stack(
                state.endpoints,
                project_dir=project_dir.resolve(),
                stack=stack,
                storage_event_topic=state.storage_event_topic,
                state_path=directory / f"deploy-{stack}.json",
                config=overrides,
            )
        except (DeployError, UnknownResourceTypeError) as error:
            errors.print(f"[red]deploy failed:[/red] {error}")
            raise typer.Exit(1) from error
        functions = directory / FUNCTIONS_DIR
        reloaded = False
        if state.endpoints.functions and (functions / "main.py").exists():
            try:
                reloaded = configure_functions_source(
                    functions, state.endpoints, result, directory / f"{firebase_tools.NAME}.log"
                )
            except firebase_tools.FunctionsReloadError as error:
                errors.print(f"[red]deploy failed:[/red] {error}")
                raise typer.Exit(1) from error
    if changes_only:
        print_changes(result, reloaded)
    else:
        print_result(result)
    if smoke:
        from hybridstack.emulators.devtools.smoke import run_smoke_journey

        report = run_smoke_journey(state.endpoints, result.outputs)
        print_smoke(report)
        if not report.passed:
            raise typer.Exit(1)


def outputs(
    stack: StackOption = "local",
    state_dir: StateDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the last local deploy's stack outputs and what is not emulated."""
    from hybridstack.emulators.deploy.engine import DeployError, read_outputs
    from hybridstack.emulators.runtime.run_state import default_state_dir

    directory = (state_dir or default_state_dir()).resolve()
    try:
        document = read_outputs(stack, directory / f"deploy-{stack}.json")
    except DeployError as error:
        errors.print(str(error))
        raise typer.Exit(1) from error
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return
    console.print(outputs_table(document["outputs"], stack))
    for line in not_emulated_lines(document.get("not_emulated", [])):
        console.print(f"  not emulated: {line}", markup=False, highlight=False)
    for line in not_emulated_lines(document.get("adapted", [])):
        console.print(f"  adapted: {line}", markup=False, highlight=False)
