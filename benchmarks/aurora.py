"""Figures for the local Aurora PostgreSQL: image build, cluster ready for SQL, Data API latency,
reset and stop with databases, memory of one database container.

    .venv/bin/python benchmarks/aurora.py
    .venv/bin/python benchmarks/aurora.py --clusters 5 --statements 200
    .venv/bin/python benchmarks/aurora.py --rebuild    # also time building the image again

1. The PostgreSQL image: found (every start after the first) and, with ``--rebuild``, built
   from scratch FROM the Debian base (the base itself is not rebuilt).
2. A cluster from CreateDBCluster to a Data API that answers ``SELECT 1``, ``--clusters`` times
   (one after the other, each removed by a reset before the next).
3. Data API latency for what the services do per request: a primary-key read, an
   ``INSERT ... ON CONFLICT`` upsert, and a transaction of two statements (p50 / p95).
4. Reset and stop of a local cloud holding one database (containers and volumes removed).
5. Memory of one idle database container (its cgroup's usage, as ``docker stats`` shows it).

Needs a Docker engine (``scripts/setup`` starts one as root).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker

from hybridstack.emulators.runtime import aurora
from hybridstack.emulators.runtime.clients import aws_client
from hybridstack.emulators.runtime.containers.images import ensure_image, postgres_image_spec
from hybridstack.emulators.runtime.local_cloud import LocalCloud


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def image_figures(rebuild: bool) -> None:
    client = docker.from_env()
    spec = postgres_image_spec()
    found = timed(lambda: ensure_image(client, spec))
    print(f"image found: {found * 1000:.0f} ms")
    if rebuild:
        tag = ensure_image(client, spec)
        for alias in client.images.get(tag).tags:
            client.images.remove(alias, noprune=False)
        print(
            f"image built from the Debian base: {timed(lambda: ensure_image(client, spec)):.1f} s"
        )
        aurora.ministack_environment()  # the alias MiniStack looks for, again
    client.close()


def statement_figures(rds_data: Any, db: aurora.AuroraDatabase, count: int) -> None:
    def sql(text: str, **extra: Any) -> Any:
        return rds_data.execute_statement(
            resourceArn=db.cluster_arn,
            secretArn=db.secret_arn,
            database=db.database,
            sql=text,
            **extra,
        )

    sql("CREATE TABLE bench (id text PRIMARY KEY, n bigint NOT NULL)")
    sql("INSERT INTO bench VALUES ('k', 0)")
    key = [{"name": "id", "value": {"stringValue": "k"}}]
    read = [timed(lambda: sql("SELECT n FROM bench WHERE id = :id", parameters=key))]
    read += [
        timed(lambda: sql("SELECT n FROM bench WHERE id = :id", parameters=key))
        for _ in range(count - 1)
    ]
    upsert_sql = (
        "INSERT INTO bench VALUES (:id, 1) ON CONFLICT (id) DO UPDATE SET n = bench.n + 1 "
        "RETURNING n"
    )
    upsert = [timed(lambda: sql(upsert_sql, parameters=key)) for _ in range(count)]

    def transaction() -> None:
        arn = {"resourceArn": db.cluster_arn, "secretArn": db.secret_arn}
        tx = rds_data.begin_transaction(database=db.database, **arn)["transactionId"]
        sql("UPDATE bench SET n = n + 1 WHERE id = :id", parameters=key, transactionId=tx)
        sql("SELECT n FROM bench WHERE id = :id", parameters=key, transactionId=tx)
        rds_data.commit_transaction(transactionId=tx, **arn)

    transactions = [timed(transaction) for _ in range(max(1, count // 4))]
    for name, values in (
        ("primary-key read", read),
        ("upsert", upsert),
        ("transaction of 2", transactions),
    ):
        print(
            f"Data API {name}: p50 {percentile(values, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:.1f} ms ({len(values)} calls)"
        )


def container_memory_mib(cluster_id: str) -> float:
    client = docker.from_env()
    try:
        (container,) = client.containers.list(filters={"label": f"cluster_id={cluster_id}"})
        stats = container.stats(stream=False)
        return float(stats["memory_stats"]["usage"]) / (1 << 20)
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--statements", type=int, default=100)
    parser.add_argument("--rebuild", action="store_true")
    options = parser.parse_args()

    image_figures(options.rebuild)
    with tempfile.TemporaryDirectory(prefix="aurora-bench-") as work:
        with LocalCloud(services=["aws"], state_dir=Path(work) / "cloud") as cloud:
            rds = aws_client(cloud.endpoints, "rds")
            rds_data = aws_client(cloud.endpoints, "rds-data")
            ready = []
            for index in range(options.clusters):
                started = time.perf_counter()
                db = aurora.create_database(rds, f"bench-{index}", rds_data=rds_data)
                ready.append(time.perf_counter() - started)
                if index < options.clusters - 1:
                    cloud.reset()
            print(
                f"cluster ready for SQL: median {statistics.median(ready):.2f} s, "
                f"max {max(ready):.2f} s ({len(ready)} clusters)"
            )
            memory = container_memory_mib(db.cluster_id)
            print(f"memory of one idle database container: {memory:.0f} MiB")
            statement_figures(rds_data, db, options.statements)
            print(f"reset with one database: {timed(cloud.reset):.2f} s")
            aurora.create_database(rds, "bench-stop", rds_data=rds_data)
            stop_seconds = timed(cloud.stop)
        print(f"stop with one database (containers and volumes removed): {stop_seconds:.2f} s")


if __name__ == "__main__":
    main()
