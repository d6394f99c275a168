"""Whether this process talks to emulators, and the guard that keeps emulator trust local.

The Firebase Auth emulator issues unsigned tokens, and firebase-admin accepts any token while
``FIREBASE_AUTH_EMULATOR_HOST`` is set. :func:`check_auth_emulator_is_local` accepts that
variable only on an explicitly local stack: ``HYBRIDSTACK_ENV=local`` (unset is refused: a
process that does not say where it runs is not trusted), a loopback host (``127.0.0.0/8``,
``::1``, ``localhost``; no ``host.docker.internal`` or any other name), and, in a Lambda, an AWS
endpoint that is an emulator on a loopback host. The local cloud's functions get
``HYBRIDSTACK_ENV`` from the program (``reference_platform/program.py``) and loopback hosts from
``LocalCloudEndpoints`` (the containers backend publishes every port on 127.0.0.1 too).

Example:
    check_auth_emulator_is_local()      # raises UnsafeEmulatorSettingError on a cloud stack
    if using_emulator("FIRESTORE_EMULATOR_HOST"): ...
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

LOCAL_ENV = "local"
"""The only ``HYBRIDSTACK_ENV`` on which emulator trust is allowed."""


class UnsafeEmulatorSettingError(RuntimeError):
    """An emulator variable reached a process that is not part of a local stack."""


def host_of(address: str) -> str:
    """``127.0.0.1`` from ``127.0.0.1:9099`` or ``http://127.0.0.1:4443``."""
    parsed = urlsplit(address if "://" in address else f"//{address}")
    return parsed.hostname or ""


def is_loopback(host: str) -> bool:
    """``localhost``, ``::1`` or an address in ``127.0.0.0/8``; no other name or address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def using_emulator(variable: str, env: Mapping[str, str] | None = None) -> bool:
    """True when ``variable`` (``FIRESTORE_EMULATOR_HOST`` ...) is set."""
    return bool((env if env is not None else os.environ).get(variable))


def check_auth_emulator_is_local(env: Mapping[str, str] | None = None) -> None:
    """Refuse ``FIREBASE_AUTH_EMULATOR_HOST`` outside a local stack (unsigned tokens!)."""
    source = env if env is not None else os.environ
    address = source.get("FIREBASE_AUTH_EMULATOR_HOST")
    if not address:
        return
    if not is_loopback(host_of(address)):
        raise UnsafeEmulatorSettingError(
            f"FIREBASE_AUTH_EMULATOR_HOST={address} is not a loopback address (127.0.0.0/8, ::1, "
            "localhost): the Auth emulator accepts unsigned tokens, so it may only run next to "
            "a local stack"
        )
    stack = source.get("HYBRIDSTACK_ENV")
    if stack != LOCAL_ENV:
        where = f"on the {stack!r} stack" if stack else "while HYBRIDSTACK_ENV is not set"
        raise UnsafeEmulatorSettingError(
            f"FIREBASE_AUTH_EMULATOR_HOST is set {where}: only a stack that says "
            f"HYBRIDSTACK_ENV={LOCAL_ENV} may trust the Auth emulator's unsigned tokens"
        )
    if source.get("AWS_LAMBDA_FUNCTION_NAME"):
        endpoint = source.get("AWS_ENDPOINT_URL", "")
        if not is_loopback(host_of(endpoint)):
            raise UnsafeEmulatorSettingError(
                "FIREBASE_AUTH_EMULATOR_HOST is set in a Lambda that runs on real AWS "
                "(AWS_ENDPOINT_URL is not an emulator): unset it"
            )
