"""Upload-to-ready latency through the deployed local stack, and the system suite's wall time.

    .venv/bin/python benchmarks/system_latency.py                 # latency + 200 uploads + suite
    .venv/bin/python benchmarks/system_latency.py --samples 30 --burst 200 --skip-suite
    .venv/bin/python benchmarks/system_latency.py --suite-only

Starts the local cloud ``hybridstack up`` starts (IAM enforced in the AWS emulator, Storage events
on), deploys the ``local`` stack, signs a user in (Auth emulator -> local issuer), then, through
the same client paths the system tests use:

- **latency** (targets p50 <= 1.5 s, p95 <= 3 s): ``--samples`` uploads one after another; each
  is ``POST /media/upload`` -> pre-signed POST to S3 -> a Firestore listener on ``media/{id}``
  sees ``ready``. The clock starts when the S3 POST is sent and stops when the listener fires.
  The first (cold) upload starts the processor's worker and is reported apart.
- **burst**: ``--burst`` uploads sent as fast as 8 client threads can; every one must end
  ``ready`` (none lost, none failed); prints the time until the last one was ready.
- **suite**: ``pytest tests/system`` in a subprocess (its own local cloud); its wall time.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

REPOSITORY = Path(__file__).resolve().parents[1]
"""The repository: the reference platform's Pulumi project this benchmark deploys."""

TARGET_P50 = 1.5
TARGET_P95 = 3.0


def _png(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (seed % 256, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


class ReadyWatch:
    """One Firestore query listener on the user's ``media`` documents: when each became ready."""

    def __init__(self, db: Any, owner: str) -> None:
        self.ready_at: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self._changed = threading.Condition()
        self._listening = threading.Event()
        query = db.collection("media").where(filter=FieldFilter("ownerId", "==", owner))
        self._watch = query.on_snapshot(self._on_snapshot)
        if not self._listening.wait(60):
            raise RuntimeError("the Firestore listener never delivered its first snapshot")

    def _on_snapshot(self, snapshots: list[Any], changes: Any, read_time: Any) -> None:
        del snapshots, read_time
        now = time.perf_counter()
        with self._changed:
            for change in changes:
                document = change.document.to_dict() or {}
                if document.get("status") == "ready":
                    self.ready_at.setdefault(change.document.id, now)
                elif document.get("status") == "failed":
                    self.failed[change.document.id] = str(document.get("error"))
            self._listening.set()
            self._changed.notify_all()

    def wait(self, media_ids: set[str], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        with self._changed:
            while not media_ids <= set(self.ready_at) | set(self.failed):
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return
                self._changed.wait(remaining)

    def close(self) -> None:
        self._watch.unsubscribe()


def _upload(
    http: requests.Session, api_url: str, headers: dict[str, str], data: bytes
) -> tuple[str, float]:
    """Ask for an upload and send it; (media id, when the S3 POST was sent)."""
    asked = http.post(
        f"{api_url}media/upload",
        headers=headers,
        json={"filename": "bench.png", "content_type": "image/png", "size": len(data)},
        timeout=120,
    )
    asked.raise_for_status()
    ticket = asked.json()
    sent_at = time.perf_counter()
    sent = http.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": ("bench.png", data, "image/png")},
        timeout=120,
    )
    sent.raise_for_status()
    return str(ticket["media_id"]), sent_at


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(samples: int, burst: int) -> bool:
    from hybridstack.emulators.devtools.stack_cloud import deploy_into, local_stack_cloud
    from hybridstack.emulators.runtime.clients import AuthEmulator, firestore_client

    ok = True
    with tempfile.TemporaryDirectory(prefix="hybridstack-latency-") as tmp:
        cloud = local_stack_cloud(state_dir=Path(tmp))
        try:
            started = time.perf_counter()
            cloud.start()
            result = deploy_into(cloud, project_dir=REPOSITORY)
            print(
                f"local cloud + deploy: {time.perf_counter() - started:.1f} s ({result.summary()})"
            )
            api_url = str(result.outputs["apiUrl"]).rstrip("/") + "/"
            auth = AuthEmulator(cloud.endpoints)
            user = auth.sign_up_signed(f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench-pw")
            db = firestore_client(cloud.endpoints)
            watch = ReadyWatch(db, user.uid)
            http = requests.Session()
            try:
                latencies: list[float] = []
                cold: float | None = None
                for index in range(samples + 1):
                    media_id, sent_at = _upload(http, api_url, user.authorization, _png(index))
                    watch.wait({media_id}, timeout=120)
                    if media_id not in watch.ready_at:
                        print(f"  upload {index}: not ready ({watch.failed.get(media_id)})")
                        ok = False
                        continue
                    seconds = watch.ready_at[media_id] - sent_at
                    if index == 0:
                        cold = seconds
                    else:
                        latencies.append(seconds)
                if latencies:
                    p50, p95 = _percentile(latencies, 0.5), _percentile(latencies, 0.95)
                    verdict = "met" if p50 <= TARGET_P50 and p95 <= TARGET_P95 else "MISSED"
                    ok = ok and verdict == "met"
                    print(
                        f"upload -> ready ({len(latencies)} sequential, warm): "
                        f"p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(latencies):.2f} s, "
                        f"mean {statistics.mean(latencies):.2f} s "
                        f"(targets {TARGET_P50} / {TARGET_P95} s: {verdict}); "
                        f"first (cold worker) {cold if cold is not None else float('nan'):.2f} s"
                    )
                if burst:
                    user_token = auth.signed_token(auth.sign_in(str(user.email), "bench-pw"))
                    headers = {"Authorization": f"Bearer {user_token}"}
                    began = time.perf_counter()
                    with ThreadPoolExecutor(max_workers=8) as pool:
                        sent = list(
                            pool.map(
                                lambda i: _upload(http, api_url, headers, _png(1000 + i)),
                                range(burst),
                            )
                        )
                    sent_seconds = time.perf_counter() - began
                    ids = {media_id for media_id, _ in sent}
                    watch.wait(ids, timeout=600)
                    ready = ids & set(watch.ready_at)
                    failed = ids & set(watch.failed)
                    lost = ids - ready - failed
                    last = max((watch.ready_at[i] for i in ready), default=began) - began
                    burst_latency = [watch.ready_at[i] - at for i, at in sent if i in ready]
                    print(
                        f"burst of {burst} uploads: sent in {sent_seconds:.1f} s, "
                        f"{len(ready)} ready, {len(failed)} failed, {len(lost)} lost; "
                        f"last ready after {last:.1f} s "
                        f"({len(ready) / last if last else 0:.1f} uploads/s); upload -> ready "
                        f"p50 {_percentile(burst_latency, 0.5) if burst_latency else 0:.2f} s, "
                        f"p95 {_percentile(burst_latency, 0.95) if burst_latency else 0:.2f} s"
                    )
                    ok = ok and not failed and not lost
                load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
                print(f"machine: {os.cpu_count()} CPUs, load average {load} (1/5/15 min)")
            finally:
                watch.close()
                db.close()
        finally:
            cloud.stop()
    return ok


def suite_wall_time() -> bool:
    began = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/system", "-q", "-p", "no:cacheprovider"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - began
    summary = (completed.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"system suite (pytest tests/system): {seconds:.1f} s wall, {summary}")
    return completed.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="sequential uploads timed")
    parser.add_argument("--burst", type=int, default=200, help="uploads sent at once")
    parser.add_argument("--skip-suite", action="store_true", help="do not time tests/system")
    parser.add_argument("--suite-only", action="store_true", help="only time tests/system")
    args = parser.parse_args()
    ok = True if args.suite_only else measure(args.samples, args.burst)
    if not args.skip_suite:
        ok = suite_wall_time() and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
