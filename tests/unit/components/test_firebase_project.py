"""FirebaseProject: APIs enabled before Firebase, the web app's client config, demo projects."""

from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.firebase_project import DEFAULT_APIS, FirebaseProject
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks


def _capture(project: str, **kwargs: Any) -> tuple[list[Any], dict[str, Any]]:
    seen: dict[str, Any] = {}

    def program() -> None:
        firebase = FirebaseProject("firebase", {"project": project, **kwargs})
        firebase.client_config.apply(lambda c: seen.setdefault("config", c))
        seen["ready"] = len(firebase.ready)
        seen["demo"] = firebase.is_demo

    return run_under_mocks(program), seen


def test_apis_firebase_and_web_app_with_client_config() -> None:
    resources, seen = _capture("acme-dev", extra_apis=["run.googleapis.com"])
    services = {r.inputs["service"] for r in of_type(resources, "gcp:projects/service:Service")}
    assert services == {*DEFAULT_APIS, "run.googleapis.com"}
    for api in ("firebase", "identitytoolkit", "firestore", "sts", "iamcredentials", "pubsub"):
        assert f"{api}.googleapis.com" in services
    assert all(
        r.inputs["disableOnDestroy"] is False
        for r in of_type(resources, "gcp:projects/service:Service")
    )
    (firebase,) = of_type(resources, "gcp:firebase/project:Project")
    assert firebase.inputs["project"] == "acme-dev"
    (app,) = of_type(resources, "gcp:firebase/webApp:WebApp")
    assert app.inputs["displayName"] == "firebase"
    config = seen["config"]
    assert set(config) == {
        "apiKey", "authDomain", "projectId", "storageBucket", "appId", "messagingSenderId",
    }  # fmt: skip
    assert config["projectId"] == "acme-dev"
    assert config["authDomain"] == "acme-dev.firebaseapp.com"
    assert config["appId"] == app.outputs["appId"]
    assert config["apiKey"]
    assert seen["ready"] == len(services) + 1
    assert seen["demo"] is False


def test_without_a_web_app_the_config_still_names_the_project() -> None:
    resources, seen = _capture("acme-dev", create_web_app=False)
    assert not of_type(resources, "gcp:firebase/webApp:WebApp")
    assert seen["config"]["projectId"] == "acme-dev"
    assert seen["config"]["authDomain"] == "acme-dev.firebaseapp.com"
    assert seen["config"]["appId"] == ""


def test_demo_project_registers_nothing_and_gives_emulator_config() -> None:
    resources, seen = _capture("demo-acme")
    assert [r for r in resources if r.custom] == []
    assert seen["demo"] is True
    assert seen["config"]["projectId"] == "demo-acme"
    assert seen["config"]["authDomain"] == "demo-acme.firebaseapp.com"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"project": ""}, "project .* is required"),
        ({"project": "Acme_Prod"}, "project 'Acme_Prod' is not a project id"),
        ({"project": "acme-dev", "extra_apis": ["run"]}, "extra_apis entry 'run'"),
        ({"project": "acme-dev", "apis": []}, "unknown argument 'apis'"),
        ({}, "missing required argument\\(s\\) project"),
    ],
)
def test_invalid_arguments_are_named(kwargs: dict[str, Any], message: str) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: FirebaseProject("firebase", kwargs), mocks=mocks)
    assert mocks.resources == []


def test_transform_reaches_the_web_app() -> None:
    resources = run_under_mocks(
        lambda: FirebaseProject(
            "firebase",
            {"project": "acme-dev"},
            transform={"web_app": lambda a: {**a, "deletion_policy": "ABANDON"}},
        )
    )
    (app,) = of_type(resources, "gcp:firebase/webApp:WebApp")
    assert app.inputs["deletionPolicy"] == "ABANDON"
