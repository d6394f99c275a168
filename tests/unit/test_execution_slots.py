"""The slot accounting patched into MiniStack: invocations past a limit wait in arrival order,
then are refused naming the limit (``emulators/runtime/aws/ministack_patches.py``)."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from hybridstack.emulators.runtime.aws.ministack_patches import ExecutionSlots

POOL = ThreadPoolExecutor(4)


def _waiting(slots: ExecutionSlots, key: str, reserved: int | None = None) -> Future[str | None]:
    """An acquire that waits as long as it takes, started on another thread."""
    return POOL.submit(slots.acquire, key, reserved, None)


def _wait_until_queued(slots: ExecutionSlots, count: int) -> None:
    while len(slots._waiting) < count:
        threading.Event().wait(0.01)


def test_invocations_within_the_limit_run_and_the_next_one_is_refused_after_its_wait():
    slots = ExecutionSlots(limit=2)

    assert slots.acquire("f", None, 0) is None
    assert slots.acquire("g", None, 0) is None
    assert slots.acquire("f", None, 0) == "account"
    assert slots.in_flight() == (2, {"f": 1, "g": 1})


def test_reserved_concurrency_refuses_with_the_function_limit():
    slots = ExecutionSlots(limit=10)

    assert slots.acquire("f", 1, 0) is None
    assert slots.acquire("f", 1, 0) == "function"
    assert slots.acquire("off", 0, None) == "function"  # reserved 0: never run, never waits
    assert slots.acquire("g", 1, 0) is None


def test_a_waiting_invocation_gets_the_slot_a_finished_one_frees():
    slots = ExecutionSlots(limit=1)
    assert slots.acquire("f", None, 0) is None
    queued = _waiting(slots, "f")
    _wait_until_queued(slots, 1)

    slots.release("f")

    assert queued.result(timeout=30) is None
    assert slots.in_flight() == (1, {"f": 1})


def test_slots_go_in_arrival_order_skipping_a_function_at_its_reserved_limit():
    slots = ExecutionSlots(limit=2)
    assert slots.acquire("capped", 1, 0) is None
    assert slots.acquire("other", None, 0) is None
    capped = _waiting(slots, "capped", reserved=1)
    _wait_until_queued(slots, 1)
    first = _waiting(slots, "first")
    _wait_until_queued(slots, 2)

    slots.release("other")  # "capped" is still at its limit: "first" may go
    assert first.result(timeout=30) is None
    slots.release("capped")

    assert capped.result(timeout=30) is None
    assert slots.in_flight() == (2, {"first": 1, "capped": 1})


def test_a_synchronous_invocation_goes_before_earlier_background_ones():
    slots = ExecutionSlots(limit=2)
    assert slots.acquire("api", None, 0) is None
    assert slots.acquire("queue", None, None, background=True) is None
    batch = POOL.submit(slots.acquire, "queue", None, None, True)
    _wait_until_queued(slots, 1)
    call = _waiting(slots, "api")
    _wait_until_queued(slots, 2)

    slots.release("api")

    assert call.result(timeout=30) is None
    assert not batch.done()
    slots.release("queue", background=True)
    assert batch.result(timeout=30) is None


def test_background_invocations_leave_the_last_slot_to_synchronous_ones():
    slots = ExecutionSlots(limit=3)
    assert slots.acquire("queue", None, None, background=True) is None
    assert slots.acquire("queue", None, None, background=True) is None

    assert slots.acquire("queue", None, 0, background=True) == "account"
    assert slots.acquire("api", None, 0) is None


def test_no_limit_means_nothing_waits():
    slots = ExecutionSlots(limit=0)

    assert all(slots.acquire("f", None, 0) is None for _ in range(50))
