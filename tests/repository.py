"""Where this repository is, for tests that deploy its Pulumi project (Pulumi.yaml, the stack files,
the reference platform's program) or a program of their own under its project name."""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
