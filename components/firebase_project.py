"""FirebaseProject: Firebase on an existing Google Cloud project, its APIs, a web app, its config.

Enables the Google APIs the hybrid platform uses (Firebase, Identity Toolkit, Firestore and its
rules, Storage, Pub/Sub, Cloud Functions, IAM and the STS/credentials APIs that Workload Identity
federation needs), adds Firebase to the project, registers a web app and exposes the client
configuration the SPA/mobile clients put in ``initializeApp`` (``apiKey``, ``authDomain``,
``projectId``, ``storageBucket``, ``appId``, ``messagingSenderId``) as outputs.

**Local projects.** Project ids starting with ``demo-`` are the emulators' reserved ids: such a
project never exists in Google Cloud, needs no credentials, and cannot be created there. For
them the component registers no resource and its outputs are the configuration the Firebase
emulators accept (any API key works against them).

Example:
    firebase = FirebaseProject("firebase", project="acme-prod", web_app_name="Acme web")
    pulumi.export("firebaseConfig", firebase.client_config)
    store = RealtimeStore("chat", project=firebase.project_id,
                          opts=pulumi.ResourceOptions(depends_on=firebase.ready))

    local = FirebaseProject("firebase", project="demo-acme")   # nothing registered
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, TypedDict

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.link import LinkSpec, env_prefix

DEFAULT_APIS: tuple[str, ...] = (
    "serviceusage.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "firebase.googleapis.com",
    "identitytoolkit.googleapis.com",
    "firestore.googleapis.com",
    "firebaserules.googleapis.com",
    "firebasestorage.googleapis.com",
    "storage.googleapis.com",
    "pubsub.googleapis.com",
    "cloudfunctions.googleapis.com",
    "iam.googleapis.com",
    "sts.googleapis.com",
    "iamcredentials.googleapis.com",
)
"""The APIs every hybridstack platform uses (``extra_apis`` adds to these)."""

DEMO_PREFIX = "demo-"
_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_API = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.googleapis\.com$")


def is_demo_project(project: str) -> bool:
    """Whether ``project`` is an emulator-only ``demo-`` project."""
    return project.startswith(DEMO_PREFIX)


def demo_client_config(project: str, app_name: str) -> dict[str, str]:
    """The client configuration the Firebase emulators accept for a ``demo-`` project."""
    return {
        "apiKey": f"{project}-api-key",
        "authDomain": f"{project}.firebaseapp.com",
        "projectId": project,
        "storageBucket": f"{project}.appspot.com",
        "appId": f"1:000000000000:web:{app_name}",
        "messagingSenderId": "000000000000",
    }


def api_resource_name(api: str) -> str:
    """A short logical-name suffix for an API: ``firestore.googleapis.com`` -> ``firestore``."""
    return api.removesuffix(".googleapis.com").replace(".", "-")


class FirebaseProjectArgs(TypedDict, total=False):
    """Which Google Cloud project gets Firebase, and what it enables."""

    project: pulumi.Input[str]
    """The existing Google Cloud project id (required); ``demo-...`` for emulator-only stacks."""
    extra_apis: Sequence[str]
    """More APIs to enable (``run.googleapis.com`` ...), besides :data:`DEFAULT_APIS`."""
    web_app_name: str
    """Display name of the web app (default: the component name); ``None``-like "" skips it."""
    create_web_app: bool
    """Register a web app and expose its config (default True)."""
    disable_apis_on_destroy: bool
    """Disable the APIs when the stack is destroyed (default False: other users may need them)."""


class FirebaseProject(HybridComponent):
    """Firebase added to a Google Cloud project: APIs, Firebase, a web app and its config.

    Example:
        firebase = FirebaseProject("firebase", project="acme-dev")
        pulumi.export("apiKey", firebase.api_key)
    """

    TYPE: ClassVar[str] = "hybridstack:index:FirebaseProject"
    CHILD_ROLES: ClassVar[tuple[str, ...]] = ("api", "firebase", "web_app")

    project_id: pulumi.Output[str]
    """The project id (the Firebase project id is the same)."""
    api_key: pulumi.Output[str]
    auth_domain: pulumi.Output[str]
    storage_bucket: pulumi.Output[str]
    app_id: pulumi.Output[str]
    messaging_sender_id: pulumi.Output[str]
    client_config: pulumi.Output[dict[str, str]]
    """``{"apiKey", "authDomain", "projectId", "storageBucket", "appId", "messagingSenderId"}``."""
    is_demo: bool
    """True for ``demo-`` projects (nothing registered; emulator config)."""
    ready: list[pulumi.Resource]
    """Resources to ``depends_on`` before creating anything in the project (APIs, Firebase)."""

    def __init__(
        self,
        name: str,
        args: FirebaseProjectArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        merged: dict[str, Any] = {**(args or {}), **kwargs}
        owner = f"FirebaseProject {name!r}"
        known = set(FirebaseProjectArgs.__annotations__)
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ComponentArgsError(
                f"{owner}: unknown argument(s) {', '.join(unknown)}; "
                f"the arguments are: {', '.join(sorted(known))}"
            )
        project = merged.get("project")
        if project is None or project == "":
            raise ComponentArgsError(
                f"{owner}: project (an existing Google Cloud project id) is required"
            )
        if isinstance(project, str) and not _PROJECT_ID.match(project):
            raise ComponentArgsError(
                f"{owner}: project {project!r} is not a project id (6-30 characters of a-z, 0-9 "
                "and '-', starting with a letter)"
            )
        extra = list(merged.get("extra_apis") or ())
        for api in extra:
            if not isinstance(api, str) or not _API.match(api):
                raise ComponentArgsError(
                    f"{owner}: extra_apis entry {api!r} is not an API name like "
                    "'run.googleapis.com'"
                )
        app_name = merged.get("web_app_name") or name
        super().__init__(name, transform=transform, opts=opts)

        self.is_demo = isinstance(project, str) and is_demo_project(project)
        self.project_id = pulumi.Output.from_input(project)
        self.ready = []
        if self.is_demo:
            assert isinstance(project, str)
            config = demo_client_config(project, re.sub(r"[^a-z0-9-]", "-", app_name.lower()))
            self.client_config = pulumi.Output.from_input(config)
        else:
            config_output = self._create(name, project, extra, app_name, merged)
            self.client_config = config_output
        self.api_key = self.client_config.apply(lambda c: c["apiKey"])
        self.auth_domain = self.client_config.apply(lambda c: c["authDomain"])
        self.storage_bucket = self.client_config.apply(lambda c: c["storageBucket"])
        self.app_id = self.client_config.apply(lambda c: c["appId"])
        self.messaging_sender_id = self.client_config.apply(lambda c: c["messagingSenderId"])
        self.register_outputs({"projectId": self.project_id, "clientConfig": self.client_config})

    def _create(
        self,
        name: str,
        project: pulumi.Input[str],
        extra: list[str],
        app_name: str,
        merged: dict[str, Any],
    ) -> pulumi.Output[dict[str, str]]:
        disable = bool(merged.get("disable_apis_on_destroy", False))
        apis = list(dict.fromkeys([*DEFAULT_APIS, *extra]))
        services = [
            self.child(
                "api",
                gcp.projects.Service,
                f"{name}-{api_resource_name(api)}",
                {
                    "project": project,
                    "service": api,
                    "disable_on_destroy": disable,
                    "disable_dependent_services": False,
                },
            )
            for api in apis
        ]
        firebase = self.child(
            "firebase",
            gcp.firebase.Project,
            f"{name}-firebase",
            {"project": project},
            opts=pulumi.ResourceOptions(depends_on=services),
        )
        self.ready = [*services, firebase]
        if not merged.get("create_web_app", True):
            return pulumi.Output.all(project).apply(
                lambda v: {
                    "apiKey": "",
                    "authDomain": f"{v[0]}.firebaseapp.com",
                    "projectId": v[0],
                    "storageBucket": "",
                    "appId": "",
                    "messagingSenderId": "",
                }
            )
        web_app = self.child(
            "web_app",
            gcp.firebase.WebApp,
            f"{name}-web",
            {"project": project, "display_name": app_name},
            opts=pulumi.ResourceOptions(depends_on=[firebase]),
        )
        config = gcp.firebase.get_web_app_config_output(
            web_app_id=web_app.app_id,
            project=project,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[web_app]),
        )
        return pulumi.Output.all(
            config.api_key,
            config.auth_domain,
            self.project_id,
            config.storage_bucket,
            web_app.app_id,
            config.messaging_sender_id,
        ).apply(
            lambda v: {
                "apiKey": v[0],
                "authDomain": v[1],
                "projectId": v[2],
                "storageBucket": v[3],
                "appId": v[4],
                "messagingSenderId": v[5],
            }
        )

    def link_spec(self) -> LinkSpec:
        """``<NAME>_FIREBASE_PROJECT`` for server code (no AWS permission is involved)."""
        return LinkSpec(
            environment={f"{env_prefix(self.component_name)}_FIREBASE_PROJECT": self.project_id}
        )
