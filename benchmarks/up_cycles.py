"""Cycles of ``hybridstack up`` -> smoke journey -> ``hybridstack local down`` in ONE checkout.

    .venv/bin/python benchmarks/up_cycles.py                 # 5 cycles
    .venv/bin/python benchmarks/up_cycles.py --cycles 3 --kill9

Each cycle runs ``.venv/bin/hybridstack up`` as a user does: the repository as working directory
and no ``HYBRIDSTACK_STATE_DIR``, so every cycle shares the checkout's default state folder
(``<repo>/.hybridstack``). It waits for the smoke journey's verdict line (``smoke journey
passed``/``FAILED``), stops with ``hybridstack local down`` and then checks that nothing of the run
is left: ``up`` exited, no process of its tree (taken when the verdict came) is alive and no
process's command line names the state folder. ``--kill9`` adds one cycle ended by ``kill -9`` of
``up`` instead, followed by a cycle that must start anyway (and must clean up what the killed run
left). Prints per cycle: seconds to the verdict, seconds to stop, the state folder's size after
the stop (``du``), and pass or fail with the reason; each cycle's output is kept in a log file.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from hybridstack.emulators.runtime.run_state import disk_usage

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".hybridstack"
VERDICT = re.compile(r"smoke journey (passed|FAILED)")
GAVE_UP = re.compile(r"^the local cloud keeps running", re.MULTILINE)  # `up`: deploy failed
READY = re.compile(r"^✔ storage +ready in", re.MULTILINE)  # `up`: the last emulator's start line
KILL_AFTER_READY_SECONDS = 15.0
VERDICT_TIMEOUT_SECONDS = 600.0
STOP_TIMEOUT_SECONDS = 120.0


@dataclass
class Cycle:
    """One ``up`` of the run and what became of it."""

    number: int
    ended_by: str  # "down" | "kill -9"
    verdict: str = ""
    to_verdict: float = 0.0
    to_stop: float = 0.0
    state_kib: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict == "passed" and not self.problems


def _hybridstack(*args: str) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "hybridstack"), *args]


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "HYBRIDSTACK_STATE_DIR"}


def _state_kib() -> int:
    return disk_usage(STATE_DIR) // 1024 if STATE_DIR.exists() else 0


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    found = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.NoSuchProcess:
            pass
    return found


def _naming_state_dir() -> list[psutil.Process]:
    """Processes whose command line names the state folder (emulators, Lambda workers)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if process.pid != os.getpid() and str(STATE_DIR) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def _describe(processes: list[psutil.Process]) -> str:
    names = []
    for process in processes[:5]:
        try:
            names.append(f"{process.pid} {' '.join(process.cmdline())[:80]}")
        except psutil.Error:
            names.append(str(process.pid))
    more = f" (+{len(processes) - 5} more)" if len(processes) > 5 else ""
    return "; ".join(names) + more


def _wait_for_verdict(
    up: subprocess.Popen[bytes], log: Path, cycle: Cycle, *, kill: bool = False
) -> None:
    """Until the smoke verdict (or why none will come). A cycle to be killed stops waiting
    :data:`KILL_AFTER_READY_SECONDS` after the emulators were ready: ``up`` is then deploying
    or waiting, with the whole cloud running, which is what a kill -9 should hit."""
    deadline = time.monotonic() + VERDICT_TIMEOUT_SECONDS
    ready_at: float | None = None
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = VERDICT.search(text)
        if found:
            cycle.verdict = found.group(1)
            return
        if kill and ready_at is None and READY.search(text):
            ready_at = time.monotonic()
        if ready_at is not None and time.monotonic() - ready_at > KILL_AFTER_READY_SECONDS:
            cycle.problems.append("(killed before its smoke journey)")
            return
        if up.poll() is not None:
            cycle.problems.append(f"up exited ({up.returncode}) first: {_last_lines(log)}")
            return
        if GAVE_UP.search(text):
            cycle.problems.append(f"deploy failed: {_last_lines(log)}")
            return
        time.sleep(0.2)
    cycle.problems.append(f"no smoke journey verdict within {VERDICT_TIMEOUT_SECONDS:.0f} s")


def _last_lines(log: Path, count: int = 2) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return " | ".join(lines[-count:])[:300]


def run_cycle(number: int, logs: Path, *, kill: bool) -> Cycle:
    """Start ``up``, wait for the smoke verdict, stop it (``local down`` or SIGKILL), check."""
    cycle = Cycle(number, "kill -9" if kill else "down")
    log = logs / f"up-cycle-{number}.log"
    started = time.perf_counter()
    with log.open("wb") as output:
        up = subprocess.Popen(
            _hybridstack("up"),
            cwd=ROOT,
            env=_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    _wait_for_verdict(up, log, cycle, kill=kill)
    cycle.to_verdict = time.perf_counter() - started
    try:
        tree = [psutil.Process(up.pid), *psutil.Process(up.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    tree += _naming_state_dir()
    stopping = time.perf_counter()
    if kill:
        if up.poll() is not None:
            cycle.problems.append("nothing to kill: up had already exited")
        up.send_signal(signal.SIGKILL)
        up.wait()
        cycle.to_stop = time.perf_counter() - stopping
        left = _alive(tree)
        if left:  # reported, not a failure: the next cycle must cope with it
            cycle.problems.append(f"(expected) {len(left)} processes left after kill -9")
        cycle.state_kib = _state_kib()
        return cycle
    down = subprocess.run(
        _hybridstack("local", "down"),
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT_SECONDS,
    )
    if down.returncode != 0:
        cycle.problems.append(f"local down exited {down.returncode}: {down.stderr.strip()[-200:]}")
    try:
        up.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        cycle.problems.append("up still running after local down")
        up.kill()
        up.wait()
    cycle.to_stop = time.perf_counter() - stopping
    left = _alive(tree + _naming_state_dir())
    if left:
        cycle.problems.append(f"left running: {_describe(left)}")
    cycle.state_kib = _state_kib()
    return cycle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=5, help="up -> smoke -> down cycles")
    parser.add_argument(
        "--kill9", action="store_true", help="then one up ended by kill -9, and one more cycle"
    )
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="hybridstack-up-cycles-"))
    print(f"checkout {ROOT}; state folder {STATE_DIR} ({_state_kib() / 1024:.0f} MB before)")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; logs in {logs}")
    plan = [False] * args.cycles + ([True, False] if args.kill9 else [])
    cycles: list[Cycle] = []
    print(f"{'cycle':<7}{'ended by':<10}{'to smoke':>9}{'to stop':>9}{'state MB':>10}  result")
    for number, kill in enumerate(plan, start=1):
        cycle = run_cycle(number, logs, kill=kill)
        cycles.append(cycle)
        result = "pass" if cycle.passed else "FAIL"
        if kill and cycle.verdict == "passed":
            result = "pass (then killed)"
        detail = "; ".join(cycle.problems)
        print(
            f"{number:<7}{cycle.ended_by:<10}{cycle.to_verdict:>8.1f}s{cycle.to_stop:>8.1f}s"
            f"{cycle.state_kib / 1024:>10.0f}  {result}{'  ' + detail if detail else ''}",
            flush=True,
        )
    counted = [c for c in cycles if c.ended_by == "down"]
    passed = sum(1 for c in counted if c.passed)
    print(f"{passed} of {len(counted)} cycles ended by local down passed")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
