"""What every local cloud backend does in a ``with`` block: start on entry, stop on exit.

The process backend (:class:`~hybridstack.emulators.runtime.local_cloud.LocalCloud`), the
containers backend (:class:`~hybridstack.emulators.runtime.containers.cloud.ContainerCloud`) and
the external one (:class:`~hybridstack.emulators.runtime.external.ExternalCloud`) inherit it;
each says only how it starts and stops.

Example:
    with LocalCloud(services=["aws"]) as cloud:   # cloud.start()
        cloud.reset()
    # cloud.stop(): nothing is left running, even when the block raised
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints


class StartedInWith(ABC):
    """A backend started on entering a ``with`` block and stopped on leaving it.

    Example:
        class Quiet(StartedInWith):
            def start(self) -> LocalCloudEndpoints: return LocalCloudEndpoints()
            def stop(self) -> None: ...
    """

    @abstractmethod
    def start(self) -> LocalCloudEndpoints:
        """Start the emulators; where they answer."""

    @abstractmethod
    def stop(self) -> None:
        """Stop everything :meth:`start` started (idempotent)."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()  # also when the block raised: the exception goes on
