"""An emulator set somebody else runs (``--local-cloud=external``), found through the environment.

The variables are the ones :meth:`LocalCloudEndpoints.environment` exports (``AWS_ENDPOINT_URL``
or ``LOCALSTACK_HOST``, ``FIRESTORE_EMULATOR_HOST``, ...), so ``eval "$(hybridstack local env)"``
or a user's own LocalStack both work. Starting and stopping do nothing; :meth:`reset` and
:meth:`health` are the other backends' (:mod:`~hybridstack.emulators.runtime.operations`), the
AWS emulator reached through MiniStack's or LocalStack's endpoints, so tests see an empty cloud as
they do with the other backends.

Example:
    cloud = ExternalCloud.from_environment(os.environ)
    cloud.start()
    cloud.reset()   # {"aws": 0.02, "firestore": 0.01, ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from hybridstack.emulators.runtime.aws_compatible import CompatibleAws
from hybridstack.emulators.runtime.emulators import SERVICES
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.lifecycle import StartedInWith
from hybridstack.emulators.runtime.operations import address_of, health_of, reset_services

ANY_AWS = CompatibleAws()
"""Whatever AWS emulator runs there: MiniStack or a LocalStack (either's health and reset)."""


class ExternalCloudError(RuntimeError):
    """An external emulator could not be reached or wiped."""


class ExternalCloud(StartedInWith):
    """The LocalCloud interface over emulators that are already running.

    Example:
        cloud = ExternalCloud(LocalCloudEndpoints(aws="http://127.0.0.1:4566"))
        cloud.reset()     # {"aws": 0.01}: the LocalStack/MiniStack there is empty again
    """

    def __init__(self, endpoints: LocalCloudEndpoints):
        self.endpoints = endpoints
        self.start_seconds: dict[str, float] = {}

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ExternalCloud:
        return cls(LocalCloudEndpoints.from_environment(env))

    def start(self, progress: Any = None) -> LocalCloudEndpoints:
        return self.endpoints

    def stop(self) -> None:
        """Nothing to stop: somebody else runs these emulators."""

    def running(self) -> list[str]:
        """The emulators the environment gives an address."""
        return [name for name in SERVICES if address_of(self.endpoints, name)]

    def reset(self) -> dict[str, float]:
        """Wipe the data of every emulator; returns the seconds each took."""
        try:
            return reset_services(self.endpoints, replacing={"aws": ANY_AWS})
        except (requests.RequestException, RuntimeError) as error:
            raise ExternalCloudError(f"an external emulator could not be wiped: {error}") from error

    def health(self) -> dict[str, bool]:
        """Each emulator the environment names -> whether it answers."""
        return health_of(self.endpoints, replacing={"aws": ANY_AWS})
