"""Health and reset of a running local cloud, written once over the emulator table.

Every backend (processes, containers, an external set) and ``hybridstack local status`` /
``local reset`` go through these two functions, with the emulators of
:mod:`~hybridstack.emulators.runtime.emulators`; a backend whose AWS emulator is another one
(an upstream image, a user's LocalStack) passes its own :class:`Emulator` for ``aws`` in
``replacing``. A Pub/Sub wipe also deletes the Storage events topic, so :func:`reset_services`
re-creates it (:func:`recreate_event_topic`): Storage events keep flowing after each reset.

Example:
    health_of(cloud.endpoints)                      # {"aws": True, "firestore": True, ...}
    reset_services(cloud.endpoints, storage_events=cloud.storage_events)  # {"aws": 0.02, ...}
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from hybridstack.emulators.runtime.emulator import Emulator
from hybridstack.emulators.runtime.emulators import SERVICES, emulator
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints
from hybridstack.emulators.runtime.storage import StorageEvents


def address_of(endpoints: LocalCloudEndpoints, service: str) -> str | None:
    """Where ``service`` listens according to ``endpoints`` (``None``: it is not running)."""
    value = getattr(endpoints, service)
    return value if isinstance(value, str) else None


def _chosen(service: str, replacing: Mapping[str, Emulator] | None) -> Emulator:
    return (replacing or {}).get(service) or emulator(service)


def health_of(
    endpoints: LocalCloudEndpoints,
    names: Iterable[str] = SERVICES,
    *,
    replacing: Mapping[str, Emulator] | None = None,
) -> dict[str, bool]:
    """Each of ``names`` the endpoints give an address -> whether it answers (in parallel).

    ``names`` are the emulators a user chooses by default; ``STATUS_ROWS`` adds the issuer.
    """
    services = [service for service in names if address_of(endpoints, service)]
    with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
        futures = {
            service: pool.submit(
                _chosen(service, replacing).health, str(address_of(endpoints, service))
            )
            for service in services
        }
    return {service: future.result() for service, future in futures.items()}


def reset_services(
    endpoints: LocalCloudEndpoints,
    services: Iterable[str] | None = None,
    *,
    storage_events: StorageEvents | None = None,
    replacing: Mapping[str, Emulator] | None = None,
) -> dict[str, float]:
    """Wipe each running emulator's data without restarting, in parallel; seconds per emulator.

    The topic of ``storage_events`` is re-created after the Pub/Sub wipe, so Storage events keep
    flowing.
    """
    chosen = [
        service
        for service in (services or SERVICES)
        if address_of(endpoints, service) and _chosen(service, replacing).holds_data
    ]

    def run(service: str) -> float:
        started = time.perf_counter()
        address = str(address_of(endpoints, service))
        _chosen(service, replacing).reset(address, endpoints.project_id)
        if service == "pubsub" and storage_events:
            recreate_event_topic(address, storage_events.project_id, storage_events.topic)
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=max(1, len(chosen))) as pool:
        futures = {service: pool.submit(run, service) for service in chosen}
    return {service: future.result() for service, future in futures.items()}


def recreate_event_topic(pubsub_address: str, project_id: str, topic: str) -> None:
    """Make the Storage events topic exist again after Pub/Sub lost it (a wipe, a restart):
    fake-gcs-server publishes to it by name and drops events while it is missing."""
    from hybridstack.emulators.runtime import pubsub

    pubsub.ensure_topic(pubsub_address, project_id, topic)
