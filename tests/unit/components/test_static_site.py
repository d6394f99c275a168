"""StaticSite: private bucket read only by its distribution, SPA fallback, headers, switch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.static_site import StaticSite
from hybridstack.testing import RecordingMocks, of_type, run_under_mocks

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def _policy(resources: list[Any]) -> list[dict[str, Any]]:
    (policy,) = of_type(resources, "aws:s3/bucketPolicy:BucketPolicy")
    return list(json.loads(policy.inputs["policy"])["Statement"])


def test_distribution_reads_the_private_bucket_through_oac_only() -> None:
    resources = run_under_mocks(lambda: StaticSite("web"))
    (distribution,) = of_type(resources, DISTRIBUTION)
    (bucket,) = of_type(resources, "aws:s3/bucket:Bucket")
    (oac,) = of_type(resources, "aws:cloudfront/originAccessControl:OriginAccessControl")
    assert oac.inputs["signingBehavior"] == "always"
    (origin,) = distribution.inputs["origins"]
    assert origin["originAccessControlId"] == oac.id
    assert origin["domainName"] == bucket.outputs["bucketRegionalDomainName"]
    statements = _policy(resources)
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "AllowCloudFrontRead"]
    read = statements[1]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert read["Condition"]["StringEquals"]["AWS:SourceArn"] == distribution.outputs["arn"]
    block = of_type(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]
    assert block.inputs["restrictPublicBuckets"] is True


def test_spa_fallback_https_and_security_headers() -> None:
    resources = run_under_mocks(lambda: StaticSite("web"))
    (distribution,) = of_type(resources, DISTRIBUTION)
    errors = {e["errorCode"]: e for e in distribution.inputs["customErrorResponses"]}
    assert set(errors) == {403, 404}
    assert all(e["responsePagePath"] == "/index.html" for e in errors.values())
    assert all(e["responseCode"] == 200 for e in errors.values())
    behaviour = distribution.inputs["defaultCacheBehavior"]
    assert behaviour["viewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["compress"] is True
    (headers,) = of_type(resources, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert behaviour["responseHeadersPolicyId"] == headers.id
    security = headers.inputs["securityHeadersConfig"]
    assert security["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31_536_000
    assert security["frameOptions"]["frameOption"] == "DENY"
    assert "frame-ancestors 'none'" in security["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert distribution.inputs["defaultRootObject"] == "index.html"


def test_disabled_site_has_no_distribution_and_keeps_the_bucket_private() -> None:
    resources = run_under_mocks(lambda: StaticSite("web", {"enabled": False}))
    assert of_type(resources, DISTRIBUTION) == []
    assert [s["Sid"] for s in _policy(resources)] == ["DenyInsecureTransport"]


def test_custom_domain_uses_the_certificate_with_modern_tls() -> None:
    resources = run_under_mocks(
        lambda: StaticSite(
            "web", {"domain_names": ["app.example.com"], "certificate_arn": "arn:aws:acm:x"}
        )
    )
    (distribution,) = of_type(resources, DISTRIBUTION)
    assert distribution.inputs["aliases"] == ["app.example.com"]
    assert distribution.inputs["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.2_2021"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"domain_names": ["a.example.com"]}, r"need certificate_arn"),
        ({"price_class": "cheap"}, r"price_class='cheap'"),
        ({"index_document": "/index.html"}, r"index_document='/index.html'"),
    ],
)
def test_bad_arguments_are_named_before_anything_registers(
    args: dict[str, Any], message: str
) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(lambda: StaticSite("web", args), mocks=mocks)
    assert mocks.resources == []


def test_transforms_reach_the_distribution_and_the_bucket() -> None:
    resources = run_under_mocks(
        lambda: StaticSite(
            "web",
            transform={
                "distribution": lambda a: {**a, "price_class": "PriceClass_All"},
                "bucket": lambda a: {**a, "tags": {"site": "web"}},
            },
        )
    )
    assert of_type(resources, DISTRIBUTION)[0].inputs["priceClass"] == "PriceClass_All"
    assert of_type(resources, "aws:s3/bucket:Bucket")[0].inputs["tags"] == {"site": "web"}
