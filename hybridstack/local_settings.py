"""The running local cloud's settings, for a Pulumi program deployed into it (None elsewhere).

A program that must behave differently in the local cloud (trust the local signing issuer
instead of ``securetoken.google.com``, say) asks :func:`local_settings` instead of reading a key of
its own config: the local deploy engine (``hybridstack up``, ``hybridstack deploy``,
``deploy_local_stack``) sets them for every program it runs, in the reserved config namespace
``hybridstack-local`` (:data:`NAMESPACE`), to what the running cloud really got:

    hybridstack-local:issuer      the local OIDC issuer signing Firebase identities (absent when
                                  it is not running), ``http://127.0.0.1:<port>/<project>``
    hybridstack-local:project     the Firebase/GCP project id the emulators run
    hybridstack-local:endpoints   the emulators' addresses, a JSON object: ``aws`` (URL),
                                  ``auth``, ``firestore``, ``pubsub``, ``functions`` (host:port),
                                  ``storage`` (URL); a key per running emulator

Under ``pulumi up`` against AWS and Google (no such keys) :func:`local_settings` is None. For
``pulumi up --stack local`` with the real Pulumi CLI, a stack file may state the same keys
(``Pulumi.local.yaml`` of the reference platform states its issuer's preferred address); a
deploy through the local deploy engine replaces them with the running cloud's.

Example:
    from hybridstack.local_settings import local_settings

    settings = local_settings()
    issuer = settings.issuer if settings and settings.issuer else None
    Identity("identity", {"project": project, **({"issuer": issuer} if issuer else {})})
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

NAMESPACE = "hybridstack-local"
"""The config namespace the local deploy engine writes (and no program should use for itself)."""
ISSUER_KEY = "issuer"
PROJECT_KEY = "project"
ENDPOINTS_KEY = "endpoints"


@dataclass(frozen=True)
class LocalSettings:
    """What the local cloud a program is being deployed into offers.

    Example:
        LocalSettings(issuer="http://127.0.0.1:9399/demo-acme", project="demo-acme",
                      endpoints={"aws": "http://127.0.0.1:4566", "pubsub": "127.0.0.1:8085"})
    """

    project: str
    issuer: str | None = None
    """The local signing issuer an API should trust for Firebase identities, if it runs."""
    endpoints: Mapping[str, str] = field(default_factory=dict)
    """Emulator name -> address, for each emulator that runs."""


def config_values(settings: LocalSettings) -> dict[str, str]:
    """``settings`` as the namespaced config entries the engine sets (JSON-encoded strings)."""
    values = {
        f"{NAMESPACE}:{PROJECT_KEY}": settings.project,
        f"{NAMESPACE}:{ENDPOINTS_KEY}": json.dumps(dict(settings.endpoints), sort_keys=True),
    }
    if settings.issuer:
        values[f"{NAMESPACE}:{ISSUER_KEY}"] = settings.issuer
    return values


def local_settings() -> LocalSettings | None:
    """The local cloud's settings while a program is deployed into it; None otherwise."""
    config = pulumi.Config(NAMESPACE)
    project = config.get(PROJECT_KEY)
    issuer = config.get(ISSUER_KEY)
    if project is None and issuer is None:
        return None
    endpoints = config.get_object(ENDPOINTS_KEY) or {}
    if not isinstance(endpoints, dict):
        raise ValueError(f"{NAMESPACE}:{ENDPOINTS_KEY} must be a JSON object of addresses")
    return LocalSettings(
        project=project or "",
        issuer=issuer,
        endpoints={str(k): str(v) for k, v in endpoints.items()},
    )
