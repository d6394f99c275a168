"""The table of the local cloud's emulators: every service, listed once.

The process backend (:mod:`~hybridstack.emulators.runtime.local_cloud`), the containers backend
(:mod:`~hybridstack.emulators.runtime.containers.cloud`), the external backend
(:mod:`~hybridstack.emulators.runtime.external`), the endpoints' environment
(:mod:`~hybridstack.emulators.runtime.endpoints`), the CLI and the pytest plugin all read it;
health and reset over it are :mod:`~hybridstack.emulators.runtime.operations`. Each row's module is
imported only when the emulator is used (:class:`~hybridstack.emulators.runtime.emulator.
ModuleEmulator`). A new emulator is one module with the common roles and one row here.

Example:
    emulator("firestore").health("127.0.0.1:8080")
    SERVICES           # ("aws", "auth", "functions", "firestore", "pubsub", "storage")
    DEFAULT_SERVICES   # all but functions (it needs a codebase)
"""

from __future__ import annotations

from hybridstack.emulators.runtime.emulator import ModuleEmulator

EMULATORS: tuple[ModuleEmulator, ...] = (
    ModuleEmulator(
        "aws", "ministack", variables=("AWS_ENDPOINT_URL", "LOCALSTACK_HOST", "EDGE_PORT")
    ),
    ModuleEmulator(
        "auth",
        "firebase_tools",
        variables=("FIREBASE_AUTH_EMULATOR_HOST",),
        process="firebase",
        health_function="health_auth",
        reset_function="reset_auth",
    ),
    ModuleEmulator(
        "functions",
        "firebase_tools",
        variables=("FUNCTIONS_EMULATOR_HOST",),
        process="firebase",
        health_function="health_functions",
        reset_function=None,  # it runs code; it holds no data
        default=False,  # it needs a codebase
        in_containers=False,  # it runs the user's code base: processes only
    ),
    ModuleEmulator("firestore", "firestore", variables=("FIRESTORE_EMULATOR_HOST",)),
    ModuleEmulator("pubsub", "pubsub", variables=("PUBSUB_EMULATOR_HOST",)),
    ModuleEmulator("storage", "storage", variables=("STORAGE_EMULATOR_HOST",)),
    ModuleEmulator(
        "issuer",
        "local_issuer",
        variables=("HYBRIDSTACK_TOKEN_ISSUER",),
        health_function="issuer_health",
        reset_function=None,  # it keeps only its signing key
        default=False,
        choosable=False,  # it runs whenever auth does
        in_containers=False,
    ),
)
"""Every emulator, in the order they are listed and started."""

SERVICES: tuple[str, ...] = tuple(row.name for row in EMULATORS if row.choosable)
"""What a user can ask for (``--services``, ``@pytest.mark.emulators``, ``LocalCloud``)."""
DEFAULT_SERVICES: tuple[str, ...] = tuple(row.name for row in EMULATORS if row.default)
"""What starts when nobody names a service."""
CONTAINER_SERVICES: tuple[str, ...] = tuple(
    row.name for row in EMULATORS if row.choosable and row.in_containers
)
"""What the containers backend runs."""
STATUS_ROWS: tuple[str, ...] = tuple(row.name for row in EMULATORS)
"""What ``hybridstack local status`` reports: the emulators, and the issuer that runs with Auth."""

_BY_NAME = {row.name: row for row in EMULATORS}


def emulator(name: str) -> ModuleEmulator:
    """The row of emulator ``name``; a clear error naming the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"unknown emulator {name!r}; the local cloud has {', '.join(_BY_NAME)}"
        ) from None
