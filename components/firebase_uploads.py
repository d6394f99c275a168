"""FirebaseUploads: clients upload with the Firebase SDK; each object is pushed to AWS and synced.

A Cloud Storage bucket registered with Firebase Storage (uniform access, public access
prevention, versioning) where signed-in users upload under ``uploads/<their uid>/`` — the
Storage security rules (:func:`storage_rules`) allow nothing else. Each finalized object is
announced on a Pub/Sub topic, and a push subscription POSTs it — with an OIDC token of a
dedicated service account, retries with backoff and a dead-letter topic (kept in a pull
subscription, nothing is dropped) — to ``POST /media/sync`` on the AWS ``HttpApi``. That route
trusts Google-signed tokens for exactly that audience; the sync Function checks the token's
``email`` is ``<NAME>_PUSH_SERVICE_ACCOUNT``, reads the object as the ``access``
(CrossCloudAccess) service account — granted object read on this bucket only — and writes it to
what it is linked to (the S3 bucket :class:`~hybridstack.components.media_store.MediaStore`
gives it, where processing picks the object up).

The sync function gets ``<NAME>_FIREBASE_BUCKET``, ``<NAME>_PUSH_SERVICE_ACCOUNT`` and
``<NAME>_PUSH_AUDIENCE``; its execution role has the fixed name
``fixed_role_name(<name>, "sync")`` so ``access`` can trust it before it exists.

Example:
    media = SecureBucket("media")
    access = CrossCloudAccess("xc", {"project": "acme-prod",
                                     "trusted_aws_roles": [fixed_role_name("media", "sync")]})
    uploads = FirebaseUploads("media", {
        "project": "acme-prod",
        "api": api,
        "access": access,
        "sync_handler": "hybridstack.services.media.sync.handle",
        "link": [media],                                   # -> MEDIA_BUCKET_NAME
        "cors_origins": ["https://app.acme.com"],
    })
    pulumi.export("uploadBucket", uploads.bucket_name)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_gcp as gcp

from hybridstack.components.args import ComponentArgs, ComponentArgsError, in_range, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.cross_cloud_access import (
    CrossCloudAccess,
    fixed_role_name,
    with_role_name,
)
from hybridstack.components.firebase_project import is_demo_project
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import GOOGLE_ISSUER, JwtAuthorizerConfig
from hybridstack.components.link import Linkable, LinkSpec, link_variable
from hybridstack.components.rules_release import release_rules
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import FIREBASE_BUCKET, PUSH_AUDIENCE, PUSH_SERVICE_ACCOUNT
from hybridstack.services.media import routes as media_routes

SYNC_ROUTE = media_routes.SYNC
"""The route the pushes arrive on (``hybridstack.services.media.sync.handle`` serves it)."""
PUBSUB_EVENT_TYPES = ("OBJECT_FINALIZE",)
UPLOAD_PREFIX = "uploads"
"""Users upload under ``uploads/<uid>/`` (what ``hybridstack.services.media.storage_sync``
turns into media records)."""
DEFAULT_MAX_UPLOAD_BYTES = 500 * 1024 * 1024
"""The largest upload the rules accept: the largest media type the services take (video)."""
DEFAULT_STORAGE_LOCATION = "US"
DEFAULT_MAX_DELIVERY_ATTEMPTS = 5
SYNC_TIMEOUT_SECONDS = 60
SYNC_MEMORY_MB = 512
PUSH_ACK_DEADLINE_SECONDS = 60
KEEP_MESSAGES = "604800s"  # 7 days, Pub/Sub's maximum
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s]+$")


def check_cors_origins(name: str, origins: Sequence[str]) -> None:
    """Refuse anything but a list of origins such as ``https://app.example.com``."""
    if isinstance(origins, str):
        refuse(f"{name} must be a list of origins")
    for origin in origins:
        if origin == "*" or not _ORIGIN.match(str(origin)):
            refuse(
                f"{name} entry {origin!r} must be an origin like 'https://app.example.com' or "
                "'capacitor://localhost' (no '*', no path)"
            )


def storage_rules(
    upload_prefix: str = UPLOAD_PREFIX, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
) -> str:
    """Firebase Storage rules: a signed-in user reads and writes only their own uploads.

    Objects go under ``<upload_prefix>/<uid>/<file>``, at most ``max_upload_bytes`` each;
    anything else is refused to clients (the sync function reads through IAM, not rules).
    """
    return f"""rules_version = '2';
service firebase.storage {{
  match /b/{{bucket}}/o {{
    // A signed-in user may read and upload only under {upload_prefix}/<their uid>/.
    match /{upload_prefix}/{{uid}}/{{file}} {{
      allow read: if request.auth != null && request.auth.uid == uid;
      allow create, update: if request.auth != null && request.auth.uid == uid
                            && request.resource.size <= {max_upload_bytes};
    }}
  }}
}}
"""


def storage_rules_release_name(bucket: str) -> str:
    """The Firebase Rules release a Storage bucket reads: ``firebase.storage/<bucket>``."""
    return f"firebase.storage/{bucket}"


def push_account_id(name: str) -> str:
    """The push service account's id (6-30 of a-z 0-9 -) derived from a component name."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    base = re.sub(r"^[^a-z]+", "", base) or "media"
    account = f"{base[:25].rstrip('-')}-push"
    return account if len(account) >= 6 else f"{account}-sa"


def pubsub_service_agent(project_number: str) -> str:
    """The project's Pub/Sub service agent, which signs push tokens and moves dead letters."""
    return f"serviceAccount:service-{project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"


@dataclass(frozen=True, kw_only=True)
class FirebaseUploadsArgs(ComponentArgs):
    """The Firebase project, the API and function objects are synced through, and the limits."""

    project: pulumi.Input[str]
    """The Firebase project the upload bucket lives in (required)."""
    api: HttpApi
    """The HttpApi receiving the Pub/Sub pushes on ``POST /media/sync`` (required)."""
    sync_handler: str
    """Dotted path of the handler behind ``POST /media/sync`` (required), e.g.
    ``hybridstack.services.media.sync.handle``."""
    sync: Mapping[str, Any] = field(default_factory=dict)
    """More Function args for the sync function (timeout 60 s and 512 MB unless given)."""
    access: CrossCloudAccess | None = None
    """AWS -> GCP access the sync function reads Firebase Storage with, trusting its role
    (required unless ``project`` is a ``demo-`` project); granted object read on this bucket
    only."""
    link: Sequence[Linkable | LinkSpec] = ()
    """What the sync function may use: where synced objects go (an S3 bucket), tables..."""
    cors_origins: Sequence[str] = ()
    """Origins of web/hybrid clients allowed to upload and read (none by default)."""
    storage_location: str = DEFAULT_STORAGE_LOCATION
    """Location of the upload bucket."""
    max_delivery_attempts: int = DEFAULT_MAX_DELIVERY_ATTEMPTS
    """Push attempts before a message goes to the dead-letter topic, 5-100."""
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    """The largest object the Storage rules let a user upload."""

    def __post_init__(self) -> None:
        if not self.sync_handler:
            refuse("sync_handler (dotted path of the POST /media/sync handler) is required")
        if "handler" in self.sync:
            refuse("give the handler as sync_handler, not inside sync")
        if not isinstance(self.api, HttpApi):
            refuse(f"api must be the HttpApi that receives the Pub/Sub pushes, not {self.api!r}")
        if self.access is not None and not isinstance(self.access, CrossCloudAccess):
            refuse(f"access must be a CrossCloudAccess, not {self.access!r}")
        if self.access is None and not (
            isinstance(self.project, str) and is_demo_project(self.project)
        ):
            refuse(
                "access (a CrossCloudAccess trusting the sync function's role) is required to "
                "read Firebase Storage from AWS; only demo- projects (emulators) go without"
            )
        check_cors_origins("cors_origins", self.cors_origins)
        in_range("max_delivery_attempts", self.max_delivery_attempts, 5, 100)
        in_range("max_upload_bytes", self.max_upload_bytes, 1, 5 * 1024**4)

    def check_access_trusts(self, name: str) -> None:
        """Refuse an ``access`` that does not trust the sync function of component ``name``."""
        if self.access is None:
            return
        sync_role = fixed_role_name(name, "sync")
        if self.access.trusts_role(sync_role) is False:
            refuse(
                f"access {self.access.component_name!r} does not trust the sync function's role "
                f"{sync_role!r}; add it to its trusted_aws_roles "
                "(cross_cloud_access.fixed_role_name gives the name)"
            )


class FirebaseUploadsTransforms(TypedDict, total=False):
    """Reshape a child of the FirebaseUploads before it is created (see ``HybridComponent``)."""

    bucket: Transform
    """``gcp.storage.Bucket``: where clients upload."""
    firebase_storage: Transform
    """``gcp.firebase.StorageBucket``: the bucket registered with Firebase Storage."""
    storage_ruleset: Transform
    """``gcp.firebaserules.Ruleset``: the Storage security rules (:func:`storage_rules`)."""
    storage_rules_release: Transform
    """``gcp.firebaserules.Release``: the release making the bucket use them."""
    reader_grant: Transform
    """``gcp.storage.BucketIAMMember``: ``access`` may read objects of this bucket."""
    topic: Transform
    """``gcp.pubsub.Topic``: where object events are announced."""
    dead_letter_topic: Transform
    """``gcp.pubsub.Topic``: where pushes that kept failing go."""
    dead_letter_subscription: Transform
    """``gcp.pubsub.Subscription``: keeps dead letters 7 days (a topic alone drops them)."""
    storage_publisher: Transform
    """``gcp.pubsub.TopicIAMMember``: Cloud Storage's agent may publish to the topic."""
    notification_config: Transform
    """``gcp.storage.Notification``: finalized objects -> the topic."""
    push_service_account: Transform
    """``gcp.serviceaccount.Account``: the identity in the pushes' OIDC tokens."""
    token_creator_grant: Transform
    """``gcp.serviceaccount.IAMMember``: Pub/Sub's agent may sign tokens as that account."""
    dead_letter_publisher_grant: Transform
    """``gcp.pubsub.TopicIAMMember``: Pub/Sub's agent may publish dead letters."""
    dead_letter_ack_grant: Transform
    """``gcp.pubsub.SubscriptionIAMMember``: Pub/Sub's agent may acknowledge what it
    dead-letters."""
    sync: Transform
    """``Function``: the handler behind ``POST /media/sync``."""
    push_subscription: Transform
    """``gcp.pubsub.Subscription``: pushes each event to the API with an OIDC token."""


class FirebaseUploads(HybridComponent):
    """A Firebase Storage upload bucket whose objects are pushed to AWS and synced there.

    Example:
        uploads = FirebaseUploads("media", {
            "project": "demo-acme", "api": api, "link": [media_bucket],
            "sync_handler": "hybridstack.services.media.sync.handle"})
    """

    TYPE = "hybridstack:index:FirebaseUploads"
    TRANSFORMS = FirebaseUploadsTransforms

    bucket_name: pulumi.Output[str]
    """The upload bucket's name (what clients give the Firebase SDK)."""
    push_endpoint: pulumi.Output[str]
    """Where Pub/Sub pushes object events (the audience of their tokens)."""
    push_service_account_email: pulumi.Output[str]
    sync_function: Function
    """The function behind ``POST /media/sync``."""

    def __init__(
        self,
        name: str,
        args: FirebaseUploadsArgs | Mapping[str, Any] | None = None,
        *,
        transform: FirebaseUploadsTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"FirebaseUploads {name!r}"
        settings = FirebaseUploadsArgs.parse(args, owner=owner)
        try:
            settings.check_access_trusts(name)
        except ComponentArgsError as error:
            raise ComponentArgsError(f"{owner}: {error}") from None
        super().__init__(name, transform=transform, opts=opts)
        self._settings = settings
        self._pubsub_agent = gcp.organizations.get_project_output(
            project_id=settings.project, opts=pulumi.InvokeOutputOptions(parent=self)
        ).number.apply(pubsub_service_agent)
        self.push_endpoint = settings.api.url.apply(
            lambda u: u.rstrip("/") + SYNC_ROUTE.split(" ", 1)[1]
        )

        bucket = self._create_bucket()
        self._release_storage_rules(bucket)
        topic = self._announce_objects(bucket)
        dead_letters = self._create_dead_letter_topic()
        push_account, token_grant = self._create_push_identity()
        self.sync_function = self._create_sync_function(bucket, push_account)
        self._create_push_subscription(topic, dead_letters, push_account, token_grant)
        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "pushEndpoint": self.push_endpoint,
                "pushServiceAccountEmail": self.push_service_account_email,
            }
        )

    def _create_bucket(self) -> gcp.storage.Bucket:
        """The upload bucket, registered with Firebase Storage, readable by ``access``."""
        settings, name = self._settings, self.component_name
        cors = [
            {
                "origins": list(settings.cors_origins),
                "methods": ["GET", "HEAD", "PUT", "POST"],
                "response_headers": ["Content-Type", "Authorization"],
                "max_age_seconds": 3600,
            }
        ]
        bucket = self.child(
            "bucket",
            gcp.storage.Bucket,
            f"{name}-uploads",
            {
                "project": settings.project,
                "location": settings.storage_location,
                "uniform_bucket_level_access": True,
                "public_access_prevention": "enforced",
                "versioning": {"enabled": True},
                "force_destroy": not is_production(),
                "cors": cors if settings.cors_origins else [],
            },
        )
        self.bucket_name = bucket.name
        self._registration = self.child(
            "firebase_storage",
            gcp.firebase.StorageBucket,
            f"{name}-uploads",
            {"project": settings.project, "bucket_id": bucket.name},
        )
        if settings.access is not None:
            self.child(
                "reader_grant",
                gcp.storage.BucketIAMMember,
                f"{name}-uploads-reader",
                {
                    "bucket": bucket.name,
                    "role": "roles/storage.objectViewer",
                    "member": settings.access.service_account_member,
                },
            )
        return bucket

    def _release_storage_rules(self, bucket: gcp.storage.Bucket) -> None:
        settings = self._settings
        release_rules(
            self,
            ("storage_ruleset", "storage_rules_release"),
            f"{self.component_name}-storage-rules",
            project=settings.project,
            file_name="storage.rules",
            content=storage_rules(max_upload_bytes=settings.max_upload_bytes),
            release_name=bucket.name.apply(storage_rules_release_name),
            release_opts=pulumi.ResourceOptions(depends_on=[self._registration]),
        )

    def _announce_objects(self, bucket: gcp.storage.Bucket) -> gcp.pubsub.Topic:
        """The topic, Cloud Storage's right to publish to it, and the bucket's notification."""
        settings, name = self._settings, self.component_name
        topic = self.child(
            "topic",
            gcp.pubsub.Topic,
            f"{name}-uploads",
            {"project": settings.project, "message_retention_duration": "86400s"},
        )
        storage_agent = gcp.storage.get_project_service_account_output(
            project=settings.project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        publisher = self.child(
            "storage_publisher",
            gcp.pubsub.TopicIAMMember,
            f"{name}-storage-publishes",
            {
                "project": settings.project,
                "topic": topic.id,
                "role": "roles/pubsub.publisher",
                "member": storage_agent.email_address.apply(lambda e: f"serviceAccount:{e}"),
            },
        )
        self.child(
            "notification_config",
            gcp.storage.Notification,
            f"{name}-uploads",
            {
                "bucket": bucket.name,
                "topic": topic.id,
                "payload_format": "JSON_API_V1",
                "event_types": list(PUBSUB_EVENT_TYPES),
            },
            opts=pulumi.ResourceOptions(depends_on=[publisher]),
        )
        return topic

    def _create_dead_letter_topic(self) -> gcp.pubsub.Topic:
        """The dead-letter topic, a subscription keeping what lands there, Pub/Sub's right to
        publish to it."""
        project, name = self._settings.project, self.component_name
        topic = self.child(
            "dead_letter_topic", gcp.pubsub.Topic, f"{name}-uploads-dead", {"project": project}
        )
        # A dead-letter topic without a subscription drops what it receives: keep it 7 days.
        self.child(
            "dead_letter_subscription",
            gcp.pubsub.Subscription,
            f"{name}-uploads-dead",
            {
                "project": project,
                "topic": topic.id,
                "message_retention_duration": KEEP_MESSAGES,
                "retain_acked_messages": True,
                "expiration_policy": {"ttl": ""},
            },
        )
        self._dead_letter_grant = self.child(
            "dead_letter_publisher_grant",
            gcp.pubsub.TopicIAMMember,
            f"{name}-pubsub-dead-letters",
            {
                "project": project,
                "topic": topic.id,
                "role": "roles/pubsub.publisher",
                "member": self._pubsub_agent,
            },
        )
        return topic

    def _create_push_identity(
        self,
    ) -> tuple[gcp.serviceaccount.Account, gcp.serviceaccount.IAMMember]:
        """The account named in the pushes' tokens, and Pub/Sub's right to sign as it."""
        name = self.component_name
        account = self.child(
            "push_service_account",
            gcp.serviceaccount.Account,
            f"{name}-push",
            {
                "project": self._settings.project,
                "account_id": push_account_id(name),
                "display_name": f"{name}: signs Pub/Sub pushes to AWS",
                "description": "Identity in the OIDC tokens of media sync pushes; holds no roles.",
            },
        )
        self.push_service_account_email = account.email
        grant = self.child(
            "token_creator_grant",
            gcp.serviceaccount.IAMMember,
            f"{name}-pubsub-signs-push",
            {
                "service_account_id": account.name,
                "role": "roles/iam.serviceAccountTokenCreator",
                "member": self._pubsub_agent,
            },
        )
        return account, grant

    def _create_sync_function(
        self, bucket: gcp.storage.Bucket, push_account: gcp.serviceaccount.Account
    ) -> Function:
        """The sync Function and its route, trusting Google-signed tokens for the endpoint."""
        settings, name = self._settings, self.component_name
        given = dict(settings.sync)
        links: list[Any] = [*settings.link, *given.pop("link", ())]
        if settings.access is not None:
            links.append(settings.access)
        sync = self.child(
            "sync",
            Function,
            f"{name}-sync",
            {
                "args": {
                    "timeout": SYNC_TIMEOUT_SECONDS,
                    "memory": SYNC_MEMORY_MB,
                    **given,
                    "handler": settings.sync_handler,
                    "link": links,
                    "environment": {
                        **dict(given.get("environment") or {}),
                        link_variable(name, FIREBASE_BUCKET): bucket.name,
                        link_variable(name, PUSH_SERVICE_ACCOUNT): push_account.email,
                        link_variable(name, PUSH_AUDIENCE): self.push_endpoint,
                    },
                },
                "transform": {"role": with_role_name(fixed_role_name(name, "sync"))},
            },
        )
        settings.api.route(
            SYNC_ROUTE,
            sync,
            authorizer=JwtAuthorizerConfig(
                issuer=GOOGLE_ISSUER, audience=[self.push_endpoint], name=f"{name}-pubsub-push"
            ),
        )
        return sync

    def _create_push_subscription(
        self,
        topic: gcp.pubsub.Topic,
        dead_letters: gcp.pubsub.Topic,
        push_account: gcp.serviceaccount.Account,
        token_grant: gcp.serviceaccount.IAMMember,
    ) -> None:
        """Push each event to the API, retrying with backoff, then to the dead-letter topic."""
        settings, name = self._settings, self.component_name
        subscription = self.child(
            "push_subscription",
            gcp.pubsub.Subscription,
            f"{name}-uploads-to-aws",
            {
                "project": settings.project,
                "topic": topic.id,
                "ack_deadline_seconds": PUSH_ACK_DEADLINE_SECONDS,
                "message_retention_duration": KEEP_MESSAGES,
                "expiration_policy": {"ttl": ""},
                "push_config": {
                    "push_endpoint": self.push_endpoint,
                    "oidc_token": {
                        "service_account_email": push_account.email,
                        "audience": self.push_endpoint,
                    },
                },
                "retry_policy": {"minimum_backoff": "10s", "maximum_backoff": "600s"},
                "dead_letter_policy": {
                    "dead_letter_topic": dead_letters.id,
                    "max_delivery_attempts": settings.max_delivery_attempts,
                },
            },
            opts=pulumi.ResourceOptions(depends_on=[token_grant, self._dead_letter_grant]),
        )
        # Pub/Sub acknowledges a message it dead-letters on the source subscription.
        self.child(
            "dead_letter_ack_grant",
            gcp.pubsub.SubscriptionIAMMember,
            f"{name}-pubsub-acks-dead-letters",
            {
                "project": settings.project,
                "subscription": subscription.name,
                "role": "roles/pubsub.subscriber",
                "member": self._pubsub_agent,
            },
        )
