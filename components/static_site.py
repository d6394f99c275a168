"""StaticSite: a single-page app served from a private S3 bucket through CloudFront.

The bucket is a :class:`SecureBucket` (encrypted, public access blocked, TLS only) that only
this distribution may read, through an origin access control (SigV4). CloudFront redirects to
HTTPS, compresses, caches with the managed ``CachingOptimized`` policy, answers 403/404 with
``/index.html`` (status 200) so client-side routes work, and adds security headers (HSTS,
nosniff, frame DENY, referrer policy, a Content-Security-Policy you can replace).

``enabled=False`` skips CloudFront (the IoT architecture turns it off in dev for faster
deploys): the bucket stays private and ``url`` is empty.

Example:
    site = StaticSite("web", {
        "domain_names": ["app.example.com"],
        "certificate_arn": cert_arn,                   # an ACM certificate in us-east-1
        "content_security_policy": "default-src 'self'; connect-src 'self' https://api.example.com",
        "enabled": pulumi.get_stack() != "dev",
    })
    pulumi.export("site_url", site.url)
    pulumi.export("site_bucket", site.bucket_name)     # upload the build here
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, one_of, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.link import LinkSpec
from hybridstack.components.secure_bucket import (
    SecureBucket,
    SecureBucketArgs,
    cloudfront_read_statement,
)

CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""AWS managed cache policy ``Managed-CachingOptimized``."""
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data: https:; connect-src 'self' https:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
PRICE_CLASSES = ("PriceClass_100", "PriceClass_200", "PriceClass_All")


def spa_error_responses(index_document: str) -> list[dict[str, Any]]:
    """403 and 404 from S3 become ``/<index>`` with 200, so client routes load the app."""
    return [
        {
            "error_code": code,
            "response_code": 200,
            "response_page_path": f"/{index_document}",
            "error_caching_min_ttl": 10,
        }
        for code in (403, 404)
    ]


def security_headers(content_security_policy: str) -> dict[str, Any]:
    """The response headers policy's ``security_headers_config``."""
    return {
        "strict_transport_security": {
            "access_control_max_age_sec": 63_072_000,
            "include_subdomains": True,
            "preload": True,
            "override": True,
        },
        "content_type_options": {"override": True},
        "frame_options": {"frame_option": "DENY", "override": True},
        "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
        "xss_protection": {"protection": True, "mode_block": True, "override": True},
        "content_security_policy": {
            "content_security_policy": content_security_policy,
            "override": True,
        },
    }


DEFAULT_PRICE_CLASS = "PriceClass_100"


@dataclass(frozen=True, kw_only=True)
class StaticSiteArgs(ComponentArgs):
    """CDN switch, domains, headers and caching of the site."""

    enabled: bool = True
    """Create the CloudFront distribution (False e.g. in dev: the bucket alone, ``url`` empty)."""
    index_document: str = "index.html"
    """The app's entry document, a key relative to the bucket root."""
    spa: bool = True
    """Answer 403/404 with the index document, so client-side routes load the app."""
    domain_names: Sequence[str] = ()
    """Custom domain names (need ``certificate_arn``)."""
    certificate_arn: pulumi.Input[str] | None = None
    """ACM certificate (us-east-1) for ``domain_names``."""
    content_security_policy: str = DEFAULT_CSP
    """The Content-Security-Policy header (default: self plus https connections/images)."""
    price_class: str = DEFAULT_PRICE_CLASS
    """``PriceClass_100``, ``PriceClass_200`` or ``PriceClass_All``."""
    web_acl_id: pulumi.Input[str] | None = None
    """A WAF web ACL to attach."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the bucket and distribution."""

    def __post_init__(self) -> None:
        index = self.index_document
        if not isinstance(index, str) or not index or index.startswith("/"):
            refuse(f"index_document={index!r} must be a relative key")
        if self.domain_names and self.certificate_arn is None:
            refuse(f"domain_names {list(self.domain_names)} need certificate_arn (ACM, us-east-1)")
        one_of("price_class", self.price_class, PRICE_CLASSES)


class StaticSiteTransforms(TypedDict, total=False):
    """Reshape a child of the StaticSite before it is created (see ``HybridComponent``)."""

    bucket: Transform
    """``aws.s3.Bucket``: the site's bucket (created by its ``SecureBucket``)."""
    origin_access_control: Transform
    """``aws.cloudfront.OriginAccessControl``: CloudFront's signed access to the bucket."""
    response_headers_policy: Transform
    """``aws.cloudfront.ResponseHeadersPolicy``: the security headers."""
    distribution: Transform
    """``aws.cloudfront.Distribution``: the CDN."""


class StaticSite(HybridComponent):
    """S3 + CloudFront SPA hosting with origin access control and security headers.

    Example:
        site = StaticSite("web", {"enabled": True})
    """

    TYPE = "hybridstack:aws:StaticSite"
    TRANSFORMS = StaticSiteTransforms

    url: pulumi.Output[str]
    """``https://<domain>`` of the distribution (empty when ``enabled=False``)."""
    bucket_name: pulumi.Output[str]
    """The bucket to upload the built site to."""
    distribution_id: pulumi.Output[str] | None
    """The distribution's id, for invalidations (None when disabled)."""

    def __init__(
        self,
        name: str,
        args: StaticSiteArgs | Mapping[str, Any] | None = None,
        *,
        transform: StaticSiteTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = StaticSiteArgs.parse(args, owner=f"StaticSite {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self.enabled = settings.enabled
        self.distribution_id = None
        self.bucket = bucket = self._create_bucket(settings)
        self.bucket_name = bucket.bucket_name
        if not settings.enabled:
            self.url = pulumi.Output.from_input("")
            self.register_outputs({"url": self.url, "bucket_name": self.bucket_name})
            return

        access = self._create_origin_access_control()
        headers = self._create_response_headers_policy(settings)
        self.distribution = distribution = self._create_distribution(settings, access, headers)
        bucket.attach_policy([cloudfront_read_statement(bucket.arn, distribution.arn)])
        self.distribution_id = distribution.id
        self.url = distribution.domain_name.apply(lambda domain: f"https://{domain}")
        self.register_outputs(
            {
                "url": self.url,
                "bucket_name": self.bucket_name,
                "distribution_id": self.distribution_id,
            }
        )

    def _create_bucket(self, settings: StaticSiteArgs) -> SecureBucket:
        """A private, versioned SecureBucket; its policy waits for the distribution."""
        bucket_transform = self._transforms.get("bucket")
        return SecureBucket(
            self.component_name,
            SecureBucketArgs(defer_policy=settings.enabled, versioning=True, tags=settings.tags),
            transform={"bucket": bucket_transform} if bucket_transform else None,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_origin_access_control(self) -> aws.cloudfront.OriginAccessControl:
        name = self.component_name
        return self.child(
            "origin_access_control",
            aws.cloudfront.OriginAccessControl,
            name,
            {
                "name": name,
                "description": f"{name} site bucket (hybridstack)",
                "origin_access_control_origin_type": "s3",
                "signing_behavior": "always",
                "signing_protocol": "sigv4",
            },
        )

    def _create_response_headers_policy(
        self, settings: StaticSiteArgs
    ) -> aws.cloudfront.ResponseHeadersPolicy:
        name = self.component_name
        return self.child(
            "response_headers_policy",
            aws.cloudfront.ResponseHeadersPolicy,
            name,
            {
                "name": f"{name}-security-headers",
                "comment": f"Security headers of {name} (hybridstack)",
                "security_headers_config": security_headers(settings.content_security_policy),
            },
        )

    @staticmethod
    def _viewer_certificate(settings: StaticSiteArgs) -> dict[str, Any]:
        if not settings.domain_names:
            return {"cloudfront_default_certificate": True}
        return {
            "acm_certificate_arn": settings.certificate_arn,
            "ssl_support_method": "sni-only",
            "minimum_protocol_version": "TLSv1.2_2021",
        }

    def _create_distribution(
        self,
        settings: StaticSiteArgs,
        access: aws.cloudfront.OriginAccessControl,
        headers: aws.cloudfront.ResponseHeadersPolicy,
    ) -> aws.cloudfront.Distribution:
        name = self.component_name
        origin_id = f"{name}-s3"
        index = settings.index_document
        distribution_args: dict[str, Any] = {
            "enabled": True,
            "comment": f"{name} (hybridstack)",
            "is_ipv6_enabled": True,
            "http_version": "http2and3",
            "price_class": settings.price_class,
            "default_root_object": index,
            "aliases": list(settings.domain_names),
            "origins": [
                {
                    "domain_name": self.bucket.bucket_regional_domain_name,
                    "origin_id": origin_id,
                    "origin_access_control_id": access.id,
                }
            ],
            "default_cache_behavior": {
                "target_origin_id": origin_id,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED_POLICY_ID,
                "response_headers_policy_id": headers.id,
            },
            "custom_error_responses": spa_error_responses(index) if settings.spa else [],
            "restrictions": {"geo_restriction": {"restriction_type": "none"}},
            "viewer_certificate": self._viewer_certificate(settings),
            "tags": dict(settings.tags),
        }
        if settings.web_acl_id is not None:
            distribution_args["web_acl_id"] = settings.web_acl_id
        return self.child("distribution", aws.cloudfront.Distribution, name, distribution_args)

    def link_spec(self) -> LinkSpec:
        """Read/write the site's bucket (a deploy or build function); ``<NAME>_BUCKET_NAME``."""
        return self.bucket.link_spec()
