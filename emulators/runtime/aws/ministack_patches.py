"""MiniStack as the local cloud runs it: upstream MiniStack, plus what its Lambda service lacks.

MiniStack's own interpreter runs this file in place of ``python -m ministack``
(:func:`hybridstack.emulators.runtime.ministack.launch`): it applies the patches below, then starts
MiniStack as ``python -m ministack`` does. It imports only the standard library and MiniStack
(whose virtual environment has no hybridstack), and its settings arrive as environment variables.

What upstream MiniStack (1.5.33) already does, used as it is:

- warm Lambda workers: one pool of worker processes per function, a free one reused by the next
  invocation; surplus idle workers reaped after ``LAMBDA_WARM_TTL_SECONDS``;
- ``ReservedConcurrentExecutions`` (``PutFunctionConcurrency``) and an account limit,
  ``LAMBDA_ACCOUNT_CONCURRENCY`` (set by the launcher; upstream's default, half the memory at
  21 MiB an invocation, is ~570 here: no bound for 2 cores), counted once per invocation; past
  either, Invoke answers ``TooManyRequestsException`` (HTTP 429), an HTTP API route 429;
- a worker's scratch folder removed when MiniStack itself kills the worker or on reset.

What it lacks, patched here:

1. **Queueing.** Upstream throttles the instant a limit is reached, so a burst of 20 clients
   either starts 20+ cold workers (no limit) or is mostly refused. Here an invocation waits for a
   slot, in arrival order, up to ``HYBRIDSTACK_LAMBDA_QUEUE_SECONDS`` (unset: 0, as
   upstream) and only then is throttled. Background invocations — asynchronous ones (Invoke with
   ``Event``, S3/SNS/EventBridge events) and SQS event-source batches — wait until a slot frees,
   as AWS keeps a throttled async event and returns a throttled SQS batch to its queue: nothing is
   lost, and a throttle does not use up an async event's retries. Synchronous invocations are
   served first and background ones never take the last free slot, so a queue's backlog does not
   hold off API calls (AWS's account limit is ample; this one is sized for 2 cores). A waiting
   invocation holds no slot, so a function that invokes itself ends throttled, not deadlocked.
2. **A bound on live execution environments.** Upstream's account limit counts invocations in
   flight, not processes: idle workers of every function stay alive (and keep their folders) until
   their TTL. Here live workers are at most twice the account limit (as many idle as running): a
   new one replaces the least recently used idle worker of any function.
3. **Scratch folders** (code and layers, ~161 MB a worker for the platform). Upstream keeps a
   worker's folder after a timeout or a handler error killed its process, and MiniStack's SIGTERM
   handler exits without stopping its workers, so every folder of a run stayed behind. Here a
   folder goes when its worker's process ends (killed, timed out, or its stdin closed because
   MiniStack died), all of them when MiniStack exits, and a killed run's leftovers at start
   (when a SIGKILL cuts MiniStack's exit short, the local cloud's stop removes what is left:
   ``hybridstack.emulators.runtime.ministack.remove_worker_folders``).
4. **A layer is unzipped once.** Upstream writes each layer's zip into every new worker's folder
   and unzips it there (the platform's layer: 43 MB zipped, 161 MB unzipped, seconds of a cold
   start on a busy 2-core machine). A layer version never changes, so here its first worker
   unzips it into ``<tmp>/hybridstack-lambda-layers/<sha256 of the zip>/`` and every worker's
   ``layer_<n>`` is a link to that folder, removed with the rest when MiniStack stops or starts.
5. **JWT authorizers require ``exp``.** Upstream checks ``exp`` only when the token has one, so
   a signed token without ``exp`` passed; API Gateway refuses it (401), and so does this.
6. **Pending lasts as long as the work.** Upstream holds every created or updated function in
   ``Pending`` for a fixed 0.5 s (``_LAMBDA_STATE_TRANSITION_DELAY``), mimicking AWS's
   provisioning; locally nothing is provisioned then, and a redeploy that waits for ``Active``
   (as ``pulumi up`` does) paid it on every edit. Here it is ``HYBRIDSTACK_LAMBDA_PENDING_SECONDS``
   (default 0.05: the states still pass through ``Pending``, for clients that wait on them).

Example (what :func:`hybridstack.emulators.runtime.ministack.launch` runs):
    LAMBDA_ACCOUNT_CONCURRENCY=4 HYBRIDSTACK_LAMBDA_QUEUE_SECONDS=30 \\
        .tools/ministack/bin/python emulators/runtime/aws/ministack_patches.py
"""

from __future__ import annotations

import base64
import contextvars
import functools
import glob
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import types
import zipfile
from typing import Any

QUEUE_SECONDS_ENV = "HYBRIDSTACK_LAMBDA_QUEUE_SECONDS"
SCRATCH_PREFIX = "ministack-lambda-"  # upstream's tempfile.mkdtemp prefix for a worker
PENDING_SECONDS_ENV = "HYBRIDSTACK_LAMBDA_PENDING_SECONDS"
DEFAULT_PENDING_SECONDS = "0.05"  # how long a created or updated function stays Pending
LAYER_CACHE = "hybridstack-lambda-layers"  # one extraction per layer, shared by its workers
LIVE_WORKERS_PER_SLOT = 2  # live workers: one running and one idle per slot of the limit

# Set while an invocation runs on behalf of an asynchronous event or an SQS batch: it waits.
_background = contextvars.ContextVar("hybridstack_background_invocation", default=False)


class _Waiter:
    def __init__(self, key: str, reserved: int | None, background: bool) -> None:
        self.key = key
        self.reserved = reserved
        self.background = background
        self.granted = False
        self.event = threading.Event()


class ExecutionSlots:
    """Invocations in flight, per function and in total; excess ones wait in arrival order,
    synchronous ones first, and background ones never take the last free slot (with the limit
    at 1 they may), so a queue's batches cannot hold off an API call.

    Example:
        slots = ExecutionSlots(limit=4)
        refused = slots.acquire("acct:region:fn", reserved=None, patience=10.0)  # None: got one
        slots.release("acct:region:fn")
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit  # 0: no account limit
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._total = 0
        self._background_total = 0
        self._waiting: list[_Waiter] = []

    def _fits(self, waiter: _Waiter) -> bool:
        if waiter.reserved is not None and self._in_flight.get(waiter.key, 0) >= waiter.reserved:
            return False
        if not self.limit:
            return True
        if waiter.background and self.limit > 1 and self._background_total >= self.limit - 1:
            return False
        return self._total < self.limit

    def acquire(
        self, key: str, reserved: int | None, patience: float | None, background: bool = False
    ) -> str | None:
        """Take a slot, waiting up to ``patience`` seconds (None: until one frees); the limit
        that refused it (``"function"`` or ``"account"``) or None. Release it with the same
        ``key`` and ``background``."""
        with self._lock:
            if reserved == 0:
                return "function"  # a function with no concurrency is never run, as on AWS
            waiter = _Waiter(key, reserved, background)
            self._waiting.append(waiter)
            self._grant()
            if waiter.granted:
                return None
        waiter.event.wait(patience)
        with self._lock:
            if waiter.granted:
                return None
            self._waiting.remove(waiter)
            self._grant()  # a waiter blocked behind this one may fit now
            if reserved is not None and self._in_flight.get(key, 0) >= reserved:
                return "function"
            return "account"

    def release(self, key: str, background: bool = False) -> None:
        with self._lock:
            remaining = self._in_flight.get(key, 0) - 1
            if remaining > 0:
                self._in_flight[key] = remaining
            else:
                self._in_flight.pop(key, None)
            self._total = max(0, self._total - 1)
            if background:
                self._background_total = max(0, self._background_total - 1)
            self._grant()

    def _grant(self) -> None:
        """Hand free slots to waiters, synchronous ones first, each kind in arrival order; one
        that does not fit (its function at its reserved concurrency) holds up no other."""
        for waiter in sorted(self._waiting, key=lambda w: w.background):  # stable: keeps order
            if self.limit and self._total >= self.limit:
                return
            if self._fits(waiter):
                self._in_flight[waiter.key] = self._in_flight.get(waiter.key, 0) + 1
                self._total += 1
                self._background_total += waiter.background
                waiter.granted = True
                self._waiting.remove(waiter)
                waiter.event.set()

    def in_flight(self) -> tuple[int, dict[str, int]]:
        with self._lock:
            return self._total, dict(self._in_flight)


def patch_execution_slots(lambda_svc: Any, queue_seconds: float) -> ExecutionSlots:
    """Replace upstream's never-waiting slot accounting with :class:`ExecutionSlots`."""
    slots = ExecutionSlots(int(lambda_svc._ACCOUNT_CONCURRENCY_CAP))

    def acquire(func: dict, config: dict) -> tuple[tuple[str, bool] | None, str | None]:
        key = lambda_svc._inflight_key(config)
        reserved = lambda_svc._reserved_concurrency(func, config)
        background = _background.get()
        patience = None if background else queue_seconds
        refused = slots.acquire(key, reserved, patience, background)
        return (None, refused) if refused else ((key, background), None)

    def release(slot: tuple[str, bool] | None) -> None:
        if slot is not None:
            slots.release(*slot)

    lambda_svc._acquire_execution_slot = acquire
    lambda_svc._release_execution_slot = release
    lambda_svc.executions_in_flight = slots.in_flight
    lambda_svc.invoke_async_with_retry = _in_background(lambda_svc.invoke_async_with_retry)
    lambda_svc._run_sqs_batch = _in_background(lambda_svc._run_sqs_batch)
    return slots


def _in_background(function: Any) -> Any:
    """``function`` with its invocations marked background (upstream's async helper copies the
    context into the thread it starts, so the mark travels with it)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _background.set(True)
        try:
            return function(*args, **kwargs)
        finally:
            _background.reset(token)

    return wrapper


def patch_environment_bound(lambda_runtime: Any, lambda_svc: Any, limit: int) -> None:
    """Lease workers as upstream's ``acquire_worker`` does, but keep the live workers of all
    functions within ``limit`` by retiring the least recently used idle one first."""

    def acquire_worker(
        func_name: str,
        config: dict,
        code_zip: bytes,
        qualifier: str = "$LATEST",
        max_concurrency: int | None = None,
    ) -> tuple[Any, str]:
        key = lambda_runtime._worker_key(func_name, config, qualifier)
        retired = None
        with lambda_runtime._lock:
            pools = lambda_runtime._workers
            entries = pools.setdefault(key, [])
            for worker in entries:
                if not worker.in_use:
                    worker.in_use = True
                    worker.last_used = time.time()
                    return worker, "reused"
            if max_concurrency and len(entries) >= max_concurrency:
                return None, "func_cap"
            live = [(k, w) for k, pool in pools.items() for w in pool]
            idle = [(k, w) for k, w in live if not w.in_use]
            if limit and len(live) >= limit and idle:
                retired_key, retired = min(idle, key=lambda item: item[1].last_used)
                pools[retired_key].remove(retired)
            worker = lambda_runtime._worker_class_for(config)(func_name, config, code_zip)
            worker.in_use = True
            worker.last_used = time.time()
            entries.append(worker)
        if retired is not None:
            lambda_runtime.kill_workers([retired])
        return worker, "spawn"

    lambda_runtime.acquire_worker = acquire_worker
    lambda_svc.acquire_worker = acquire_worker


# A worker removes its own folder when it leaves its loop because its stdin closed (MiniStack
# died); when MiniStack stops a worker, MiniStack removes the folder.
_WORKER_PROLOGUE = (
    "import atexit as _hs_atexit, os as _hs_os, shutil as _hs_shutil\n"
    "_hs_atexit.register(_hs_shutil.rmtree, "
    "_hs_os.path.dirname(_hs_os.path.abspath(__file__)), True)\n"
)


def patch_scratch_folders(lambda_runtime: Any) -> None:
    """Remove a worker's folder whenever its process ends."""
    lambda_runtime._PYTHON_WORKER_SCRIPT = _WORKER_PROLOGUE + lambda_runtime._PYTHON_WORKER_SCRIPT
    invoke = lambda_runtime.Worker.invoke

    @functools.wraps(invoke)
    def invoke_then_tidy(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return invoke(self, *args, **kwargs)
        finally:
            if self._proc is None:  # a timeout or a handler error ended the process
                self._discard_tmpdir()

    lambda_runtime.Worker.invoke = invoke_then_tidy


def remove_scratch_folders(lambda_runtime: Any | None = None) -> None:
    """Stop every worker (upstream's reset removes their folders), then remove any folder left
    in the temporary directory (a killed run's)."""
    if lambda_runtime is not None:
        lambda_runtime.reset()
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), f"{SCRATCH_PREFIX}*")):
        shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(os.path.join(tempfile.gettempdir(), LAYER_CACHE), ignore_errors=True)


def _layer_zip(path: str) -> bool:
    """Whether ``path`` is the copy of a layer upstream writes into a worker's folder to unzip."""
    folder, name = os.path.split(path)
    return (
        os.path.basename(folder).startswith(SCRATCH_PREFIX)
        and name.startswith("layer_")
        and name.endswith(".zip")
    )


def _digest(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


class SharedLayerZipFile(zipfile.ZipFile):
    """``zipfile.ZipFile`` for MiniStack's Lambda runtime: a layer's ``extractall`` into a
    worker's folder becomes a link to one shared, content-addressed extraction."""

    def extractall(self, path: Any = None, members: Any = None, pwd: Any = None) -> None:
        source = str(self.filename or "")
        if path is None or members is not None or pwd is not None or not _layer_zip(source):
            super().extractall(path, members, pwd)
            return
        shared = os.path.join(tempfile.gettempdir(), LAYER_CACHE, _digest(source))
        if not os.path.isdir(shared):
            partial = f"{shared}.{os.getpid()}.{threading.get_ident()}.partial"
            super().extractall(partial)
            try:
                os.rename(partial, shared)
            except OSError:  # another worker of the same layer finished first
                shutil.rmtree(partial, ignore_errors=True)
        os.rmdir(path)  # upstream made it empty, to unzip into
        os.symlink(shared, path, target_is_directory=True)
        os.unlink(source)  # its copy of the zip is not read again


def patch_shared_layers(lambda_runtime: Any) -> None:
    """Unzip each layer once for every worker that uses it, not once per worker."""
    shim = types.SimpleNamespace(**vars(zipfile))
    shim.ZipFile = SharedLayerZipFile
    lambda_runtime.zipfile = shim


def _claims(token: str) -> dict[str, Any] | None:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def patch_jwt_expiry(apigateway: Any) -> None:
    """Refuse (401) a JWT whose ``exp`` is missing or not a number, before upstream's checks."""
    validate = apigateway._validate_jwt_authorizer

    @functools.wraps(validate)
    async def validate_with_exp(
        route: dict, authorizer: dict, headers: dict, query_params: dict
    ) -> Any:
        token = apigateway._extract_token_from_identity_source(
            authorizer.get("identitySource", []), headers, query_params
        )
        claims = _claims(token) if token else None
        if claims is not None:
            exp = claims.get("exp")
            if isinstance(exp, bool) or not isinstance(exp, (int, float)):
                return None, None, apigateway._jwt_unauthorized()
        return await validate(route, authorizer, headers, query_params)

    apigateway._validate_jwt_authorizer = validate_with_exp


def apply() -> None:
    """Apply every patch to the imported MiniStack modules."""
    from ministack.core import lambda_runtime
    from ministack.services import apigateway, lambda_svc

    queue_seconds = float(os.environ.get(QUEUE_SECONDS_ENV, "0"))
    slots = patch_execution_slots(lambda_svc, queue_seconds)
    patch_environment_bound(lambda_runtime, lambda_svc, LIVE_WORKERS_PER_SLOT * slots.limit)
    patch_scratch_folders(lambda_runtime)
    patch_shared_layers(lambda_runtime)
    patch_jwt_expiry(apigateway)
    lambda_svc._LAMBDA_STATE_TRANSITION_DELAY = float(
        os.environ.get(PENDING_SECONDS_ENV, DEFAULT_PENDING_SECONDS)
    )


def main() -> None:
    remove_scratch_folders()  # a killed run's
    apply()
    from ministack.app import main as serve
    from ministack.core import lambda_runtime

    try:
        serve()
    finally:
        remove_scratch_folders(lambda_runtime)


if __name__ == "__main__":
    main()
