"""``hybridstack local seed load|export``: seed folders on the command line.

The commands need to know where the local cloud runs. ``seed_app`` reads it from the exported
environment (``eval "$(hybridstack local env)"``); the ``local`` command group can instead build
the sub-app with :func:`make_seed_app` and a function that returns the running cloud's endpoints.

Example:
    hybridstack local seed load seed/
    hybridstack local seed export snapshot/ --overwrite
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hybridstack.emulators.devtools.seed import SeedError, export_seed, load_seed
from hybridstack.emulators.runtime.emulators import EMULATORS
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

EndpointsProvider = Callable[[], LocalCloudEndpoints]
_SERVICES = tuple(row.name for row in EMULATORS if row.holds_data)  # what a seed fills


def endpoints_from_environment() -> LocalCloudEndpoints:
    """The local cloud the shell points at, or a clear error if it points at none."""
    endpoints = LocalCloudEndpoints.from_environment(os.environ)
    if not any(getattr(endpoints, name) for name in _SERVICES):
        raise SeedError(
            "no local cloud in this shell's environment: start it with `hybridstack local up` "
            'and run `eval "$(hybridstack local env)"` first'
        )
    return endpoints


@contextmanager
def _exit_on_failure(console: Console, command: str) -> Iterator[None]:
    """Any failure of the block -> ``<command> failed: <why>`` and exit status 1, no traceback
    (an emulator down or refusing is named by its error's type)."""
    try:
        yield
    except SeedError as error:
        console.print(f"[red]{command} failed:[/red] {error}")
        raise typer.Exit(1) from error
    except Exception as error:
        console.print(f"[red]{command} failed:[/red] {type(error).__name__}: {error}")
        raise typer.Exit(1) from error


def make_seed_app(endpoints: EndpointsProvider = endpoints_from_environment) -> typer.Typer:
    """The ``seed`` command group, getting the running cloud's endpoints from ``endpoints``."""
    app = typer.Typer(
        help="Load a seed folder into the local cloud, or export one from it.",
        add_completion=False,
        no_args_is_help=True,
    )
    console = Console(soft_wrap=True)  # paths in messages stay whole

    @app.command("load")
    def load(
        folder: Annotated[
            Path, typer.Argument(help="seed folder (firestore/, auth/, s3/, storage/)")
        ],
    ) -> None:
        """Load Firestore documents, Auth users, S3 and Storage objects from FOLDER."""
        with _exit_on_failure(console, "seed load"):
            counts = load_seed(folder, endpoints())
        console.print(f"loaded {counts} from {folder}")

    @app.command("export")
    def export(
        folder: Annotated[Path, typer.Argument(help="where to write the seed folder")],
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="replace the seed sections of a used folder")
        ] = False,
    ) -> None:
        """Write what the local cloud holds to FOLDER, in the layout `seed load` reads."""
        with _exit_on_failure(console, "seed export"):
            counts = export_seed(folder, endpoints(), overwrite=overwrite)
        console.print(f"exported {counts} to {folder}")

    return app


seed_app = make_seed_app()
