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

**Firebase.** With ``uploads``, a :class:`~hybridstack.components.firebase_uploads.FirebaseUploads`
named after the store: clients upload with the Firebase SDK to a Firebase Storage bucket, and
each object is pushed through Pub/Sub to ``POST /media/sync`` on the AWS ``HttpApi``, whose sync
Function writes it to this S3 bucket, where processing picks it up.

Linking the MediaStore grants read/write on the S3 bucket only and sets ``<NAME>_BUCKET`` (and
``<NAME>_BUCKET_NAME``), ``<NAME>_CDN_URL`` and ``<NAME>_FIREBASE_BUCKET``;
``media.read_only()`` grants reading.

Example:
    roles = list(function_role_names("media").values())    # processor and sync
    access = CrossCloudAccess("xc", {"project": "acme-prod", "trusted_aws_roles": roles})
    api = HttpApi("api", {"authorizer": identity})
    media = MediaStore("media", {
        "processing_handler": "hybridstack.services.media.events.handle",
        "cors_origins": ["https://app.acme.com", "capacitor://localhost"],
        "uploads": {"project": "acme-prod", "api": api, "access": access,
                    "sync_handler": "hybridstack.services.media.sync.handle"},
    })
    upload_fn = Function("media-api", {"handler": "hybridstack.services.media.api.handle",
                                       "link": [media]})
    api.route("POST /media/upload", upload_fn)
    pulumi.export("cdn", media.cdn_url)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import (
    ComponentArgs,
    ComponentArgsError,
    in_range,
    one_of,
    refuse,
)
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.cross_cloud_access import fixed_role_name, with_role_name
from hybridstack.components.firebase_uploads import (
    FirebaseUploads,
    FirebaseUploadsArgs,
    check_cors_origins,
)
from hybridstack.components.function import Function
from hybridstack.components.link import Linkable, LinkSpec, env_prefix, link_variable
from hybridstack.components.policy_document import policy_json
from hybridstack.components.queue import Queue
from hybridstack.components.secure_bucket import (
    SecureBucket,
    access_log_delivery_statement,
    cloudfront_read_statement,
)
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import BUCKET, CDN_URL, FIREBASE_BUCKET

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

PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")
PROCESSING_TIMEOUT_SECONDS = 120
PROCESSING_MEMORY_MB = 1024


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
    ``CrossCloudAccess("xc", {"trusted_aws_roles": list(function_role_names("media").values())})``.
    """
    return {role: fixed_role_name(name, role, stack) for role in ("processor", "sync")}


def s3_send_policy(queue_arn: str, bucket_arn: str, account_id: str) -> str:
    """Let S3 event notifications of exactly this bucket, in this account, send to the queue."""
    return policy_json(
        [
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
        ]
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True, kw_only=True)
class MediaStoreArgs(ComponentArgs):
    """The media pipeline: handlers, retention, clients, and the Firebase upload side."""

    processing_handler: str
    """Dotted path of the processing handler (SQS batch of S3 events; required), e.g.
    ``hybridstack.services.media.events.handle``."""
    processing: Mapping[str, Any] = field(default_factory=dict)
    """More Function args for the processor (timeout 120 s and 1024 MB unless given)."""
    processing_batch_size: int = 5
    """S3 events per processor invocation, 1-10."""
    max_receive_count: int = 3
    """Deliveries before an event goes to the dead-letter queue, 1-1000."""
    link: Sequence[Linkable | LinkSpec] = ()
    """More links for the processor and the sync function (a database, a RealtimeStore...)."""
    cors_origins: Sequence[str] = ()
    """Origins of web/hybrid clients allowed to read and upload (none by default)."""
    archive_after_days: int = 90
    """Days before originals move to Glacier Instant Retrieval (at least 30 unless Standard-IA
    is skipped)."""
    infrequent_access_after_days: int = 30
    """Days before originals move to Standard-IA, 30 or more (>= archive days skips it)."""
    noncurrent_version_days: int = 30
    """Days to keep replaced/deleted versions."""
    cdn: bool = True
    """Create the CloudFront distribution."""
    price_class: str = PRICE_CLASSES[0]
    """CloudFront price class: ``PriceClass_100``, ``PriceClass_200`` or ``PriceClass_All``."""
    uploads: FirebaseUploadsArgs | Mapping[str, Any] | None = None
    """Firebase Storage uploads synced into this store (a FirebaseUploads named after it):
    ``project``, ``api``, ``sync_handler``, ``access``... (see ``FirebaseUploadsArgs``);
    ``cors_origins`` defaults to this store's. None: no Firebase side."""

    def __post_init__(self) -> None:
        if not self.processing_handler:
            refuse("processing_handler (dotted path of the S3-event handler) is required")
        if "handler" in self.processing:
            refuse("give the handler as processing_handler, not inside processing")
        in_range("processing_batch_size", self.processing_batch_size, 1, 10)
        in_range("max_receive_count", self.max_receive_count, 1, 1000)
        in_range("archive_after_days", self.archive_after_days, 1, 36500)
        in_range("infrequent_access_after_days", self.infrequent_access_after_days, 30, 36500)
        in_range("noncurrent_version_days", self.noncurrent_version_days, 1, 36500)
        archive = self.archive_after_days
        if archive < 30 and self.infrequent_access_after_days < archive:
            refuse(f"archive_after_days={archive} is below 30")
        check_cors_origins("cors_origins", self.cors_origins)
        one_of("price_class", self.price_class, PRICE_CLASSES)
        if isinstance(self.uploads, Mapping):
            given = {"cors_origins": self.cors_origins, **self.uploads}
            parsed = FirebaseUploadsArgs.parse(given, owner="uploads")
            object.__setattr__(self, "uploads", parsed)
        elif self.uploads is not None and not isinstance(self.uploads, FirebaseUploadsArgs):
            refuse(f"uploads must be a mapping of FirebaseUploads args, not {self.uploads!r}")


class MediaStoreTransforms(TypedDict, total=False):
    """Reshape a child of the MediaStore before it is created (see ``HybridComponent``)."""

    log_bucket: Transform
    """``SecureBucket``: receives the media bucket's access logs."""
    bucket: Transform
    """``SecureBucket``: the media bucket."""
    origin_access_control: Transform
    """``aws.cloudfront.OriginAccessControl``: CloudFront's signed access to the bucket."""
    cache_policy: Transform
    """``aws.cloudfront.CachePolicy``: each cache tier (long, medium, short)."""
    distribution: Transform
    """``aws.cloudfront.Distribution``: the CDN."""
    processor: Transform
    """``Function``: processes what lands under the upload prefixes."""
    queue: Transform
    """``Queue``: S3 events waiting for the processor (with a dead-letter queue)."""
    queue_policy: Transform
    """``aws.sqs.QueuePolicy``: this bucket's notifications may send to the queue."""
    notification: Transform
    """``aws.s3.BucketNotification``: ``ObjectCreated`` under the upload prefixes -> queue."""
    uploads: Transform
    """``FirebaseUploads``: the Firebase Storage side (reshape its children through its own
    ``transform``)."""


class MediaStore(HybridComponent):
    """Media on S3 + CloudFront with processing, and Firebase Storage uploads synced to it.

    Example:
        media = MediaStore("media", {
            "processing_handler": "hybridstack.services.media.events.handle"})
        Function("media-api", {"handler": "hybridstack.services.media.api.handle",
                               "link": [media]})
    """

    TYPE = "hybridstack:index:MediaStore"
    TRANSFORMS = MediaStoreTransforms

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    cdn_url: pulumi.Output[str]
    """``https://<distribution>.cloudfront.net`` ('' without a CDN)."""
    queue_url: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    firebase_bucket: pulumi.Output[str]
    """The Firebase Storage bucket name ('' without ``uploads``)."""
    push_endpoint: pulumi.Output[str]
    """Where Pub/Sub pushes object events ('' without ``uploads``)."""
    push_service_account_email: pulumi.Output[str]
    processor: Function
    """The processing function."""
    uploads: FirebaseUploads | None
    """The Firebase Storage side (None without ``uploads``)."""
    sync_function: Function | None
    """The function behind ``POST /media/sync`` (None without ``uploads``)."""

    def __init__(
        self,
        name: str,
        args: MediaStoreArgs | Mapping[str, Any] | None = None,
        *,
        transform: MediaStoreTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"MediaStore {name!r}"
        settings = MediaStoreArgs.parse(args, owner=owner)
        uploads = settings.uploads
        if isinstance(uploads, FirebaseUploadsArgs):
            try:
                uploads.check_access_trusts(name)
            except ComponentArgsError as error:
                raise ComponentArgsError(f"{owner}: uploads: {error}") from None
        super().__init__(name, transform=transform, opts=opts)
        env_prefix(name)  # a name no link variable can be made of fails here, not when linked
        self._account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id

        log_bucket = self._create_log_bucket()
        bucket = self._create_bucket(settings, log_bucket)
        self._serve_through_cdn(settings, bucket)
        self.processor = self._create_processor(settings, bucket)
        self._process_uploads(settings, bucket, self.processor)
        self.uploads = self._create_firebase_uploads(settings, bucket)
        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "cdnUrl": self.cdn_url,
                "queueUrl": self.queue_url,
                "firebaseBucket": self.firebase_bucket,
                "pushEndpoint": self.push_endpoint,
            }
        )

    def _create_log_bucket(self) -> SecureBucket:
        return self.child(
            "log_bucket",
            SecureBucket,
            f"{self.component_name}-logs",
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

    def _create_bucket(self, settings: MediaStoreArgs, log_bucket: SecureBucket) -> SecureBucket:
        """The media bucket (versioned, archived, CORS), logging to ``log_bucket``."""
        name = self.component_name
        bucket = self.child(
            "bucket",
            SecureBucket,
            name,
            {
                "args": {
                    "versioning": True,
                    "noncurrent_version_days": settings.noncurrent_version_days,
                    "lifecycle_rules": lifecycle_rules(
                        settings.archive_after_days, settings.infrequent_access_after_days
                    ),
                    "cors_rules": cors_rules(settings.cors_origins),
                    "access_log_bucket": log_bucket.bucket_name,
                    "access_log_prefix": f"{name}/",
                    "defer_policy": True,
                }
            },
        )
        log_bucket.attach_policy(
            [
                access_log_delivery_statement(
                    log_bucket.arn, bucket.arn, self._account_id, f"{name}/"
                )
            ]
        )
        self.media_bucket = bucket
        self.bucket_name = bucket.bucket_name
        self.bucket_arn = bucket.arn
        return bucket

    def _serve_through_cdn(self, settings: MediaStoreArgs, bucket: SecureBucket) -> None:
        """The CloudFront distribution and the bucket policy letting it read (when ``cdn``)."""
        if not settings.cdn:
            bucket.attach_policy([])
            self.cdn_url = pulumi.Output.from_input("")
            return
        distribution = self._distribution(self.component_name, bucket, settings.price_class)
        bucket.attach_policy([cloudfront_read_statement(bucket.arn, distribution.arn)])
        self.cdn_url = distribution.domain_name.apply(lambda d: f"https://{d}")

    def _create_processor(self, settings: MediaStoreArgs, bucket: SecureBucket) -> Function:
        name = self.component_name
        given = dict(settings.processing)
        return self.child(
            "processor",
            Function,
            f"{name}-processor",
            {
                "args": {
                    "timeout": PROCESSING_TIMEOUT_SECONDS,
                    "memory": PROCESSING_MEMORY_MB,
                    **given,
                    "handler": settings.processing_handler,
                    "link": [bucket, *settings.link, *given.get("link", ())],
                },
                "transform": {"role": with_role_name(fixed_role_name(name, "processor"))},
            },
        )

    def _process_uploads(
        self, settings: MediaStoreArgs, bucket: SecureBucket, processor: Function
    ) -> None:
        """S3 ``ObjectCreated`` under the upload prefixes -> SQS (+DLQ) -> the processor."""
        name = self.component_name
        queue = self.child(
            "queue",
            Queue,
            f"{name}-uploads",
            {
                "args": {
                    "consumer_timeout": processor.timeout_seconds,
                    "max_receive_count": settings.max_receive_count,
                }
            },
        )
        self.queue_url = queue.url
        self.dead_letter_queue_url = queue.dead_letter_url
        queue.subscribe(processor, batch_size=settings.processing_batch_size)
        queue_policy = self.child(
            "queue_policy",
            aws.sqs.QueuePolicy,
            f"{name}-uploads",
            {
                "queue_url": queue.url,
                "policy": pulumi.Output.all(queue.arn, bucket.arn, self._account_id).apply(
                    lambda v: s3_send_policy(v[0], v[1], v[2])
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

    def _create_firebase_uploads(
        self, settings: MediaStoreArgs, bucket: SecureBucket
    ) -> FirebaseUploads | None:
        """The Firebase Storage side, its sync function linked to this bucket (with ``uploads``)."""
        uploads = settings.uploads
        if not isinstance(uploads, FirebaseUploadsArgs):
            self.sync_function = None
            self.firebase_bucket = pulumi.Output.from_input("")
            self.push_endpoint = pulumi.Output.from_input("")
            self.push_service_account_email = pulumi.Output.from_input("")
            return None
        linked = dataclasses.replace(uploads, link=[bucket, *settings.link, *uploads.link])
        component = self.child("uploads", FirebaseUploads, self.component_name, {"args": linked})
        self.sync_function = component.sync_function
        self.firebase_bucket = component.bucket_name
        self.push_endpoint = component.push_endpoint
        self.push_service_account_email = component.push_service_account_email
        return component

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
                link_variable(self.component_name, BUCKET): self.bucket_name,
                link_variable(self.component_name, CDN_URL): self.cdn_url,
                link_variable(self.component_name, FIREBASE_BUCKET): self.firebase_bucket,
            },
        )
