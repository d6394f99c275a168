"""``hybridstack up`` when MiniStack is killed under the deployed stack: the emulator comes back
on its address, the stack is deployed into it again by itself and its API answers again (at the
URL the redeploy prints: MiniStack gives a recreated HTTP API a new id)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import requests

from hybridstack.emulators.runtime.run_state import read_state
from tests.deploy.up_process import UpProcess


def test_a_killed_ministack_is_restarted_and_the_stack_redeployed_by_itself(
    tmp_path: Path,
) -> None:
    with UpProcess(["up"], tmp_path) as up:
        up.wait_for("smoke journey passed")
        state = read_state(tmp_path)
        assert state is not None
        outputs = json.loads((tmp_path / "deploy-local.outputs.json").read_text())["outputs"]
        health = str(outputs["apiUrl"]).rstrip("/") + "/health"
        assert requests.get(health, timeout=60).status_code == 200

        mark = len(up.output())
        os.kill(state.processes["aws"].pid, signal.SIGKILL)
        up.wait_for("redeploying the stack into the restarted emulator", after=mark)
        printed = up.wait_for("deployed stack local", after=mark)[mark:]

        again = json.loads((tmp_path / "deploy-local.outputs.json").read_text())["outputs"]
        assert again["apiUrl"] in printed  # the outputs table of the redeploy
        assert str(again["apiUrl"]).startswith(str(state.endpoints.aws))  # the same emulator
        answer = requests.get(str(again["apiUrl"]).rstrip("/") + "/health", timeout=60)
        assert answer.status_code == 200, answer.text
        after = read_state(tmp_path)
        assert after is not None
        assert after.endpoints == state.endpoints
        assert after.processes["aws"].restarts == 1
        output = up.stop()
    assert "aws emulator died (exit code -9) and was restarted on the same address" in printed
    assert "lost: every AWS resource and S3 object" in printed
    assert "local cloud stopped" in output
