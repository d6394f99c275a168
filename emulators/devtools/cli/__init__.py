"""The ``hybridstack`` command line: one entry point, one sub-command group per concern.

Example:
    hybridstack up              # start the local cloud, deploy the local stack, smoke journey
    hybridstack dev             # `up --watch`: every saved edit redeploys what it changes
    hybridstack deploy          # deploy again into the running local cloud (what changed)
    hybridstack outputs         # the last local deploy's stack outputs
    hybridstack local up        # start the local cloud, Ctrl-C to stop
    hybridstack local env       # export lines for the running local cloud
"""

import typer

from hybridstack.emulators.devtools.cli.deploy import deploy, outputs
from hybridstack.emulators.devtools.cli.local import DEV_DEFAULTS, local_app, up

app = typer.Typer(
    name="hybridstack",
    help="Hybrid AWS + Firebase platforms: components, services and a local cloud.",
    no_args_is_help=True,
)
app.add_typer(local_app, name="local")
app.command("up", help="Start the local cloud and deploy the local stack into it.")(up)
app.command(
    "dev",
    help="`up --watch`: start, deploy, redeploy what each saved edit changes.",
    context_settings={"default_map": DEV_DEFAULTS},
)(up)
app.command("deploy", help="Deploy the stack into the running local cloud (what changed).")(deploy)
app.command("outputs", help="Print the last local deploy's stack outputs.")(outputs)
