"""``python -m hybridstack ...``: the ``hybridstack`` command (the console script) without its
script, e.g. from a process that knows only its interpreter (``hybridstack up --watch``)."""

from hybridstack.emulators.devtools.cli import app

app()
