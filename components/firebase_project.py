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
    firebase = FirebaseProject("firebase", {"project": "acme-prod", "web_app_name": "Acme web"})
    pulumi.export("firebaseConfig", firebase.client_config)
    store = RealtimeStore("chat", {"project": firebase.project_id},
                          opts=pulumi.ResourceOptions(depends_on=firebase.ready))

    local = FirebaseProject("firebase", {"project": "demo-acme"})   # nothing registered
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.args import ComponentArgs, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.link import LinkSpec, link_variable
from hybridstack.services.common.links import FIREBASE_PROJECT

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


def no_web_app_config(project: str) -> dict[str, str]:
    """The client configuration of a project without a registered web app."""
    return {
        "apiKey": "",
        "authDomain": f"{project}.firebaseapp.com",
        "projectId": project,
        "storageBucket": "",
        "appId": "",
        "messagingSenderId": "",
    }


@dataclass(frozen=True, kw_only=True)
class FirebaseProjectArgs(ComponentArgs):
    """Which Google Cloud project gets Firebase, and what it enables."""

    project: pulumi.Input[str]
    """The existing Google Cloud project id (required); ``demo-...`` for emulator-only stacks."""
    extra_apis: Sequence[str] = ()
    """More APIs to enable (``run.googleapis.com`` ...), besides :data:`DEFAULT_APIS`."""
    web_app_name: str | None = None
    """Display name of the web app (default: the component name)."""
    create_web_app: bool = True
    """Register a web app and expose its config."""
    disable_apis_on_destroy: bool = False
    """Disable the APIs when the stack is destroyed (off: other users may need them)."""

    def __post_init__(self) -> None:
        project = self.project
        if project is None or project == "":
            refuse("project (an existing Google Cloud project id) is required")
        if isinstance(project, str) and not _PROJECT_ID.match(project):
            refuse(
                f"project {project!r} is not a project id (6-30 characters of a-z, 0-9 and '-', "
                "starting with a letter)"
            )
        if isinstance(self.extra_apis, str):
            refuse("extra_apis must be a list of API names")
        for api in self.extra_apis:
            if not isinstance(api, str) or not _API.match(api):
                refuse(f"extra_apis entry {api!r} is not an API name like 'run.googleapis.com'")

    @property
    def apis(self) -> list[str]:
        """:data:`DEFAULT_APIS` and ``extra_apis``, each once."""
        return list(dict.fromkeys([*DEFAULT_APIS, *self.extra_apis]))

    @property
    def is_demo(self) -> bool:
        """Whether the project is an emulator-only ``demo-`` project."""
        return isinstance(self.project, str) and is_demo_project(self.project)


class FirebaseProjectTransforms(TypedDict, total=False):
    """Reshape a child of the FirebaseProject before it is created (see ``HybridComponent``)."""

    api: Transform
    """``gcp.projects.Service``: each enabled API."""
    firebase: Transform
    """``gcp.firebase.Project``: Firebase added to the project."""
    web_app: Transform
    """``gcp.firebase.WebApp``: the registered web app."""


class FirebaseProject(HybridComponent):
    """Firebase added to a Google Cloud project: APIs, Firebase, a web app and its config.

    Example:
        firebase = FirebaseProject("firebase", {"project": "acme-dev"})
        pulumi.export("apiKey", firebase.api_key)
    """

    TYPE = "hybridstack:index:FirebaseProject"
    TRANSFORMS = FirebaseProjectTransforms

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
        args: FirebaseProjectArgs | Mapping[str, Any] | None = None,
        *,
        transform: FirebaseProjectTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = FirebaseProjectArgs.parse(args, owner=f"FirebaseProject {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        app_name = settings.web_app_name or name
        self.is_demo = settings.is_demo
        self.project_id = pulumi.Output.from_input(settings.project)
        self.ready = []
        if self.is_demo:
            slug = re.sub(r"[^a-z0-9-]", "-", app_name.lower())
            self.client_config = self.project_id.apply(lambda p: demo_client_config(p, slug))
        else:
            services = self._enable_apis(settings)
            firebase = self._add_firebase(settings, services)
            self.ready = [*services, firebase]
            if settings.create_web_app:
                self.client_config = self._create_web_app(settings, app_name, firebase)
            else:
                self.client_config = self.project_id.apply(no_web_app_config)
        self.api_key = self.client_config.apply(lambda c: c["apiKey"])
        self.auth_domain = self.client_config.apply(lambda c: c["authDomain"])
        self.storage_bucket = self.client_config.apply(lambda c: c["storageBucket"])
        self.app_id = self.client_config.apply(lambda c: c["appId"])
        self.messaging_sender_id = self.client_config.apply(lambda c: c["messagingSenderId"])
        self.register_outputs({"projectId": self.project_id, "clientConfig": self.client_config})

    def _enable_apis(self, settings: FirebaseProjectArgs) -> list[gcp.projects.Service]:
        return [
            self.child(
                "api",
                gcp.projects.Service,
                f"{self.component_name}-{api_resource_name(api)}",
                {
                    "project": settings.project,
                    "service": api,
                    "disable_on_destroy": settings.disable_apis_on_destroy,
                    "disable_dependent_services": False,
                },
            )
            for api in settings.apis
        ]

    def _add_firebase(
        self, settings: FirebaseProjectArgs, services: list[gcp.projects.Service]
    ) -> gcp.firebase.Project:
        return self.child(
            "firebase",
            gcp.firebase.Project,
            f"{self.component_name}-firebase",
            {"project": settings.project},
            opts=pulumi.ResourceOptions(depends_on=services),
        )

    def _create_web_app(
        self, settings: FirebaseProjectArgs, app_name: str, firebase: gcp.firebase.Project
    ) -> pulumi.Output[dict[str, str]]:
        """The web app, and the client config read back from it."""
        web_app = self.child(
            "web_app",
            gcp.firebase.WebApp,
            f"{self.component_name}-web",
            {"project": settings.project, "display_name": app_name},
            opts=pulumi.ResourceOptions(depends_on=[firebase]),
        )
        config = gcp.firebase.get_web_app_config_output(
            web_app_id=web_app.app_id,
            project=settings.project,
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
            environment={link_variable(self.component_name, FIREBASE_PROJECT): self.project_id}
        )
