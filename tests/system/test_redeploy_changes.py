"""``hybridstack deploy --changes-only`` (what each save of ``hybridstack dev`` runs) into the
running stack, from another process as a developer's second shell would: it names what it
updated, and a deploy with nothing changed updates nothing.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _deploy(stack: Any, *config: str) -> list[str]:
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "hybridstack",
            "deploy",
            "--changes-only",
            "--state-dir",
            str(stack.cloud.state_dir),
            *(argument for value in config for argument in ("--config", value)),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout.splitlines()


def test_a_redeploy_names_what_it_updated_and_an_unchanged_one_nothing(stack: Any) -> None:
    try:
        changed = _deploy(stack, "log_retention_days=14")
        updated = [line for line in changed if line.startswith("updated ")]
        assert updated, changed
        assert all(line.startswith(f"updated {LOG_GROUP} ") for line in updated), updated
        assert changed[-1].startswith("deployed stack local: 0 created, ")
    finally:
        back = _deploy(stack)  # Pulumi.local.yaml's retention again
    assert len([line for line in back if line.startswith("updated ")]) == len(updated)

    unchanged = _deploy(stack)

    assert not [line for line in unchanged if line.startswith(("updated ", "created "))]
    assert "0 created, 0 updated" in unchanged[-1]
