"""What the registration blocking function costs ``hybridstack up``, and what a sign-up costs.

    .venv/bin/python benchmarks/registration_function.py             # 1 round of each
    .venv/bin/python benchmarks/registration_function.py --rounds 3

Each round starts the cloud ``hybridstack up`` starts twice, alternating: without the Functions
emulator (as before) and with the platform's functions codebase, and prints the start time of
each (total, and the firebase-tools process that serves Auth and Functions), plus assembling the
codebase. The last round with functions also deploys the ``local`` stack and times sign-ups
through the Auth emulator (``accounts:signUp``, the ``beforeCreate`` function and its
``POST /internal/users`` included) until the user record is in DynamoDB.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
"""The repository: the reference platform's Pulumi project this benchmark deploys."""


def _start(functions: bool, root: Path) -> tuple[float, float, float]:
    """(total start seconds, firebase-tools seconds, assembly seconds)."""
    from hybridstack.emulators.devtools.stack_cloud import local_stack_cloud

    clock = time.perf_counter()
    cloud = local_stack_cloud(state_dir=root, functions=functions)
    assembly = time.perf_counter() - clock
    try:
        cloud.start()
        return cloud.start_seconds["total"], cloud.start_seconds["auth"], assembly
    finally:
        cloud.stop()


def _sign_ups(count: int, root: Path) -> list[float]:
    from hybridstack.emulators.devtools.stack_cloud import deploy_into, local_stack_cloud
    from hybridstack.emulators.runtime.clients import AuthEmulator, aws_client

    cloud = local_stack_cloud(state_dir=root)
    try:
        cloud.start()
        result = deploy_into(cloud, project_dir=REPOSITORY)
        auth = AuthEmulator(cloud.endpoints)
        dynamodb = aws_client(cloud.endpoints, "dynamodb")
        seconds = []
        for _ in range(count):
            clock = time.perf_counter()
            user = auth.sign_up(f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-secret")
            item = dynamodb.get_item(
                TableName=result.outputs["tableName"],
                Key={"PK": {"S": f"USER#{user.uid}"}, "SK": {"S": "PROFILE"}},
            ).get("Item")
            seconds.append(time.perf_counter() - clock)
            if item is None:
                raise SystemExit(f"sign-up of {user.uid} made no user record")
        return seconds
    finally:
        cloud.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--sign-ups", type=int, default=10)
    options = parser.parse_args()
    figures: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(options.rounds):
            for functions in (False, True):
                figures[functions].append(_start(functions, Path(tmp) / f"{number}-{functions}"))
        for functions, label in ((False, "without Functions"), (True, "with the functions")):
            totals = [total for total, _, _ in figures[functions]]
            firebase = [seconds for _, seconds, _ in figures[functions]]
            print(
                f"cloud start {label:>18}: total median {statistics.median(totals):.1f} s "
                f"(max {max(totals):.1f}), firebase-tools {statistics.median(firebase):.1f} s"
            )
        added = statistics.median(t for t, _, _ in figures[True]) - statistics.median(
            t for t, _, _ in figures[False]
        )
        assembly = statistics.median(a for _, _, a in figures[True])
        print(f"added to `hybridstack up`: {added:+.1f} s (codebase assembly {assembly:.2f} s)")
        seconds = _sign_ups(options.sign_ups, Path(tmp) / "sign-ups")
        print(
            f"sign-up -> user record (blocking function): first {seconds[0]:.2f} s, then median "
            f"{statistics.median(seconds[1:] or seconds):.2f} s over {len(seconds)} sign-ups"
        )


if __name__ == "__main__":
    main()
