"""MediaStore: S3 + CloudFront for media, Firebase Storage for client uploads, the pipeline between.

The messaging app's media pipeline (reference architecture B) as one component:

**AWS.** A :class:`~hybridstack.components.secure_bucket.SecureBucket` (encrypted, versioned,
public access blocked, non-TLS denied, ``<name>-logs`` receiving its access logs) whose
lifecycle moves originals to Standard-IA and then Glacier Instant Retrieval and expires replaced
versions; CORS for web/hybrid mobile clients; a CloudFront distribution reading it through
origin access control, with a cache behaviour per prefix (:data:`CACHE_BEHAVIOURS`: a year for
images and thumbnails, an hour for videos, compression on); and a processing
:class:`~hybridstack.components.function.Function` fed by ``ObjectCreated`` events of the upload
prefixes (:data:`PROCESSING_PREFIXES`) through a :class:`~hybridstack.components.queue.Queue`
with a dead-letter queue and partial batch failures. Derived files (thumbnails, optimised
images, HLS renditions, compressed voice) are written under other prefixes, so processing never
triggers itself.

**Firebase.** A Cloud Storage bucket registered with Firebase Storage (uniform access, public
access prevention, versioning) where clients upload with the Firebase SDK; each finalized
object is announced on a Pub/Sub topic, and a push subscription POSTs it — with an OIDC token of
a dedicated service account, retries with backoff and a dead-letter topic (kept in a pull
subscription, nothing is dropped) — to ``POST /media/sync`` on the AWS ``HttpApi``. That route
trusts Google-signed tokens for exactly that audience; the sync Function (``sync_handler``)
checks the token's ``email`` is ``<NAME>_PUSH_SERVICE_ACCOUNT``, reads the object from Firebase
Storage as the ``access`` (CrossCloudAccess) service account — granted object read on this
bucket only — and writes it to S3, where processing picks it up.

Linking the MediaStore grants read/write on the S3 bucket only and sets ``<NAME>_BUCKET`` (and
``<NAME>_BUCKET_NAME``), ``<NAME>_CDN_URL`` and ``<NAME>_FIREBASE_BUCKET``;
``media.read_only()`` grants reading.

Example:
    access = CrossCloudAccess("xc", project="acme-prod",
                              trusted_aws_roles=["media-sync-role"])
    api = HttpApi("api", {"authorizer": identity})
    media = MediaStore("media", {
        "processing_handler": "hybridstack.services.media.handler.process",
        "sync_handler": "hybridstack.services.media.sync.handle",
        "project": "acme-prod", "api": api, "access": access,
        "cors_origins": ["https://app.acme.com", "capacitor://localhost"],
        "sync": {"layer": deps},
    })
    api.route("POST /media/upload", upload_fn)      # upload_fn linked to media
    pulumi.export("cdn", media.cdn_url)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.cross_cloud_access import CrossCloudAccess
from hybridstack.components.firebase_project import is_demo_project
from hybridstack.components.function import Function
from hybridstack.components.http_api import HttpApi
from hybridstack.components.jwt_authorizer import GOOGLE_ISSUER, JwtAuthorizerConfig
from hybridstack.components.link import Linkable, LinkSpec, env_prefix
from hybridstack.components.queue import Queue
from hybridstack.components.secure_bucket import (
    SecureBucket,
    access_log_delivery_statement,
    cloudfront_read_statement,
)
from hybridstack.components.stack_defaults import is_production

MEDIA_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "images": ("original", "thumbnails", "optimized"),
    "videos": ("original", "compressed", "hls"),
    "voice": ("original", "compressed"),
    "files": (),
    "profiles": ("original", "thumbnails"),
}
"""Architecture B's key layout (``voice/`` split into original/compressed so that compressing a
voice note does not trigger processing again)."""

PROCESSING_PREFIXES: tuple[str, ...] = (
    "images/original/", "videos/original/", "voice/original/", "profiles/original/", "files/",
)  # fmt: skip
"""Where uploads land; ``ObjectCreated`` under these (and only these) is processed."""

ORIGINAL_PREFIXES: tuple[str, ...] = (
    "images/original/", "videos/original/", "voice/original/", "profiles/original/",
)  # fmt: skip
"""Originals archived by the lifecycle rules (derived files can be regenerated)."""

SYNC_ROUTE = "POST /media/sync"
PUBSUB_EVENT_TYPES = ("OBJECT_FINALIZE",)


@dataclass(frozen=True)
class CacheTier:
    """TTLs (seconds) of one CloudFront cache policy."""

    name: str
    min_ttl: int
    default_ttl: int
    max_ttl: int


LONG = CacheTier("long", 0, 7 * 86400, 365 * 86400)
MEDIUM = CacheTier("medium", 0, 86400, 7 * 86400)
SHORT = CacheTier("short", 0, 3600, 86400)
CACHE_TIERS: tuple[CacheTier, ...] = (LONG, MEDIUM, SHORT)

CACHE_BEHAVIOURS: tuple[tuple[str, CacheTier], ...] = (
    ("images/thumbnails/*", LONG),
    ("images/optimized/*", LONG),
    ("images/*", LONG),
    ("profiles/thumbnails/*", LONG),
    ("profiles/*", MEDIUM),
    ("videos/hls/*", SHORT),
    ("videos/*", SHORT),
    ("voice/*", LONG),
    ("files/*", MEDIUM),
)
"""Path pattern -> cache tier, most specific first (CloudFront uses the first match); anything
else gets :data:`MEDIUM` through the default behaviour."""


def cache_behaviours(
    table: Sequence[tuple[str, CacheTier]] = CACHE_BEHAVIOURS,
) -> list[tuple[str, CacheTier]]:
    """The behaviour table checked: unique patterns, none shadowed by an earlier broader one."""
    seen: list[str] = []
    for pattern, _tier in table:
        if pattern in seen:
            raise ValueError(f"cache behaviour {pattern!r} appears twice")
        for earlier in seen:
            if earlier.endswith("*") and pattern.startswith(earlier[:-1]):
                raise ValueError(
                    f"cache behaviour {pattern!r} is shadowed by the earlier {earlier!r}"
                )
        seen.append(pattern)
    return list(table)


def lifecycle_rules(
    archive_after_days: int, infrequent_access_after_days: int
) -> list[dict[str, Any]]:
    """Move originals to Standard-IA, then Glacier Instant Retrieval (SecureBucket rule shape)."""
    rules = []
    for prefix in ORIGINAL_PREFIXES:
        transitions = []
        if infrequent_access_after_days < archive_after_days:
            transitions.append(
                {"days": infrequent_access_after_days, "storage_class": "STANDARD_IA"}
            )
        transitions.append({"days": archive_after_days, "storage_class": "GLACIER_IR"})
        rules.append(
            {
                "id": f"archive-{prefix.rstrip('/').replace('/', '-')}",
                "status": "Enabled",
                "filter": {"prefix": prefix},
                "transitions": transitions,
            }
        )
    return rules


def cors_rules(origins: Sequence[str]) -> list[dict[str, Any]]:
    """Browser/hybrid-app access: GET/HEAD to read, PUT/POST for pre-signed uploads."""
    if not origins:
        return []
    return [
        {
            "allowed_methods": ["GET", "HEAD", "PUT", "POST"],
            "allowed_origins": list(origins),
            "allowed_headers": ["Content-Type", "Content-MD5", "Authorization", "x-amz-*"],
            "expose_headers": ["ETag"],
            "max_age_seconds": 3000,
        }
    ]


def function_role_names(name: str, stack: str | None = None) -> dict[str, str]:
    """The fixed IAM role names of a MediaStore's processor and sync functions.

    They are fixed so a :class:`CrossCloudAccess` created first can trust them by name:
    ``CrossCloudAccess("xc", trusted_aws_roles=list(function_role_names("media").values()))``.
    """
    stack = stack if stack is not None else pulumi.get_stack()
    names = {}
    for role in ("processor", "sync"):
        raw = re.sub(r"[^\w+=,.@-]+", "-", f"{name}-{role}-{stack}")
        names[role] = raw[:64].rstrip("-")
    return names


def _named_role(role_name: str) -> Transforms:
    def set_name(args: dict[str, Any]) -> None:
        args["name"] = role_name

    return {"role": set_name}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class MediaStoreArgs(TypedDict, total=False):
    """The media pipeline: handlers, retention, clients, and the Firebase upload side."""

    processing_handler: str
    """Dotted path of the processing handler (SQS batch of S3 events; required)."""
    processing: Mapping[str, Any]
    """More Function args for the processor (timeout default 120 s, memory 1024 MB, layer...)."""
    processing_batch_size: int
    """S3 events per processor invocation, 1-10 (default 5)."""
    max_receive_count: int
    """Deliveries before an event goes to the dead-letter queue (default 3)."""
    link: Sequence[Linkable | LinkSpec]
    """More links for the processor and the sync function (a database, a RealtimeStore...)."""
    cors_origins: Sequence[str]
    """Origins of web/hybrid clients allowed to read and upload (none by default)."""
    archive_after_days: int
    """Days before originals move to Glacier Instant Retrieval (default 90)."""
    infrequent_access_after_days: int
    """Days before originals move to Standard-IA (default 30; >= archive days skips it)."""
    noncurrent_version_days: int
    """Days to keep replaced/deleted versions (default 30)."""
    cdn: bool
    """Create the CloudFront distribution (default True)."""
    price_class: str
    """CloudFront price class (default ``PriceClass_100``)."""
    project: pulumi.Input[str]
    """The Firebase project: creates the Firebase Storage bucket and the sync path."""
    storage_location: str
    """Location of the Firebase Storage bucket (default ``US``)."""
    sync_handler: str
    """Dotted path of the handler behind ``POST /media/sync`` (required with ``project``)."""
    sync: Mapping[str, Any]
    """More Function args for the sync function."""
    api: HttpApi
    """The HttpApi receiving the Pub/Sub pushes (required with ``project``)."""
    access: CrossCloudAccess
    """AWS -> GCP access the sync function reads Firebase Storage with (required with a
    non-``demo-`` ``project``); it is granted object read on the Firebase bucket only."""
    max_delivery_attempts: int
    """Push attempts before a message goes to the dead-letter topic, 5-100 (default 5)."""


class MediaStore(HybridComponent):
    """Media on S3 + CloudFront with processing, and Firebase Storage uploads synced to it.

    Example:
        media = MediaStore("media", {"processing_handler": "pkg.media.handler.process"})
        Function("upload", {"handler": "pkg.media.upload.handle", "link": [media]})
    """

    TYPE: ClassVar[str] = "hybridstack:index:MediaStore"
    CHILD_ROLES: ClassVar[tuple[str, ...]] = (
        "log_bucket", "bucket", "origin_access_control", "cache_policy", "distribution",
        "queue", "queue_policy", "processor", "notification",
        "firebase_bucket", "firebase_storage", "reader_grant", "topic", "dead_letter_topic",
        "dead_letter_subscription", "storage_publisher", "notification_config",
        "push_service_account", "pubsub_agent_grant", "sync", "push_subscription",
    )  # fmt: skip

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    cdn_url: pulumi.Output[str]
    """``https://<distribution>.cloudfront.net`` ('' without a CDN)."""
    queue_url: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    firebase_bucket: pulumi.Output[str]
    """The Firebase Storage bucket name ('' without ``project``)."""
    push_endpoint: pulumi.Output[str]
    """Where Pub/Sub pushes object events ('' without ``project``)."""
    push_service_account_email: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: MediaStoreArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        a: dict[str, Any] = dict(args or {})
        _validate(name, a)
        super().__init__(name, transform=transform, opts=opts)
        self._prefix = env_prefix(name)
        links = list(a.get("link") or ())

        # -- S3: access logs, then the media bucket -------------------------------------------
        log_bucket = self.child(
            "log_bucket",
            SecureBucket,
            f"{name}-logs",
            {
                "args": {
                    "versioning": False,
                    "defer_policy": True,
                    "lifecycle_rules": [
                        {
                            "id": "expire-access-logs",
                            "status": "Enabled",
                            "filter": {"prefix": ""},
                            "expiration": {"days": 365 if is_production() else 30},
                        }
                    ],
                }
            },
        )
        bucket = self.child(
            "bucket",
            SecureBucket,
            name,
            {
                "args": {
                    "versioning": True,
                    "noncurrent_version_days": a.get("noncurrent_version_days", 30),
                    "lifecycle_rules": lifecycle_rules(
                        a.get("archive_after_days", 90), a.get("infrequent_access_after_days", 30)
                    ),
                    "cors_rules": cors_rules(a.get("cors_origins") or ()),
                    "access_log_bucket": log_bucket.bucket_name,
                    "access_log_prefix": f"{name}/",
                    "defer_policy": True,
                }
            },
        )
        self.media_bucket = bucket
        self.bucket_name = bucket.bucket_name
        self.bucket_arn = bucket.arn
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        log_bucket.attach_policy(
            [
                access_log_delivery_statement(
                    log_bucket.arn, bucket.arn, account.account_id, f"{name}/"
                )
            ]
        )

        # -- CloudFront ---------------------------------------------------------------------
        if a.get("cdn", True):
            distribution = self._distribution(name, bucket, a.get("price_class", "PriceClass_100"))
            bucket.attach_policy([cloudfront_read_statement(bucket.arn, distribution.arn)])
            self.cdn_url = distribution.domain_name.apply(lambda d: f"https://{d}")
        else:
            bucket.attach_policy([])
            self.cdn_url = pulumi.Output.from_input("")

        # -- processing: S3 ObjectCreated -> SQS (+DLQ) -> Function -----------------------------
        processing: dict[str, Any] = {
            "timeout": 120,
            "memory": 1024,
            **dict(a.get("processing") or {}),
            "handler": a["processing_handler"],
        }
        processing["link"] = [bucket, *links, *processing.get("link", ())]
        role_names = function_role_names(name)
        processor = self.child(
            "processor",
            Function,
            f"{name}-processor",
            {"args": processing, "transform": _named_role(role_names["processor"])},
        )
        self.processor = processor
        queue = self.child(
            "queue",
            Queue,
            f"{name}-uploads",
            {
                "args": {
                    "consumer_timeout": processor.timeout_seconds,
                    "max_receive_count": a.get("max_receive_count", 3),
                }
            },
        )
        self.queue_url = queue.url
        self.dead_letter_queue_url = queue.dead_letter_url
        queue.subscribe(processor, batch_size=a.get("processing_batch_size", 5))
        queue_policy = self.child(
            "queue_policy",
            aws.sqs.QueuePolicy,
            f"{name}-uploads",
            {
                "queue_url": queue.url,
                "policy": pulumi.Output.all(queue.arn, bucket.arn, account.account_id).apply(
                    lambda v: _s3_send_policy(v[0], v[1], v[2])
                ),
            },
        )
        self.child(
            "notification",
            aws.s3.BucketNotification,
            name,
            {
                "bucket": bucket.bucket.id,
                "queues": [
                    {
                        "id": f"process-{_slug(prefix)}",
                        "queue_arn": queue.arn,
                        "events": ["s3:ObjectCreated:*"],
                        "filter_prefix": prefix,
                    }
                    for prefix in PROCESSING_PREFIXES
                ],
            },
            opts=pulumi.ResourceOptions(depends_on=[queue_policy]),
        )

        # -- Firebase Storage and the sync path ------------------------------------------------
        self.firebase_bucket = pulumi.Output.from_input("")
        self.push_endpoint = pulumi.Output.from_input("")
        self.push_service_account_email = pulumi.Output.from_input("")
        if a.get("project") is not None:
            self._firebase(name, a, links)

        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "cdnUrl": self.cdn_url,
                "queueUrl": self.queue_url,
                "firebaseBucket": self.firebase_bucket,
                "pushEndpoint": self.push_endpoint,
            }
        )

    def _distribution(
        self, name: str, bucket: SecureBucket, price_class: str
    ) -> aws.cloudfront.Distribution:
        oac = self.child(
            "origin_access_control",
            aws.cloudfront.OriginAccessControl,
            name,
            {
                "description": f"{name} media bucket",
                "origin_access_control_origin_type": "s3",
                "signing_behavior": "always",
                "signing_protocol": "sigv4",
            },
        )
        policies = {
            tier.name: self.child(
                "cache_policy",
                aws.cloudfront.CachePolicy,
                f"{name}-{tier.name}",
                {
                    "comment": f"{name}: {tier.name} cache for media",
                    "min_ttl": tier.min_ttl,
                    "default_ttl": tier.default_ttl,
                    "max_ttl": tier.max_ttl,
                    "parameters_in_cache_key_and_forwarded_to_origin": {
                        "cookies_config": {"cookie_behavior": "none"},
                        "headers_config": {"header_behavior": "none"},
                        "query_strings_config": {"query_string_behavior": "none"},
                        "enable_accept_encoding_gzip": True,
                        "enable_accept_encoding_brotli": True,
                    },
                },
            )
            for tier in CACHE_TIERS
        }
        origin_id = f"{name}-s3"
        common = {
            "allowed_methods": ["GET", "HEAD", "OPTIONS"],
            "cached_methods": ["GET", "HEAD"],
            "target_origin_id": origin_id,
            "viewer_protocol_policy": "redirect-to-https",
            "compress": True,
        }
        return self.child(
            "distribution",
            aws.cloudfront.Distribution,
            name,
            {
                "enabled": True,
                "comment": f"{name} media",
                "price_class": price_class,
                "http_version": "http2and3",
                "is_ipv6_enabled": True,
                "origins": [
                    {
                        "origin_id": origin_id,
                        "domain_name": bucket.bucket_regional_domain_name,
                        "origin_access_control_id": oac.id,
                    }
                ],
                "default_cache_behavior": {**common, "cache_policy_id": policies["medium"].id},
                "ordered_cache_behaviors": [
                    {**common, "path_pattern": pattern, "cache_policy_id": policies[tier.name].id}
                    for pattern, tier in cache_behaviours()
                ],
                "restrictions": {"geo_restriction": {"restriction_type": "none"}},
                # The default *.cloudfront.net certificate (CloudFront then fixes the minimum TLS
                # version itself); use transform={"distribution": ...} for an ACM certificate.
                "viewer_certificate": {"cloudfront_default_certificate": True},
            },
        )

    def _firebase(self, name: str, a: dict[str, Any], links: list[Any]) -> None:
        project: pulumi.Input[str] = a["project"]
        production = is_production()
        access: CrossCloudAccess | None = a.get("access")
        api: HttpApi = a["api"]
        number = gcp.organizations.get_project_output(
            project_id=project, opts=pulumi.InvokeOutputOptions(parent=self)
        ).number
        firebase_bucket = self.child(
            "firebase_bucket",
            gcp.storage.Bucket,
            f"{name}-uploads",
            {
                "project": project,
                "location": a.get("storage_location", "US"),
                "uniform_bucket_level_access": True,
                "public_access_prevention": "enforced",
                "versioning": {"enabled": True},
                "force_destroy": not production,
                "cors": [
                    {
                        "origins": list(a["cors_origins"]),
                        "methods": ["GET", "HEAD", "PUT", "POST"],
                        "response_headers": ["Content-Type", "Authorization"],
                        "max_age_seconds": 3600,
                    }
                ]
                if a.get("cors_origins")
                else [],
            },
        )
        self.child(
            "firebase_storage",
            gcp.firebase.StorageBucket,
            f"{name}-uploads",
            {"project": project, "bucket_id": firebase_bucket.name},
        )
        self.firebase_bucket = firebase_bucket.name
        if access is not None:
            self.child(
                "reader_grant",
                gcp.storage.BucketIAMMember,
                f"{name}-uploads-reader",
                {
                    "bucket": firebase_bucket.name,
                    "role": "roles/storage.objectViewer",
                    "member": access.service_account_member,
                },
            )

        topic = self.child(
            "topic",
            gcp.pubsub.Topic,
            f"{name}-uploads",
            {"project": project, "message_retention_duration": "86400s"},
        )
        dead_letter_topic = self.child(
            "dead_letter_topic", gcp.pubsub.Topic, f"{name}-uploads-dead", {"project": project}
        )
        # A dead-letter topic without a subscription drops what it receives: keep it 7 days.
        self.child(
            "dead_letter_subscription",
            gcp.pubsub.Subscription,
            f"{name}-uploads-dead",
            {
                "project": project,
                "topic": dead_letter_topic.id,
                "message_retention_duration": "604800s",
                "retain_acked_messages": True,
                "expiration_policy": {"ttl": ""},
            },
        )
        storage_agent = gcp.storage.get_project_service_account_output(
            project=project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        publisher = self.child(
            "storage_publisher",
            gcp.pubsub.TopicIAMMember,
            f"{name}-storage-publishes",
            {
                "project": project,
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
                "bucket": firebase_bucket.name,
                "topic": topic.id,
                "payload_format": "JSON_API_V1",
                "event_types": list(PUBSUB_EVENT_TYPES),
            },
            opts=pulumi.ResourceOptions(depends_on=[publisher]),
        )

        push_account = self.child(
            "push_service_account",
            gcp.serviceaccount.Account,
            f"{name}-push",
            {
                "project": project,
                "account_id": _push_account_id(name),
                "display_name": f"{name}: signs Pub/Sub pushes to AWS",
                "description": "Identity in the OIDC tokens of media sync pushes; holds no roles.",
            },
        )
        self.push_service_account_email = push_account.email
        pubsub_agent = number.apply(
            lambda n: f"serviceAccount:service-{n}@gcp-sa-pubsub.iam.gserviceaccount.com"
        )
        token_grant = self.child(
            "pubsub_agent_grant",
            gcp.serviceaccount.IAMMember,
            f"{name}-pubsub-signs-push",
            {
                "service_account_id": push_account.name,
                "role": "roles/iam.serviceAccountTokenCreator",
                "member": pubsub_agent,
            },
        )
        dead_letter_grant = self.child(
            "pubsub_agent_grant",
            gcp.pubsub.TopicIAMMember,
            f"{name}-pubsub-dead-letters",
            {
                "project": project,
                "topic": dead_letter_topic.id,
                "role": "roles/pubsub.publisher",
                "member": pubsub_agent,
            },
        )

        endpoint = api.url.apply(lambda u: u.rstrip("/") + SYNC_ROUTE.split(" ", 1)[1])
        self.push_endpoint = endpoint
        sync_links: list[Any] = [self.media_bucket, *links]
        if access is not None:
            sync_links.append(access)
        sync_args: dict[str, Any] = {
            "timeout": 60,
            "memory": 512,
            **dict(a.get("sync") or {}),
            "handler": a["sync_handler"],
        }
        sync_args["link"] = [*sync_links, *sync_args.get("link", ())]
        sync_args["environment"] = {
            **dict(sync_args.get("environment") or {}),
            f"{self._prefix}_FIREBASE_BUCKET": firebase_bucket.name,
            f"{self._prefix}_PUSH_SERVICE_ACCOUNT": push_account.email,
            f"{self._prefix}_PUSH_AUDIENCE": endpoint,
        }
        sync = self.child(
            "sync",
            Function,
            f"{name}-sync",
            {"args": sync_args, "transform": _named_role(function_role_names(name)["sync"])},
        )
        self.sync_function = sync
        api.route(
            SYNC_ROUTE,
            sync,
            authorizer=JwtAuthorizerConfig(
                issuer=GOOGLE_ISSUER, audience=[endpoint], name=f"{name}-pubsub-push"
            ),
        )

        subscription = self.child(
            "push_subscription",
            gcp.pubsub.Subscription,
            f"{name}-uploads-to-aws",
            {
                "project": project,
                "topic": topic.id,
                "ack_deadline_seconds": 60,
                "message_retention_duration": "604800s",
                "expiration_policy": {"ttl": ""},
                "push_config": {
                    "push_endpoint": endpoint,
                    "oidc_token": {
                        "service_account_email": push_account.email,
                        "audience": endpoint,
                    },
                },
                "retry_policy": {"minimum_backoff": "10s", "maximum_backoff": "600s"},
                "dead_letter_policy": {
                    "dead_letter_topic": dead_letter_topic.id,
                    "max_delivery_attempts": a.get("max_delivery_attempts", 5),
                },
            },
            opts=pulumi.ResourceOptions(depends_on=[token_grant, dead_letter_grant]),
        )
        # Pub/Sub acknowledges a message it dead-letters on the source subscription.
        self.child(
            "pubsub_agent_grant",
            gcp.pubsub.SubscriptionIAMMember,
            f"{name}-pubsub-acks-dead-letters",
            {
                "project": project,
                "subscription": subscription.name,
                "role": "roles/pubsub.subscriber",
                "member": pubsub_agent,
            },
        )

    def link_spec(self) -> LinkSpec:
        """Read/write objects of the S3 bucket; bucket, CDN URL and Firebase bucket names."""
        return self._spec(self.media_bucket.link_spec())

    def read_only(self) -> LinkSpec:
        """Read objects of the S3 bucket; the same environment variables."""
        return self._spec(self.media_bucket.read_only())

    def _spec(self, bucket: LinkSpec) -> LinkSpec:
        return LinkSpec(
            statements=bucket.statements,
            environment={
                **bucket.environment,
                f"{self._prefix}_BUCKET": self.bucket_name,
                f"{self._prefix}_CDN_URL": self.cdn_url,
                f"{self._prefix}_FIREBASE_BUCKET": self.firebase_bucket,
            },
        )


def _s3_send_policy(queue_arn: str, bucket_arn: str, account_id: str) -> str:
    """Let S3 event notifications of exactly this bucket, in this account, send to the queue."""
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowS3ObjectCreated",
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": bucket_arn},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                }
            ],
        }
    )


def _push_account_id(name: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    base = re.sub(r"^[^a-z]+", "", base) or "media"
    account = f"{base[:25].rstrip('-')}-push"
    return account if len(account) >= 6 else f"{account}-sa"


def _int(owner: str, a: dict[str, Any], arg: str, low: int, high: int) -> None:
    value = a.get(arg)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ComponentArgsError(f"{owner}: {arg}={value!r} must be a whole number {low}-{high}")


def _validate(name: str, a: dict[str, Any]) -> None:
    owner = f"MediaStore {name!r}"
    known = set(MediaStoreArgs.__annotations__)
    unknown = sorted(set(a) - known)
    if unknown:
        raise ComponentArgsError(
            f"{owner}: unknown argument(s) {', '.join(unknown)}; "
            f"the arguments are: {', '.join(sorted(known))}"
        )
    if not a.get("processing_handler"):
        raise ComponentArgsError(
            f"{owner}: processing_handler (dotted path of the S3-event handler) is required"
        )
    for arg in ("processing", "sync"):
        extra = a.get(arg) or {}
        if "handler" in extra:
            raise ComponentArgsError(
                f"{owner}: give the handler as {arg}_handler, not inside {arg}"
            )
    _int(owner, a, "processing_batch_size", 1, 10)
    _int(owner, a, "max_receive_count", 1, 1000)
    _int(owner, a, "archive_after_days", 1, 36500)
    _int(owner, a, "infrequent_access_after_days", 30, 36500)
    _int(owner, a, "noncurrent_version_days", 1, 36500)
    _int(owner, a, "max_delivery_attempts", 5, 100)
    archive = a.get("archive_after_days", 90)
    if archive < 30 and a.get("infrequent_access_after_days", 30) < archive:
        raise ComponentArgsError(f"{owner}: archive_after_days={archive} is below 30")
    origins = a.get("cors_origins") or ()
    if isinstance(origins, str):
        raise ComponentArgsError(f"{owner}: cors_origins must be a list of origins")
    for origin in origins:
        if origin == "*" or not re.match(r"^[a-z][a-z0-9+.-]*://[^/\s]+$", str(origin)):
            raise ComponentArgsError(
                f"{owner}: cors_origins entry {origin!r} must be an origin like "
                "'https://app.example.com' or 'capacitor://localhost' (no '*', no path)"
            )
    price_class = a.get("price_class", "PriceClass_100")
    if price_class not in ("PriceClass_100", "PriceClass_200", "PriceClass_All"):
        raise ComponentArgsError(
            f"{owner}: price_class {price_class!r} must be PriceClass_100, PriceClass_200 or "
            "PriceClass_All"
        )
    project = a.get("project")
    if project is None:
        for arg in ("sync_handler", "api", "access", "sync", "storage_location"):
            if a.get(arg) is not None:
                raise ComponentArgsError(
                    f"{owner}: {arg} belongs to the Firebase Storage sync path; give project too"
                )
        return
    if not a.get("sync_handler"):
        raise ComponentArgsError(
            f"{owner}: with project (Firebase Storage uploads), sync_handler is required: "
            "uploads must reach S3"
        )
    if not isinstance(a.get("api"), HttpApi):
        raise ComponentArgsError(
            f"{owner}: with project (Firebase Storage uploads), api must be the HttpApi that "
            "receives the Pub/Sub pushes"
        )
    access = a.get("access")
    if access is not None and not isinstance(access, CrossCloudAccess):
        raise ComponentArgsError(f"{owner}: access must be a CrossCloudAccess, not {access!r}")
    if access is not None:
        sync_role = function_role_names(name)["sync"]
        if access.trusts_role(sync_role) is False:
            raise ComponentArgsError(
                f"{owner}: access {access.component_name!r} does not trust the sync function's "
                f"role {sync_role!r}; add it to its trusted_aws_roles "
                "(media_store.function_role_names gives the names)"
            )
    if access is None and not (isinstance(project, str) and is_demo_project(project)):
        raise ComponentArgsError(
            f"{owner}: access (a CrossCloudAccess trusting the sync function's role) is required "
            "to read Firebase Storage from AWS; only demo- projects (emulators) go without"
        )
