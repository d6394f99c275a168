"""Turning Pulumi's wire inputs (camelCase, floats, secret markers) into AWS/GCP API shapes.

Mock inputs arrive as the provider would receive them: camelCase property names, every number a
float, secrets wrapped in a marker dict. The emulators' APIs want PascalCase (AWS) or the
Google JSON names, integers and plain values.

Example:
    pascal({"corsRules": [{"maxAgeSeconds": 3000.0}]}) == {"CorsRules": [{"MaxAgeSeconds": 3000}]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"

# AWS members whose PascalCase spelling is not the plain capitalisation.
_SPECIAL = {"id": "ID", "kmsMasterKeyId": "KMSMasterKeyID", "sseAlgorithm": "SSEAlgorithm"}


def unwrap_secrets(value: Any) -> Any:
    """Secret inputs arrive as ``{sig: ..., value: ...}``; the emulators get the plain value."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def integral(value: Any) -> Any:
    """``3000.0`` -> ``3000`` (everywhere in a nested value); other values unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def pascal_key(key: str) -> str:
    return _SPECIAL.get(key, key[:1].upper() + key[1:])


def pascal(value: Any) -> Any:
    """camelCase keys -> PascalCase keys, integral floats -> ints, recursively (AWS APIs)."""
    if isinstance(value, dict):
        return {pascal_key(k): pascal(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return integral(value)


def given(
    inputs: Mapping[str, Any], *keys: str, shape: Callable[[Any], Any] = str
) -> dict[str, Any]:
    """The optional members of a request: each of ``keys`` the inputs set (not empty), under its
    AWS (PascalCase) name, its value passed through ``shape``.

    Example:
        given({"description": "x", "roleArn": ""}, "description", "roleArn") == {"Description": "x"}
        given({"retryPolicy": {"maximumRetryAttempts": 2.0}}, "retryPolicy", shape=pascal)
            == {"RetryPolicy": {"MaximumRetryAttempts": 2}}
    """
    return {pascal_key(key): shape(inputs[key]) for key in keys if inputs.get(key)}


def tags_list(tags: Any) -> list[dict[str, str]]:
    """``{"k": "v"}`` -> ``[{"Key": "k", "Value": "v"}]`` (IAM, SQS-less APIs)."""
    return [{"Key": str(k), "Value": str(v)} for k, v in dict(tags or {}).items()]


def seconds(duration: Any) -> int | None:
    """Google durations (``"600s"``) -> seconds."""
    if duration in (None, ""):
        return None
    return int(float(str(duration).rstrip("s")))
