"""Figures for the process backend: cold start per emulator and in total, reset, memory.

    .venv/bin/python benchmarks/local_cloud_startup.py
    .venv/bin/python benchmarks/local_cloud_startup.py --compare-auth   # Auth with/without the fix
    .venv/bin/python benchmarks/local_cloud_startup.py --resets 20

1. Each emulator alone, one after the other, from a new process to a request that works.
2. Everything at once (the default service set, as `hybridstack local up` starts it).
3. Reset: data is put in every emulator (S3 objects, Firestore documents, Auth users, Pub/Sub
   topics and subscriptions, Storage objects), then `LocalCloud.reset()` wipes it; repeated.
4. Memory: RSS (and PSS, which counts shared pages once) summed over every process of every
   emulator's process group, after the reset rounds.

Targets on a 2-core machine: all ready <= 20 s, reset <= 0.5 s, total RSS <= 1.5 GB.

Why Auth (firebase-tools) was the slow one, found with ``node --cpu-prof``: not the network (the
MOTD fetch and update check fail fast offline and run beside the start) but CPU. Before it
listens, the Auth emulator has exegesis compile an AJV validator for every request and response
schema of the Identity Toolkit API: ~16 s in ``ajv/dist/compile`` plus ~4.5 s of garbage
collection, out of 27 s. ``emulators/runtime/firebase/lazy-validators.js`` (preloaded into node)
turns on
exegesis's own ``lazyCompileValidationSchemas`` option, so each validator is compiled on first
use: the same start then took 2.5 s. ``--compare-auth`` measures both (details and the
remaining ~2-3 s, mostly loading firebase-tools' JavaScript, in
``hybridstack.emulators.runtime.firebase_tools``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import boto3
import psutil
import requests

from hybridstack.emulators.runtime.emulators import DEFAULT_SERVICES
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.local_cloud import LocalCloud
from hybridstack.emulators.runtime.process import group_pids

TARGET_START_SECONDS = 20.0
TARGET_RESET_SECONDS = 0.5
TARGET_RSS_MIB = 1536.0


def start_alone(service: str, state_root: Path) -> float:
    """Seconds from nothing to ready for one emulator started on its own."""
    with LocalCloud(services=[service], state_dir=state_root / f"alone-{service}") as cloud:
        return cloud.start_seconds[service]


def fill(endpoints: LocalCloudEndpoints, round_: int, items: int = 20) -> None:
    """Put some data into every emulator, so the reset has something to wipe."""
    project = endpoints.project_id
    if endpoints.aws:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoints.aws,
            region_name=endpoints.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        bucket = f"bench-{round_}"
        s3.create_bucket(Bucket=bucket)
        for index in range(items):
            s3.put_object(Bucket=bucket, Key=f"object-{index}", Body=b"x" * 1024)
    if endpoints.firestore:
        base = f"http://{endpoints.firestore}/v1/projects/{project}/databases/(default)/documents"
        for index in range(items):
            requests.post(
                f"{base}/bench?documentId=doc-{index}",
                json={"fields": {"n": {"integerValue": str(index)}}},
                headers={"Authorization": "Bearer owner"},
                timeout=10,
            ).raise_for_status()
    if endpoints.auth:
        for index in range(items):
            requests.post(
                f"http://{endpoints.auth}/identitytoolkit.googleapis.com/v1/accounts:signUp"
                "?key=fake-api-key",
                json={"email": f"user{index}@example.com", "password": "secret-123"},
                timeout=10,
            ).raise_for_status()
    if endpoints.pubsub:
        base = f"http://{endpoints.pubsub}/v1/projects/{project}"
        for index in range(5):
            topic = f"{base}/topics/bench-topic-{index}"
            requests.put(topic, json={}, timeout=10).raise_for_status()
            requests.put(
                f"{base}/subscriptions/bench-sub-{index}",
                json={"topic": f"projects/{project}/topics/bench-topic-{index}"},
                timeout=10,
            ).raise_for_status()
    if endpoints.storage:
        bucket = f"bench-{round_}"
        requests.post(
            f"{endpoints.storage}/storage/v1/b", json={"name": bucket}, timeout=10
        ).raise_for_status()
        for index in range(items):
            requests.post(
                f"{endpoints.storage}/upload/storage/v1/b/{bucket}/o",
                params={"uploadType": "media", "name": f"object-{index}"},
                data=b"x" * 1024,
                timeout=10,
            ).raise_for_status()


def memory_mib(cloud: LocalCloud) -> tuple[dict[str, float], dict[str, float]]:
    """RSS and PSS per emulator process group, in MiB."""
    rss: dict[str, float] = {}
    pss: dict[str, float] = {}
    for name, pgid in cloud.pids().items():
        rss[name] = pss[name] = 0.0
        for pid in group_pids(pgid):
            try:
                info = psutil.Process(pid).memory_full_info()
            except psutil.Error:
                continue
            rss[name] += info.rss / 2**20
            pss[name] += getattr(info, "pss", info.rss) / 2**20
    return rss, pss


def compare_auth(state_root: Path) -> None:
    """Auth start with and without the lazy-validators preload."""
    for label, value in (("without the fix", "0"), ("with the fix", "1")):
        os.environ["HYBRIDSTACK_FIREBASE_LAZY_VALIDATORS"] = value
        seconds = start_alone("auth", state_root / f"auth-{value}")
        print(f"  auth {label:<16} {seconds:6.2f} s")
    os.environ.pop("HYBRIDSTACK_FIREBASE_LAZY_VALIDATORS", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resets", type=int, default=10, help="reset rounds (default 10)")
    parser.add_argument(
        "--compare-auth", action="store_true", help="also time Auth without the start-up fix"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="hybridstack-bench-") as temporary:
        state_root = Path(temporary)
        if args.compare_auth:
            print("Auth emulator start (firebase-tools):")
            compare_auth(state_root)

        print("cold start, each emulator alone:")
        for service in DEFAULT_SERVICES:
            print(f"  {service:<10} {start_alone(service, state_root):6.2f} s")

        print("cold start, all together (parallel):")
        with LocalCloud(state_dir=state_root / "all") as cloud:
            for service in cloud.services:
                print(f"  {service:<10} {cloud.start_seconds[service]:6.2f} s")
            total = cloud.start_seconds["total"]
            verdict = "ok" if total <= TARGET_START_SECONDS else "OVER TARGET"
            target = f"target <= {TARGET_START_SECONDS:.0f} s: {verdict}"
            print(f"  {'total':<10} {total:6.2f} s   ({target})")

            rounds: list[float] = []
            per_service: dict[str, list[float]] = {}
            for round_ in range(args.resets):
                fill(cloud.endpoints, round_)
                began = time.perf_counter()
                for service, seconds in cloud.reset().items():
                    per_service.setdefault(service, []).append(seconds)
                rounds.append(time.perf_counter() - began)
            print(f"reset after filling every emulator ({args.resets} rounds):")
            for service, values in per_service.items():
                print(
                    f"  {service:<10} median {statistics.median(values) * 1000:6.1f} ms"
                    f"   max {max(values) * 1000:6.1f} ms"
                )
            median = statistics.median(rounds)
            verdict = "ok" if median <= TARGET_RESET_SECONDS else "OVER TARGET"
            print(
                f"  {'total':<10} median {median * 1000:6.1f} ms   max {max(rounds) * 1000:6.1f} ms"
                f"   (target <= {TARGET_RESET_SECONDS * 1000:.0f} ms: {verdict})"
            )

            rss, pss = memory_mib(cloud)
            print("memory per emulator (all processes of its group):")
            for name in rss:
                print(f"  {name:<10} RSS {rss[name]:7.1f} MiB   PSS {pss[name]:7.1f} MiB")
            total_rss = sum(rss.values())
            verdict = "ok" if total_rss <= TARGET_RSS_MIB else "OVER TARGET"
            print(
                f"  {'total':<10} RSS {total_rss:7.1f} MiB   PSS {sum(pss.values()):7.1f} MiB"
                f"   (target RSS <= {TARGET_RSS_MIB:.0f} MiB: {verdict})"
            )
            pgids = list(cloud.pids().values())
        left = [pid for pgid in pgids for pid in group_pids(pgid)]
        print(f"processes left after stop: {len(left)}")


if __name__ == "__main__":
    main()
