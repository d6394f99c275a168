"""An AWS emulator known only by its HTTP health and reset paths (LocalStack-compatible).

The process backend runs MiniStack (:mod:`~hybridstack.emulators.runtime.ministack`); the
containers backend may run a published image instead (MiniStack, Floci, LocalStack: see
:mod:`~hybridstack.emulators.runtime.containers.upstream`), and the external backend may find a
user's own LocalStack. Those are this :class:`~hybridstack.emulators.runtime.emulator.Emulator`,
handed to :mod:`~hybridstack.emulators.runtime.operations` in place of the table's ``aws``.

Example:
    aws = CompatibleAws(health_paths=("/_localstack/health",), reset_paths=())
    health_of(endpoints, replacing={"aws": aws})
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from hybridstack.emulators.runtime.emulators import emulator

TIMEOUT = 5.0
RESET_TIMEOUT = 30.0
MINISTACK_HEALTH = "/_ministack/health"
LOCALSTACK_HEALTH = "/_localstack/health"
MINISTACK_RESET = "/_ministack/reset"
LOCALSTACK_RESET = "/_localstack/state/reset"


@dataclass(frozen=True)
class CompatibleAws:
    """An AWS emulator answering ``health_paths`` (any one) and wiped by ``reset_paths`` (the
    first that accepts; none: it cannot be wiped without a restart)."""

    health_paths: tuple[str, ...] = (MINISTACK_HEALTH, LOCALSTACK_HEALTH)
    reset_paths: tuple[str, ...] = (MINISTACK_RESET, LOCALSTACK_RESET)
    label: str = "AWS emulator"
    """How errors name it (``the upstream floci image``)."""

    @property
    def name(self) -> str:
        return "aws"

    @property
    def variables(self) -> tuple[str, ...]:
        return emulator("aws").variables

    @property
    def holds_data(self) -> bool:
        return True  # one that cannot be wiped says so in reset()

    def health(self, address: str) -> bool:
        for path in self.health_paths:
            try:
                if requests.get(f"{address.rstrip('/')}{path}", timeout=TIMEOUT).ok:
                    return True
            except requests.RequestException:
                continue
        return False

    def reset(self, address: str, project_id: str) -> None:
        del project_id  # one account, no projects
        if not self.reset_paths:
            raise NotImplementedError(
                f"the {self.label} has no known way to wipe its state without a restart; "
                "restart the cloud, or use aws_emulator='ministack'"
            )
        base = address.rstrip("/")
        for path in self.reset_paths:
            if requests.post(f"{base}{path}", timeout=RESET_TIMEOUT).ok:
                return
        raise RuntimeError(
            f"the {self.label} at {base} offers no reset endpoint "
            f"(tried {', '.join(self.reset_paths)})"
        )
