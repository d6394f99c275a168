"""Readiness checks and wipes for each emulator, by address, whatever runs it.

Each check is a request that works (not an open port); each wipe empties the emulator without a
restart. Used by :class:`~hybridstack.emulators.containers.cloud.ContainerCloud` against its
containers.

Example:
    if HEALTH["firestore"]("127.0.0.1:8080"):
        RESET["firestore"]("127.0.0.1:8080", "demo-hybridstack")
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import requests

TIMEOUT = (1.0, 10.0)  # connect, read
_session = requests.Session()


def http_ok(url: str) -> bool:
    """True when ``url`` answers 2xx."""
    try:
        return _session.get(url, timeout=TIMEOUT).ok
    except requests.RequestException:
        return False


def _checked(response: requests.Response, what: str) -> requests.Response:
    if not response.ok:
        raise RuntimeError(f"{what} failed: HTTP {response.status_code} {response.text[:200]}")
    return response


# ---------------------------------------------------------------- AWS (MiniStack)


def aws_health(address: str) -> bool:
    return http_ok(f"http://{address}/_ministack/health")


def aws_reset(address: str, project_id: str) -> None:
    response = _session.post(f"http://{address}/_ministack/reset", timeout=TIMEOUT)
    _checked(response, "MiniStack reset")


# ---------------------------------------------------------------- Firebase Auth


def auth_health(address: str) -> bool:
    return http_ok(f"http://{address}/")


def auth_reset(address: str, project_id: str) -> None:
    url = f"http://{address}/emulator/v1/projects/{project_id}/accounts"
    _checked(_session.delete(url, timeout=TIMEOUT), "Auth emulator reset")


# ---------------------------------------------------------------- Firestore


def firestore_health(address: str) -> bool:
    return http_ok(f"http://{address}/")


def firestore_reset(address: str, project_id: str) -> None:
    url = f"http://{address}/emulator/v1/projects/{project_id}/databases/(default)/documents"
    _checked(_session.delete(url, timeout=TIMEOUT), "Firestore emulator reset")


# ---------------------------------------------------------------- Pub/Sub


def pubsub_health(address: str) -> bool:
    return http_ok(f"http://{address}/")


def pubsub_reset(address: str, project_id: str) -> None:
    """Delete every subscription, then every topic, of the project (REST API of the emulator)."""
    base = f"http://{address}/v1/projects/{project_id}"
    for kind, key in (("subscriptions", "subscriptions"), ("topics", "topics")):
        page = ""
        while True:
            response = _checked(
                _session.get(f"{base}/{kind}", params={"pageToken": page}, timeout=TIMEOUT),
                f"Pub/Sub list {kind}",
            ).json()
            for item in response.get(key, []):
                name = item["name"] if isinstance(item, dict) else item
                _session.delete(f"http://{address}/v1/{name}", timeout=TIMEOUT)
            page = response.get("nextPageToken", "")
            if not page:
                break


# ---------------------------------------------------------------- Storage (fake-gcs-server)


def storage_health(address: str) -> bool:
    return http_ok(f"http://{address}/storage/v1/b")


def storage_reset(address: str, project_id: str) -> None:
    """Delete every object of every bucket, then the buckets."""
    base = f"http://{address}/storage/v1/b"
    buckets = _checked(_session.get(base, timeout=TIMEOUT), "Storage list buckets").json()
    for bucket in buckets.get("items", []):
        name = quote(bucket["name"], safe="")
        page = ""
        while True:
            listing = _checked(
                _session.get(f"{base}/{name}/o", params={"pageToken": page}, timeout=TIMEOUT),
                f"Storage list objects of {bucket['name']}",
            ).json()
            for item in listing.get("items", []):
                _session.delete(f"{base}/{name}/o/{quote(item['name'], safe='')}", timeout=TIMEOUT)
            page = listing.get("nextPageToken", "")
            if not page:
                break
        _checked(_session.delete(f"{base}/{name}", timeout=TIMEOUT), f"Storage delete {name}")


HEALTH: dict[str, Callable[[str], bool]] = {
    "aws": aws_health,
    "auth": auth_health,
    "firestore": firestore_health,
    "pubsub": pubsub_health,
    "storage": storage_health,
}
RESET: dict[str, Callable[[str, str], None]] = {
    "aws": aws_reset,
    "auth": auth_reset,
    "firestore": firestore_reset,
    "pubsub": pubsub_reset,
    "storage": storage_reset,
}
