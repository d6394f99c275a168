"""Whether this process talks to emulators, and the guard that keeps emulator trust local.

The Firebase Auth emulator issues unsigned tokens, and firebase-admin accepts any token while
``FIREBASE_AUTH_EMULATOR_HOST`` is set. :func:`check_auth_emulator_is_local` refuses that
variable anywhere but a local stack: on a non-loopback host, on a stack whose
``HYBRIDSTACK_ENV`` is not ``local``, or in a Lambda whose AWS endpoint is not an emulator.

Example:
    check_auth_emulator_is_local()      # raises UnsafeEmulatorSettingError on a cloud stack
    if using_emulator("FIRESTORE_EMULATOR_HOST"): ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class UnsafeEmulatorSettingError(RuntimeError):
    """An emulator variable reached a process that is not part of a local stack."""


def host_of(address: str) -> str:
    """``127.0.0.1`` from ``127.0.0.1:9099`` or ``http://127.0.0.1:4443``."""
    parsed = urlsplit(address if "://" in address else f"//{address}")
    return parsed.hostname or ""


def using_emulator(variable: str, env: Mapping[str, str] | None = None) -> bool:
    """True when ``variable`` (``FIRESTORE_EMULATOR_HOST`` ...) is set."""
    return bool((env if env is not None else os.environ).get(variable))


def check_auth_emulator_is_local(env: Mapping[str, str] | None = None) -> None:
    """Refuse ``FIREBASE_AUTH_EMULATOR_HOST`` outside a local stack (unsigned tokens!)."""
    source = env if env is not None else os.environ
    address = source.get("FIREBASE_AUTH_EMULATOR_HOST")
    if not address:
        return
    if host_of(address) not in LOOPBACK_HOSTS and not address.startswith("host.docker"):
        raise UnsafeEmulatorSettingError(
            f"FIREBASE_AUTH_EMULATOR_HOST={address} is not a loopback address: the Auth emulator "
            "accepts unsigned tokens, so it may only run next to a local stack"
        )
    stack = source.get("HYBRIDSTACK_ENV")
    if stack and stack != "local":
        raise UnsafeEmulatorSettingError(
            f"FIREBASE_AUTH_EMULATOR_HOST is set on the {stack!r} stack: unset it; only the "
            "local stack may trust the Auth emulator's unsigned tokens"
        )
    if source.get("AWS_LAMBDA_FUNCTION_NAME"):
        endpoint = source.get("AWS_ENDPOINT_URL", "")
        if host_of(endpoint) not in LOOPBACK_HOSTS:
            raise UnsafeEmulatorSettingError(
                "FIREBASE_AUTH_EMULATOR_HOST is set in a Lambda that runs on real AWS "
                "(AWS_ENDPOINT_URL is not an emulator): unset it"
            )
