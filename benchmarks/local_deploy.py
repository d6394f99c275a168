"""Deploy time of the full reference platform into a running local cloud.

    .venv/bin/python -m benchmarks.local_deploy   # cold, no change, one function changed
    .venv/bin/python -m benchmarks.local_deploy --repeat 3

Starts the local cloud ``hybridstack up`` starts (IAM enforced, Storage events on), then deploys
the ``local`` stack with the deploy engine:

- ``cold``: nothing deployed yet (the dependency layer is already built and cached, as after
  ``scripts/setup``; its upload is included);
- ``no change``: the same program again: nothing it read changed, so the last result is
  returned without running it (every resource unchanged);
- ``one function``: the ``api`` function's code differs (a marker module is added to its
  archive by a Pulumi stack transformation), so exactly that function is updated;
- Aurora (``--no-aurora`` skips it): the stack redeployed with ``hybridstack:database:
  postgres`` (the cluster is created and every function relinked), the same again (no change),
  and back to ``dynamodb`` (the cluster deleted); plus the time until the new cluster answers
  SQL through the Data API (CreateDBCluster, then CreateDBInstance until ``SELECT 1`` answers).
  Without a Docker engine the cluster cannot run and the reason is printed instead.

The Python imports (pulumi, pulumi_aws, pulumi_gcp, hybridstack) are paid once per process and
shown on their own line; each figure is the wall time of ``deploy_local_stack``. Targets: cold
<= 4 s, no change <= 0.5 s, one function <= 1 s, the rest <= 10 s. The load average before and
after is printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
"""The repository: the reference platform's Pulumi project this benchmark deploys."""

TARGET_SECONDS = 10.0
TARGETS = {"cold": 4.0, "no change": 0.5, "one function": 1.0}


def _changed_api_program(marker: str) -> Any:
    """The stack's program with the ``api`` function's code changed (one extra module)."""
    import pulumi

    from hybridstack.emulators.deploy.project import PulumiProject

    main = PulumiProject.load(REPOSITORY).main_program()

    def change(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        props = dict(args.props)
        if args.type_ == "aws:lambda/function:Function" and args.name == "api":
            code = props["code"]
            assert isinstance(code, pulumi.AssetArchive)
            assets = dict(code.assets) | {"bench_marker.py": pulumi.StringAsset(marker)}
            props["code"] = pulumi.AssetArchive(assets)
        return pulumi.ResourceTransformationResult(props, args.opts)

    def program() -> None:
        pulumi.runtime.register_stack_transformation(change)
        main()

    return program


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each redeploy kind")
    parser.add_argument(
        "--no-aurora", dest="aurora", action="store_false", help="skip the PostgreSQL switch"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()
    began = time.perf_counter()
    import pulumi_aws  # noqa: F401
    import pulumi_gcp  # noqa: F401

    from hybridstack.emulators.devtools.stack_cloud import deploy_into, local_stack_cloud
    from reference_platform.program import build_platform  # noqa: F401

    imported = time.perf_counter() - began
    with tempfile.TemporaryDirectory(prefix="hybridstack-deploy-bench-") as tmp:
        cloud = local_stack_cloud(state_dir=Path(tmp))
        try:
            started = time.perf_counter()
            cloud.start()
            start_seconds = time.perf_counter() - started
            rows: list[tuple[str, float, str]] = []
            cold = deploy_into(cloud, project_dir=REPOSITORY)
            rows.append(("cold", cold.seconds, cold.summary()))
            same = [deploy_into(cloud, project_dir=REPOSITORY) for _ in range(args.repeat)]
            rows.append(
                ("no change", statistics.median(r.seconds for r in same), same[-1].summary())
            )
            changed = [
                deploy_into(
                    cloud, project_dir=REPOSITORY, program=_changed_api_program(f"MARKER = {i}\n")
                )
                for i in range(args.repeat)
            ]
            rows.append(
                (
                    "one function",
                    statistics.median(r.seconds for r in changed),
                    changed[-1].summary(),
                )
            )
            aurora_ready = _aurora_rows(cloud, rows) if args.aurora else None
        finally:
            cloud.stop()
    resources = sum(1 for r in cold.resources if r.custom)
    print(f"reference platform, stack local: {resources} resources, "
          f"{len(cold.not_emulated)} not emulated")  # fmt: skip
    print(f"imports (once per process): {imported:.1f} s; local cloud start: {start_seconds:.1f} s")
    load = " -> ".join(f"{a[0]:.1f}" for a in (load_before, os.getloadavg()))
    print(f"load average (1 min) before -> after: {load}")
    print(f"{'deploy':<14}{'seconds':>9}{'target':>8}        what happened")
    for name, seconds, summary in rows:
        target = TARGETS.get(name, TARGET_SECONDS)
        verdict = "ok  " if seconds <= target else "SLOW"
        print(f"{name:<14}{seconds:>9.2f}{target:>7.1f}s  {verdict}  {summary}")
    if aurora_ready is not None:
        print(f"Aurora PostgreSQL cluster ready for SQL: {aurora_ready}")


def _aurora_rows(cloud: Any, rows: list[tuple[str, float, str]]) -> str:
    """Deploy with database=postgres, again, then back to dynamodb; the rows, and how long the
    cluster took to answer SQL (or why it could not run)."""
    from hybridstack.emulators.deploy.aws_rds import CLUSTER, INSTANCE
    from hybridstack.emulators.deploy.engine import DeployError
    from hybridstack.emulators.devtools.stack_cloud import deploy_into

    try:
        on = deploy_into(cloud, project_dir=REPOSITORY, config={"database": "postgres"})
    except DeployError as error:
        deploy_into(
            cloud, project_dir=REPOSITORY
        )  # the failed deploy's cluster record is deleted again
        return f"not measured: {error}"
    rows.append(("postgres on", on.seconds, on.summary()))
    again = deploy_into(cloud, project_dir=REPOSITORY, config={"database": "postgres"})
    rows.append(("postgres same", again.seconds, again.summary()))
    back = deploy_into(cloud, project_dir=REPOSITORY)
    rows.append(("dynamodb back", back.seconds, back.summary()))
    cluster = sum(a.seconds for a in on.actions if a.type == CLUSTER)
    instance = sum(a.seconds for a in on.actions if a.type == INSTANCE)
    return (
        f"{cluster + instance:.2f} s (CreateDBCluster {cluster:.2f} s, then CreateDBInstance "
        f"until the Data API answers SELECT 1 {instance:.2f} s)"
    )


if __name__ == "__main__":
    main()
