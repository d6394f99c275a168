"""SecureBucket: an S3 bucket with the safe defaults every hybridstack bucket shares.

Encrypted (SSE-S3, or SSE-KMS with a bucket key when given a key), all public access blocked,
object ownership enforced (no ACLs), a bucket policy that denies any request not made over TLS,
versioning on (expiring old versions after ``noncurrent_version_days``), incomplete multipart
uploads aborted after a week, optional CORS, lifecycle rules and server access logging.

It is the building block of ``StaticSite`` and ``MediaStore``. S3 allows one policy per bucket,
so other statements (a CloudFront distribution's read access, log delivery) go through
``policy_statements``; when they depend on something created after the bucket (the distribution
ARN), pass ``defer_policy=True`` and call :meth:`SecureBucket.attach_policy` once, later. The
deny-non-TLS statement is always part of the policy.

Linking a SecureBucket grants object read/write (``bucket.read_only()``: read) on this bucket
only and sets ``<NAME>_BUCKET_NAME``.

Example:
    media = SecureBucket("media", {
        "cors_rules": [{"allowed_methods": ["PUT"], "allowed_origins": ["https://app.example.com"],
                        "allowed_headers": ["*"], "max_age_seconds": 3000}],
        "lifecycle_rules": [{"id": "archive", "status": "Enabled", "filter": {"prefix": "videos/"},
                             "transitions": [{"days": 30, "storage_class": "GLACIER_IR"}]}],
        "access_log_bucket": logs.bucket_name,
    })
    Function("thumbs", {"handler": "hybridstack.services.media.events.handle",
                        "link": [media]})                        # -> MEDIA_BUCKET_NAME

    site = SecureBucket("site", {"defer_policy": True})
    ...  # create the distribution from site.bucket_regional_domain_name
    site.attach_policy([cloudfront_read_statement(site.arn, distribution.arn)])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, ComponentArgsError, in_range, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.link import IamStatement, LinkSpec, key_use_statement, link_variable
from hybridstack.components.policy_document import policy_json
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import BUCKET_NAME

READ_ACTIONS = ("s3:GetObject",)
WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
LIST_ACTIONS = ("s3:ListBucket",)


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """The statement denying every request to the bucket and its objects made without TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def cloudfront_read_statement(
    bucket_arn: pulumi.Input[str],
    distribution_arn: pulumi.Input[str],
    prefix: str = "",
) -> dict[str, Any]:
    """Let one CloudFront distribution (origin access control) read objects, nothing else."""
    return {
        "Sid": "AllowCloudFrontRead",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": pulumi.Output.concat(bucket_arn, "/", prefix, "*"),
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


def access_log_delivery_statement(
    log_bucket_arn: pulumi.Input[str],
    source_bucket_arn: pulumi.Input[str],
    account_id: pulumi.Input[str],
    prefix: str = "",
) -> dict[str, Any]:
    """Let S3 server access logging of ``source_bucket_arn`` write into the log bucket."""
    return {
        "Sid": "AllowS3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(log_bucket_arn, "/", prefix, "*"),
        "Condition": {
            "ArnLike": {"aws:SourceArn": source_bucket_arn},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    }


def bucket_policy_json(
    bucket_arn: pulumi.Input[str], statements: Sequence[pulumi.Input[Mapping[str, Any]]] = ()
) -> pulumi.Output[str]:
    """The bucket policy: deny non-TLS first, then ``statements`` (outputs resolved)."""
    docs: list[Any] = [deny_insecure_transport(bucket_arn), *statements]
    return pulumi.Output.from_input(docs).apply(policy_json)


def default_lifecycle_rules(noncurrent_version_days: int | None) -> list[dict[str, Any]]:
    """Abort incomplete multipart uploads after 7 days; expire old versions if versioned."""
    rules: list[dict[str, Any]] = [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        }
    ]
    if noncurrent_version_days:
        rules.append(
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "noncurrent_version_expiration": {"noncurrent_days": noncurrent_version_days},
            }
        )
    return rules


DEFAULT_NONCURRENT_VERSION_DAYS = 90


@dataclass(frozen=True, kw_only=True)
class SecureBucketArgs(ComponentArgs):
    """Encryption, versioning, lifecycle, CORS, logging and extra policy of the bucket."""

    versioning: bool = True
    """Keep object versions."""
    noncurrent_version_days: int = DEFAULT_NONCURRENT_VERSION_DAYS
    """Days to keep replaced versions when versioned (0 keeps them forever)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Encrypt with this KMS key (SSE-KMS + bucket key) instead of SSE-S3."""
    force_destroy: bool | None = None
    """Delete objects with the bucket (default: yes, except on production stacks)."""
    lifecycle_rules: Sequence[Mapping[str, Any]] = ()
    """Extra lifecycle rules, in ``aws.s3.BucketLifecycleConfiguration`` rule shape, each with a
    unique ``id``."""
    cors_rules: Sequence[Mapping[str, Any]] = ()
    """CORS rules, in ``aws.s3.BucketCorsConfiguration`` rule shape (none by default)."""
    access_log_bucket: pulumi.Input[str] | None = None
    """Name of the bucket receiving S3 server access logs (none by default)."""
    access_log_prefix: str | None = None
    """Key prefix of the access logs (default ``<name>/``)."""
    policy_statements: Sequence[pulumi.Input[Mapping[str, Any]]] = ()
    """Extra bucket policy statements (deny-non-TLS is always included)."""
    defer_policy: bool = False
    """Create the policy later, with ``attach_policy`` (for statements on later resources)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the bucket."""

    def __post_init__(self) -> None:
        in_range("noncurrent_version_days", self.noncurrent_version_days, 0, 36_500)
        for arg in ("lifecycle_rules", "cors_rules"):
            rules = getattr(self, arg)
            if isinstance(rules, Mapping) or not all(isinstance(r, Mapping) for r in rules):
                refuse(f"{arg} must be a list of rule dicts")
        for index, rule in enumerate(self.cors_rules):
            if not rule.get("allowed_methods") or not rule.get("allowed_origins"):
                refuse(f"cors_rules[{index}] needs allowed_methods and allowed_origins")
        ids = [rule.get("id") for rule in self.lifecycle_rules]
        if any(not i for i in ids) or len(set(ids)) != len(ids):
            refuse("every lifecycle_rules entry needs a unique 'id'")
        if self.defer_policy and self.policy_statements:
            refuse("with defer_policy=True pass the statements to attach_policy()")


class SecureBucketTransforms(TypedDict, total=False):
    """Reshape a child of the SecureBucket before it is created (see ``HybridComponent``)."""

    bucket: Transform
    """``aws.s3.Bucket``: the bucket."""
    ownership_controls: Transform
    """``aws.s3.BucketOwnershipControls``: object ownership (ACLs off)."""
    public_access_block: Transform
    """``aws.s3.BucketPublicAccessBlock``: all public access blocked."""
    encryption: Transform
    """``aws.s3.BucketServerSideEncryptionConfiguration``: SSE-S3 or SSE-KMS."""
    versioning: Transform
    """``aws.s3.BucketVersioning``: versioning (``versioning=True``)."""
    lifecycle: Transform
    """``aws.s3.BucketLifecycleConfiguration``: the default and your lifecycle rules."""
    cors: Transform
    """``aws.s3.BucketCorsConfiguration``: CORS (with ``cors_rules``)."""
    logging: Transform
    """``aws.s3.BucketLogging``: server access logs (with ``access_log_bucket``)."""
    policy: Transform
    """``aws.s3.BucketPolicy``: deny-non-TLS plus your statements."""


@dataclass(frozen=True)
class ExistingBucket:
    """A bucket created elsewhere, linkable like a SecureBucket (``SecureBucket.from_existing``)."""

    name: str
    bucket_name: pulumi.Input[str]

    def _spec(self, object_actions: Sequence[str]) -> LinkSpec:
        arn = pulumi.Output.concat("arn:aws:s3:::", self.bucket_name)
        return _bucket_spec(self.name, arn, self.bucket_name, object_actions, None)

    def link_spec(self) -> LinkSpec:
        """Read, write and delete its objects, list it."""
        return self._spec((*READ_ACTIONS, *WRITE_ACTIONS))

    def read_only(self) -> LinkSpec:
        """Read its objects and list it."""
        return self._spec(READ_ACTIONS)


def _bucket_spec(
    name: str,
    arn: pulumi.Input[str],
    bucket_name: pulumi.Input[str],
    object_actions: Sequence[str],
    kms_key_arn: pulumi.Input[str] | None,
) -> LinkSpec:
    """``object_actions`` on its objects, listing it (and its key); ``<NAME>_BUCKET_NAME``."""
    statements = [
        IamStatement(list(object_actions), [pulumi.Output.concat(arn, "/*")]),
        IamStatement(list(LIST_ACTIONS), [arn]),
    ]
    if kms_key_arn is not None:
        writes = object_actions != READ_ACTIONS
        statements.append(key_use_statement(kms_key_arn, writes=writes))
    return LinkSpec(
        statements=statements, environment={link_variable(name, BUCKET_NAME): bucket_name}
    )


class SecureBucket(HybridComponent):
    """An encrypted, private, TLS-only S3 bucket; linkable for least-privilege object access.

    Example:
        uploads = SecureBucket("uploads", {"versioning": True})
        Function("worker", {"handler": "hybridstack.services.media.events.handle",
                            "link": [uploads.read_only()]})
    """

    TYPE = "hybridstack:aws:SecureBucket"
    TRANSFORMS = SecureBucketTransforms

    bucket_name: pulumi.Output[str]
    """The physical bucket name."""
    arn: pulumi.Output[str]
    """The bucket ARN."""
    bucket_regional_domain_name: pulumi.Output[str]
    """The regional endpoint (a CloudFront origin's domain name)."""

    def __init__(
        self,
        name: str,
        args: SecureBucketArgs | Mapping[str, Any] | None = None,
        *,
        transform: SecureBucketTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = SecureBucketArgs.parse(args, owner=f"SecureBucket {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self.kms_key_arn = settings.kms_key_arn
        self.policy: aws.s3.BucketPolicy | None = None

        self.bucket = bucket = self._create_bucket(settings)
        ownership = self._create_ownership_controls()
        block = self._create_public_access_block()
        self._create_encryption(settings)
        versioning = self._create_versioning(settings)
        self._create_lifecycle(settings, versioning)
        self._create_cors(settings)
        self._create_logging(settings)
        self._policy_deps: list[pulumi.Resource] = [ownership, block]

        self.bucket_name = bucket.bucket
        self.arn = bucket.arn
        self.bucket_regional_domain_name = bucket.bucket_regional_domain_name
        if not settings.defer_policy:
            self.attach_policy(settings.policy_statements)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "arn": self.arn,
                "bucket_regional_domain_name": self.bucket_regional_domain_name,
            }
        )

    def _after_bucket(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(depends_on=[self.bucket])

    def _create_bucket(self, settings: SecureBucketArgs) -> aws.s3.Bucket:
        force_destroy = settings.force_destroy
        return self.child(
            "bucket",
            aws.s3.Bucket,
            self.component_name,
            {
                "force_destroy": not is_production() if force_destroy is None else force_destroy,
                "tags": dict(settings.tags),
            },
        )

    def _create_ownership_controls(self) -> aws.s3.BucketOwnershipControls:
        return self.child(
            "ownership_controls",
            aws.s3.BucketOwnershipControls,
            self.component_name,
            {"bucket": self.bucket.id, "rule": {"object_ownership": "BucketOwnerEnforced"}},
            opts=self._after_bucket(),
        )

    def _create_public_access_block(self) -> aws.s3.BucketPublicAccessBlock:
        return self.child(
            "public_access_block",
            aws.s3.BucketPublicAccessBlock,
            self.component_name,
            {
                "bucket": self.bucket.id,
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
            opts=self._after_bucket(),
        )

    def _create_encryption(self, settings: SecureBucketArgs) -> None:
        kms_key_arn = settings.kms_key_arn
        default_encryption: dict[str, Any] = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
            if kms_key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        self.child(
            "encryption",
            aws.s3.BucketServerSideEncryptionConfiguration,
            self.component_name,
            {
                "bucket": self.bucket.id,
                "rules": [
                    {
                        "apply_server_side_encryption_by_default": default_encryption,
                        "bucket_key_enabled": kms_key_arn is not None,
                    }
                ],
            },
            opts=self._after_bucket(),
        )

    def _create_versioning(self, settings: SecureBucketArgs) -> aws.s3.BucketVersioning | None:
        if not settings.versioning:
            return None
        return self.child(
            "versioning",
            aws.s3.BucketVersioning,
            self.component_name,
            {"bucket": self.bucket.id, "versioning_configuration": {"status": "Enabled"}},
            opts=self._after_bucket(),
        )

    def _create_lifecycle(
        self, settings: SecureBucketArgs, versioning: aws.s3.BucketVersioning | None
    ) -> None:
        noncurrent = settings.noncurrent_version_days if settings.versioning else None
        rules = [
            *default_lifecycle_rules(noncurrent),
            *(dict(rule) for rule in settings.lifecycle_rules),
        ]
        self.child(
            "lifecycle",
            aws.s3.BucketLifecycleConfiguration,
            self.component_name,
            {"bucket": self.bucket.id, "rules": rules},
            opts=pulumi.ResourceOptions(depends_on=[r for r in (self.bucket, versioning) if r]),
        )

    def _create_cors(self, settings: SecureBucketArgs) -> None:
        if not settings.cors_rules:
            return
        self.child(
            "cors",
            aws.s3.BucketCorsConfiguration,
            self.component_name,
            {"bucket": self.bucket.id, "cors_rules": [dict(r) for r in settings.cors_rules]},
            opts=self._after_bucket(),
        )

    def _create_logging(self, settings: SecureBucketArgs) -> None:
        if settings.access_log_bucket is None:
            return
        self.child(
            "logging",
            aws.s3.BucketLogging,
            self.component_name,
            {
                "bucket": self.bucket.id,
                "target_bucket": settings.access_log_bucket,
                "target_prefix": settings.access_log_prefix or f"{self.component_name}/",
            },
            opts=self._after_bucket(),
        )

    def attach_policy(
        self, statements: Sequence[pulumi.Input[Mapping[str, Any]]] = ()
    ) -> aws.s3.BucketPolicy:
        """Create the bucket policy: deny-non-TLS plus ``statements``. Once per bucket."""
        if self.policy is not None:
            raise ComponentArgsError(
                f"SecureBucket {self.component_name!r}: the bucket policy exists already "
                "(S3 keeps one policy per bucket; pass every statement in one call)"
            )
        self.policy = self.child(
            "policy",
            aws.s3.BucketPolicy,
            self.component_name,
            {"bucket": self.bucket.id, "policy": bucket_policy_json(self.arn, statements)},
            opts=pulumi.ResourceOptions(depends_on=self._policy_deps),
        )
        return self.policy

    @staticmethod
    def from_existing(name: str, *, bucket_name: pulumi.Input[str]) -> ExistingBucket:
        """Adopt a bucket made elsewhere: linkable (``<NAME>_BUCKET_NAME``), nothing created."""
        return ExistingBucket(name, bucket_name)

    def _spec(self, object_actions: Sequence[str]) -> LinkSpec:
        return _bucket_spec(
            self.component_name, self.arn, self.bucket_name, object_actions, self.kms_key_arn
        )

    def link_spec(self) -> LinkSpec:
        """Read, write and delete objects of this bucket, list it; ``<NAME>_BUCKET_NAME``."""
        return self._spec((*READ_ACTIONS, *WRITE_ACTIONS))

    def read_only(self) -> LinkSpec:
        """Read objects of this bucket and list it; ``<NAME>_BUCKET_NAME``."""
        return self._spec(READ_ACTIONS)
