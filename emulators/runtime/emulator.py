"""What one emulator of the local cloud is, as every backend and the pytest plugin see it.

An emulator serves one service (``aws``, ``auth``, ``firestore``, ...): its name is also its
field of :class:`~hybridstack.emulators.runtime.endpoints.LocalCloudEndpoints`, its address is
exported in ``variables``, it answers a health request and wipes its data on ``reset``. The
process backend runs it in the process ``process`` (Auth and Functions share firebase-tools'),
after locating its programs (``check_tools``). Every emulator module has the same roles
(``address``, ``launch``, ``health``, ``reset``, ``check_tools``); :class:`ModuleEmulator` reads
them from the module, imported on first use, so the table
(:mod:`hybridstack.emulators.runtime.emulators`) costs nothing to import.

Example:
    pubsub = ModuleEmulator("pubsub", "pubsub", variables=("PUBSUB_EMULATOR_HOST",))
    pubsub.health("127.0.0.1:8085")                     # imports ...runtime.pubsub here
    pubsub.reset("127.0.0.1:8085", "demo-hybridstack")  # every topic and subscription gone
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

PACKAGE = "hybridstack.emulators.runtime"


class Emulator(Protocol):
    """One emulator: what it serves, how it is checked and wiped, and how it is launched."""

    @property
    def name(self) -> str:
        """The service (``aws``, ``auth``, ...): a field of ``LocalCloudEndpoints``."""
        ...

    @property
    def variables(self) -> tuple[str, ...]:
        """The environment variables that export its address (the first is the main one)."""
        ...

    @property
    def holds_data(self) -> bool:
        """Whether :meth:`reset` has anything to wipe."""
        ...

    def health(self, address: str) -> bool:
        """Whether the emulator at ``address`` answers a real request."""
        ...

    def reset(self, address: str, project_id: str) -> None:
        """Wipe its data without restarting it."""
        ...


@dataclass(frozen=True)
class ModuleEmulator:
    """An :class:`Emulator` whose behaviour is a module of this package (imported on first use).

    Args:
        name: the service, also the ``LocalCloudEndpoints`` field.
        module: the module under ``hybridstack.emulators.runtime`` (``"ministack"``).
        variables: the environment variables that export its address.
        process: the process backend's process that serves it (default: ``name``).
        health_function, reset_function: the module's functions for those roles
            (``reset_function=None``: it holds no data).
        default: started when the user names no service.
        choosable: the user can ask for it (the issuer comes with ``auth`` instead).
        in_containers: the containers backend runs it.
    """

    name: str
    module: str
    variables: tuple[str, ...]
    process: str = ""
    health_function: str = "health"
    reset_function: str | None = "reset"
    default: bool = True
    choosable: bool = True
    in_containers: bool = True

    @property
    def process_name(self) -> str:
        """The process of the process backend that serves this emulator."""
        return self.process or self.name

    @property
    def holds_data(self) -> bool:
        return self.reset_function is not None

    def implementation(self) -> ModuleType:
        """The emulator's module, imported now."""
        return importlib.import_module(f"{PACKAGE}.{self.module}")

    def _function(self, role: str) -> Callable[..., Any]:
        function: Callable[..., Any] = getattr(self.implementation(), role)
        return function

    def address(self, port: int) -> str:
        """Its address on ``127.0.0.1:port``, in the form its clients want."""
        return str(self._function("address")(port))

    def health(self, address: str) -> bool:
        return bool(self._function(self.health_function)(address))

    def reset(self, address: str, project_id: str) -> None:
        if self.reset_function is not None:
            self._function(self.reset_function)(address, project_id)

    def check_tools(self) -> None:
        """Locate the programs the process backend runs it with (a missing one raises, naming
        the command that installs it)."""
        self._function("check_tools")()
