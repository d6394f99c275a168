"""Every component refuses an argument it does not take, naming it, before anything registers.

A typo such as ``{"visiblity_timeout": 30}`` used to pass silently and keep the default. Each
case below is what a new user would mistype; the error must name the typo, suggest the intended
argument, and nothing may be registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hybridstack.components.alerts import Alerts
from hybridstack.components.args import ComponentArgsError
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.firebase_project import FirebaseProject
from hybridstack.components.firebase_uploads import FirebaseUploads
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.identity import Identity
from hybridstack.components.key import Key
from hybridstack.components.media_store import MediaStore
from hybridstack.components.postgres import PostgresCluster
from hybridstack.components.python_layer import PythonLayer
from hybridstack.components.queue import Queue
from hybridstack.components.realtime_store import RealtimeStore
from hybridstack.components.schedule import Schedule
from hybridstack.components.secret import Secret
from hybridstack.components.secure_bucket import SecureBucket
from hybridstack.components.static_site import StaticSite
from hybridstack.components.table import Table
from hybridstack.testing import RecordingMocks, run_under_mocks

HANDLER = "hybridstack.services.api.handler.handle"

CASES: dict[str, tuple[Callable[[dict[str, Any]], object], str, str]] = {
    # component: (build with args, the typo, the argument it should suggest)
    "Queue": (
        lambda args: Queue("jobs", args),
        "visiblity_timeout_seconds",
        "visibility_timeout_seconds",
    ),
    "Function": (lambda args: Function("api", {"handler": HANDLER, **args}), "timout", "timeout"),
    "PythonLayer": (
        lambda args: PythonLayer("deps", args),
        "python_verison",
        "python_version",
    ),
    "Table": (lambda args: Table("data", args), "ttl_atribute", "ttl_attribute"),
    "SecureBucket": (lambda args: SecureBucket("media", args), "versioing", "versioning"),
    "StaticSite": (lambda args: StaticSite("web", args), "domain_name", "domain_names"),
    "HttpApi": (lambda args: HttpApi("api", args), "corss", "cors"),
    "Schedule": (
        lambda args: Schedule("nightly", {"schedule": "rate(1 hour)", **args}),
        "max_retry",
        "max_retries",
    ),
    "Key": (lambda args: Key("tokens", args), "rotation_day", "rotation_days"),
    "Secret": (lambda args: Secret("oauth", args), "recovery_window", "recovery_window_days"),
    "PostgresCluster": (
        lambda args: PostgresCluster("catalog", args),
        "max_capacty",
        "max_capacity",
    ),
    "MediaStore": (
        lambda args: MediaStore("media", {"processing_handler": "app.media.handle", **args}),
        "cors_origin",
        "cors_origins",
    ),
    "FirebaseUploads": (
        lambda args: FirebaseUploads("media", args),
        "max_delivery_attemps",
        "max_delivery_attempts",
    ),
    "CrossCloudAccess": (
        lambda args: CrossCloudAccess("xc", args),
        "trusted_roles",
        "trusted_aws_roles",
    ),
    "Identity": (
        lambda args: Identity("auth", {"project": "acme", **args}),
        "authorised_domains",
        "authorized_domains",
    ),
    "Alerts": (lambda args: Alerts("ops", args), "email", "emails"),
    "RealtimeStore": (
        lambda args: RealtimeStore("chat", {"project": "acme", **args}),
        "rule_file",
        "rules_file",
    ),
    "FirebaseProject": (
        lambda args: FirebaseProject("firebase", {"project": "acme-dev", **args}),
        "extra_api",
        "extra_apis",
    ),
}


@pytest.mark.parametrize("component", sorted(CASES))
def test_an_unknown_argument_is_refused_by_name_before_anything_registers(component: str) -> None:
    build, typo, intended = CASES[component]
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError) as refused:
        run_under_mocks(lambda: build({typo: 1}), mocks=mocks)
    message = str(refused.value)
    assert f"unknown argument {typo!r}" in message
    assert f"did you mean {intended!r}" in message
    assert not [r for r in mocks.resources if not r.type.startswith("hybridstack:")]


def test_every_component_of_the_library_is_checked_here() -> None:
    import importlib
    import pkgutil

    import hybridstack.components
    from hybridstack.components.component import HybridComponent

    for module in pkgutil.iter_modules(hybridstack.components.__path__):
        importlib.import_module(f"hybridstack.components.{module.name}")
    library = [
        cls
        for cls in HybridComponent.__subclasses__()
        if cls.__module__.startswith("hybridstack.components.")
    ]
    assert {cls.__name__ for cls in library} - set(CASES) == set(), "add a case per component"
    for cls in library:
        assert cls.TRANSFORMS is not None, f"{cls.__name__} names its child roles in TRANSFORMS"
