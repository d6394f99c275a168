"""How long the whole reference program takes under Pulumi mocks, per stack (target <= 5 s).

    .venv/bin/python -m benchmarks.program_under_mocks   # dev, staging, prod, local
    .venv/bin/python -m benchmarks.program_under_mocks --stack prod --repeat 5

Each stack runs in a fresh interpreter, so the figures include what a ``pulumi preview`` pays
before the engine sees the first resource: importing pulumi / pulumi_aws / pulumi_gcp and
hybridstack ("import"), then validating the stack file's config and declaring every resource
until all registrations resolved ("program", first run; pulumi_aws and pulumi_gcp import their
resource modules lazily, so part of the import cost lands here). ``--repeat`` adds warm runs in
the same interpreter (what a test session pays per extra run). The policy checks' time is
shown too.

Two rows per stack: ``pyc`` with Python's bytecode cache (how ``pulumi up`` normally runs; a
first, untimed process fills the cache) and ``no pyc`` with ``PYTHONDONTWRITEBYTECODE=1`` and no
cache, where every process compiles pulumi_aws' modules from source again (some sandboxes set
that variable).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod", "local")
TARGET_SECONDS = 5.0


def measure(stack: str, repeat: int) -> dict[str, float | int]:
    """Run in this interpreter (call it from a fresh one): import, first and warm runs."""
    started = time.perf_counter()
    import yaml

    from hybridstack.policy import check_resources
    from hybridstack.testing import run_under_mocks
    from reference_platform.program import PUBLIC_ROUTES, build_platform

    imported = time.perf_counter()
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    config = dict(document["config"])

    def program() -> None:
        build_platform().export()

    runs = []
    resources = []
    for _ in range(1 + repeat):
        begin = time.perf_counter()
        resources = run_under_mocks(program, stack=stack, config=config)
        runs.append(time.perf_counter() - begin)
    begin = time.perf_counter()
    violations = check_resources(resources, stack=stack, public_routes=PUBLIC_ROUTES)
    checked = time.perf_counter() - begin
    return {
        "cpu_s": time.process_time(),  # the whole process: imports, first run, warm runs
        "import_s": imported - started,
        "first_run_s": runs[0],
        "warm_run_s": statistics.median(runs[1:]) if repeat else float("nan"),
        "total_s": imported - started + runs[0],
        "policy_s": checked,
        "resources": sum(1 for r in resources if r.custom),
        "components": sum(1 for r in resources if not r.custom),
        "violations": len(violations),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stack", choices=STACKS, action="append")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs after the first")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    stacks = args.stack or list(STACKS)
    if args.child:
        print(json.dumps(measure(stacks[0], args.repeat)))
        return

    print(f"reference program under Pulumi mocks (target <= {TARGET_SECONDS:.0f} s per stack)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; times are wall clock")
    header = (
        f"{'stack':<7} {'cache':<6} {'resources':>9} {'components':>10} {'import':>8} "
        f"{'program':>8} {'total':>8} {'warm run':>9} {'policies':>9} {'violations':>10}  verdict"
        "   (cpu s)"
    )
    print(header)
    print("-" * len(header))
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    uncached = {**cached, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": _empty_dir()}
    for stack in stacks:
        _child(stack, 0, cached)  # fills the bytecode cache, untimed
        for mode, env in (("pyc", cached), ("no pyc", uncached)):
            figures = _child(stack, args.repeat, env)
            verdict = "ok" if figures["total_s"] <= TARGET_SECONDS else "OVER TARGET"
            print(
                f"{stack:<7} {mode:<6} {figures['resources']:>9} {figures['components']:>10} "
                f"{figures['import_s']:>7.2f}s {figures['first_run_s']:>7.2f}s "
                f"{figures['total_s']:>7.2f}s {figures['warm_run_s']:>8.2f}s "
                f"{figures['policy_s'] * 1000:>7.1f}ms {figures['violations']:>10}  {verdict:<11}"
                f" ({figures['cpu_s']:.2f})"
            )


def _empty_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="hybridstack-no-pyc-")


def _child(stack: str, repeat: int, env: dict[str, str]) -> dict[str, float | int]:
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.program_under_mocks",
            "--child",
            "--stack",
            stack,
            "--repeat",
            str(repeat),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
