"""The ``hybridstack`` command line: one entry point, one sub-command group per concern.

Example:
    hybridstack local up        # start the local cloud, Ctrl-C to stop
    hybridstack local env       # export lines for the running local cloud
"""

import typer

from hybridstack.emulators.cli import local_app, up

app = typer.Typer(
    name="hybridstack",
    help="Hybrid AWS + Firebase platforms: components, services and a local cloud.",
    no_args_is_help=True,
)
app.add_typer(local_app, name="local")
app.command("up", help="Start the local cloud and deploy the local stack into it.")(up)
