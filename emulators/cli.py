"""Placeholder: `hybridstack local ...` commands (replaced by the local-cloud work)."""

import typer

local_app = typer.Typer(
    help="Run the local cloud (AWS and Firebase emulators).", no_args_is_help=True
)


@local_app.command()
def status() -> None:
    """Show each emulator's health and address."""
    raise typer.Exit(1)


def up() -> None:
    """Start the local cloud and deploy the local stack into it."""
    raise typer.Exit(1)
