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
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.link import LinkSpec
from hybridstack.components.secure_bucket import SecureBucket, cloudfront_read_statement

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


class StaticSiteArgs(TypedDict, total=False):
    """CDN switch, domains, headers and caching of the site."""

    enabled: bool
    """Create the CloudFront distribution (default True; False e.g. in dev)."""
    index_document: str
    """The app's entry document (default ``index.html``)."""
    spa: bool
    """Answer 403/404 with the index document (default True)."""
    domain_names: Sequence[str]
    """Custom domain names (need ``certificate_arn``)."""
    certificate_arn: pulumi.Input[str]
    """ACM certificate (us-east-1) for ``domain_names``."""
    content_security_policy: str
    """The Content-Security-Policy header (default: self plus https connections/images)."""
    price_class: str
    """``PriceClass_100`` (default), ``PriceClass_200`` or ``PriceClass_All``."""
    web_acl_id: pulumi.Input[str]
    """A WAF web ACL to attach."""
    tags: Mapping[str, str]
    """Tags of the bucket and distribution."""


class StaticSite(HybridComponent):
    """S3 + CloudFront SPA hosting with origin access control and security headers.

    Example:
        site = StaticSite("web", {"enabled": True})
    """

    TYPE = "hybridstack:aws:StaticSite"
    CHILD_ROLES = (
        "bucket", "origin_access_control", "response_headers_policy", "distribution",
    )  # fmt: skip

    url: pulumi.Output[str]
    """``https://<domain>`` of the distribution (empty when ``enabled=False``)."""
    bucket_name: pulumi.Output[str]
    """The bucket to upload the built site to."""
    distribution_id: pulumi.Output[str] | None
    """The distribution's id, for invalidations (None when disabled)."""

    def __init__(
        self,
        name: str,
        args: StaticSiteArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"StaticSite {name!r}"
        a: dict[str, Any] = dict(args or {})
        enabled = bool(a.get("enabled", True))
        index = a.get("index_document", "index.html")
        if not isinstance(index, str) or not index or index.startswith("/"):
            raise ComponentArgsError(f"{owner}: index_document={index!r} must be a relative key")
        domains = list(a.get("domain_names", []))
        if domains and a.get("certificate_arn") is None:
            raise ComponentArgsError(
                f"{owner}: domain_names {domains} need certificate_arn (ACM, us-east-1)"
            )
        price_class = a.get("price_class", "PriceClass_100")
        if price_class not in PRICE_CLASSES:
            raise ComponentArgsError(
                f"{owner}: price_class={price_class!r}; use one of {', '.join(PRICE_CLASSES)}"
            )
        csp = a.get("content_security_policy", DEFAULT_CSP)
        tags = dict(a.get("tags", {}))
        super().__init__(name, transform=transform, opts=opts)
        bucket_transform = self._transforms.get("bucket")
        bucket = SecureBucket(
            name,
            {"defer_policy": enabled, "versioning": True, "tags": tags},
            transform={"bucket": bucket_transform} if bucket_transform else None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket = bucket
        self.bucket_name = bucket.bucket_name
        self.enabled = enabled
        self.distribution_id = None
        if not enabled:
            self.url = pulumi.Output.from_input("")
            self.register_outputs({"url": self.url, "bucket_name": self.bucket_name})
            return

        oac = self.child(
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
        headers = self.child(
            "response_headers_policy",
            aws.cloudfront.ResponseHeadersPolicy,
            name,
            {
                "name": f"{name}-security-headers",
                "comment": f"Security headers of {name} (hybridstack)",
                "security_headers_config": security_headers(csp),
            },
        )
        origin_id = f"{name}-s3"
        viewer_certificate: dict[str, Any] = (
            {
                "acm_certificate_arn": a["certificate_arn"],
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            }
            if domains
            else {"cloudfront_default_certificate": True}
        )
        distribution_args: dict[str, Any] = {
            "enabled": True,
            "comment": f"{name} (hybridstack)",
            "is_ipv6_enabled": True,
            "http_version": "http2and3",
            "price_class": price_class,
            "default_root_object": index,
            "aliases": domains,
            "origins": [
                {
                    "domain_name": bucket.bucket_regional_domain_name,
                    "origin_id": origin_id,
                    "origin_access_control_id": oac.id,
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
            "custom_error_responses": spa_error_responses(index) if a.get("spa", True) else [],
            "restrictions": {"geo_restriction": {"restriction_type": "none"}},
            "viewer_certificate": viewer_certificate,
            "tags": tags,
        }
        if a.get("web_acl_id") is not None:
            distribution_args["web_acl_id"] = a["web_acl_id"]
        distribution = self.child(
            "distribution", aws.cloudfront.Distribution, name, distribution_args
        )
        bucket.attach_policy([cloudfront_read_statement(bucket.arn, distribution.arn)])
        self.distribution = distribution
        self.distribution_id = distribution.id
        self.url = distribution.domain_name.apply(lambda domain: f"https://{domain}")
        self.register_outputs(
            {
                "url": self.url,
                "bucket_name": self.bucket_name,
                "distribution_id": self.distribution_id,
            }
        )

    def link_spec(self) -> LinkSpec:
        """Read/write the site's bucket (a deploy or build function); ``<NAME>_BUCKET_NAME``."""
        return self.bucket.link_spec()
