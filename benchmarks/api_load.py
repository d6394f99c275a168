"""The deployed local API under load: many concurrent calls, many concurrent uploads.

    .venv/bin/python -m benchmarks.api_load                    # both, default sizes
    .venv/bin/python -m benchmarks.api_load --requests 1000 --concurrency 20 --uploads 100

Starts the local cloud ``hybridstack up`` starts and deploys the ``local`` stack into it (as
``benchmarks/system_latency.py`` does), signs a user in, then:

- **users/me** (targets: 0 errors, p99 <= 0.5 s): first a warm-up of 2 x ``--concurrency``
  calls (its figures printed apart: they include the workers' cold starts), then ``--requests``
  ``GET /users/me`` sent by ``--concurrency`` client threads; prints errors by status,
  p50/p95/p99/max, requests/s.
- **uploads** (targets: 0 errors, every upload ready): ``--uploads`` clients at once, each asking
  for an upload grant (``POST /media/upload``) and sending the file to S3; then waits until each
  upload's Firestore record is ``ready``; prints errors, lost uploads and the time to the last one.

Then the most Lambda worker processes MiniStack ran at once (sampled), its workers' cold starts,
and the disk the state folder takes after the stop (worker folders left).

The burst of 200 uploads sent by 8 clients is ``benchmarks/system_latency.py --samples 0
--burst 200 --skip-suite``. Figures are machine-dependent: the script prints the load average.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from benchmarks.system_latency import ReadyWatch, _percentile, _png, _upload

REPOSITORY = Path(__file__).resolve().parents[1]
"""The repository: the reference platform's Pulumi project this benchmark deploys."""

TARGET_P99 = 0.5


class WorkerSampler:
    """Counts MiniStack's Lambda worker processes every 50 ms; keeps the most seen at once."""

    def __init__(self, ministack_pid: int) -> None:
        self.most = 0
        self._pid = ministack_pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from hybridstack.emulators.runtime.ministack import lambda_workers

        while not self._stop.wait(0.05):
            self.most = max(self.most, len(lambda_workers(self._pid)))

    def close(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.most


def users_me(api_url: str, headers: dict[str, str], total: int, concurrency: int) -> str:
    outcomes: Counter[str] = Counter()
    seconds: list[float] = []
    lock = threading.Lock()
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=concurrency))

    def one(_: int) -> None:
        began = time.perf_counter()
        try:
            response = http.get(f"{api_url}users/me", headers=headers, timeout=60)
            outcome = str(response.status_code)
        except requests.RequestException as error:
            outcome = type(error).__name__
        with lock:
            seconds.append(time.perf_counter() - began)
            outcomes[outcome] += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(total)))
    wall = time.perf_counter() - began
    errors = total - outcomes["200"]
    p99 = _percentile(seconds, 0.99)
    verdict = "met" if errors == 0 and p99 <= TARGET_P99 else "MISSED"
    return (
        f"{total} GET /users/me at concurrency {concurrency}: {errors} errors "
        f"({dict(outcomes)}), p50 {_percentile(seconds, 0.5):.3f} s, "
        f"p95 {_percentile(seconds, 0.95):.3f} s, p99 {p99:.3f} s, max {max(seconds):.2f} s, "
        f"{total / wall:.0f} requests/s (targets 0 errors, p99 <= {TARGET_P99} s: {verdict})"
    )


def uploads(api_url: str, headers: dict[str, str], watch: ReadyWatch, count: int) -> str:
    http = requests.Session()
    http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=count))
    errors: Counter[str] = Counter()
    sent: list[str] = []
    lock = threading.Lock()

    seconds: list[float] = []

    def one(index: int) -> None:
        began = time.perf_counter()
        try:
            media_id, _ = _upload(http, api_url, headers, _png(5000 + index))
        except requests.RequestException as error:
            status = getattr(error.response, "status_code", None)
            with lock:
                errors[str(status) if status else type(error).__name__] += 1
            return
        with lock:
            sent.append(media_id)
            seconds.append(time.perf_counter() - began)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=count) as pool:
        list(pool.map(one, range(count)))
    sent_seconds = time.perf_counter() - began
    watch.wait(set(sent), timeout=600)
    ready = set(sent) & set(watch.ready_at)
    failed = set(sent) & set(watch.failed)
    lost = set(sent) - ready - failed
    last = max((watch.ready_at[i] for i in ready), default=began) - began
    verdict = "met" if not errors and not failed and not lost else "MISSED"
    return (
        f"{count} concurrent upload grants + uploads: {sum(errors.values())} errors "
        f"({dict(errors)}), all sent in {sent_seconds:.1f} s (grant + upload p50 "
        f"{_percentile(seconds or [0.0], 0.5):.2f} s, max {max(seconds or [0.0]):.2f} s); "
        f"{len(ready)} ready, {len(failed)} "
        f"failed, {len(lost)} lost; last ready after {last:.1f} s "
        f"(targets 0 errors, every upload ready: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="GET /users/me calls")
    parser.add_argument("--concurrency", type=int, default=20, help="client threads for them")
    parser.add_argument("--uploads", type=int, default=100, help="concurrent uploads (0: none)")
    args = parser.parse_args()

    from hybridstack.emulators.devtools.stack_cloud import deploy_into, local_stack_cloud
    from hybridstack.emulators.runtime.clients import AuthEmulator, firestore_client
    from hybridstack.emulators.runtime.ministack import worker_folders

    with tempfile.TemporaryDirectory(prefix="hybridstack-load-") as tmp:
        cloud = local_stack_cloud(state_dir=Path(tmp))
        try:
            cloud.start()
            result = deploy_into(cloud, project_dir=REPOSITORY)
            api_url = str(result.outputs["apiUrl"]).rstrip("/") + "/"
            auth = AuthEmulator(cloud.endpoints)
            user = auth.sign_up_signed(f"load-{uuid.uuid4().hex[:8]}@example.com", "load-pw-1")
            print(users_me(api_url, user.authorization, 2 * args.concurrency, args.concurrency))
            sampler = WorkerSampler(cloud.pids()["aws"])
            print(users_me(api_url, user.authorization, args.requests, args.concurrency))
            if args.uploads:
                db = firestore_client(cloud.endpoints)
                watch = ReadyWatch(db, user.uid)
                try:
                    print(uploads(api_url, user.authorization, watch, args.uploads))
                finally:
                    watch.close()
                    db.close()
            cold_starts = cloud.log_path("aws").read_text(errors="replace").count("cold start)")
            print(
                f"Lambda worker processes: at most {sampler.close()} at once, "
                f"{cold_starts} cold starts in all"
            )
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"machine: {os.cpu_count()} CPUs, load average {load} (1/5/15 min)")
        finally:
            cloud.stop()
        scratch = worker_folders(Path(tmp))
        print(
            f"state folder after stop: {_disk_mib(Path(tmp)):.0f} MiB, "
            f"{len(scratch)} Lambda worker folders left"
        )


def _disk_mib(folder: Path) -> float:
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total / 2**20


if __name__ == "__main__":
    main()
