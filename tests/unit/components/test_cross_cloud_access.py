"""CrossCloudAccess: only named roles are trusted, the credential config works, no keys exist."""

import json
import urllib.parse
from typing import Any

import google.auth.aws
import pulumi_aws as aws
import pytest

from hybridstack.components.component import ComponentArgsError
from hybridstack.components.cross_cloud_access import (
    AWS_ROLE_ATTRIBUTE_MAPPING,
    CrossCloudAccess,
    assumed_role_arn,
    aws_external_account_config,
    aws_role_attribute_condition,
    default_ids,
)
from hybridstack.components.jwt_authorizer import resolve_authorizer
from hybridstack.components.link import IamStatement, LinkSpec
from hybridstack.testing import ACCOUNT_ID, RecordingMocks, of_type, run_under_mocks

PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"


def test_assumed_role_arn_from_names_and_arns() -> None:
    assert assumed_role_arn("processor", "123456789012") == (
        "arn:aws:sts::123456789012:assumed-role/processor"
    )
    assert assumed_role_arn("arn:aws:iam::210987654321:role/svc/path/sync", "123456789012") == (
        "arn:aws:sts::210987654321:assumed-role/sync"
    )
    with pytest.raises(ValueError, match="neither an IAM role name"):
        assumed_role_arn("not a role", "123456789012")
    with pytest.raises(ValueError, match="12 digits"):
        assumed_role_arn("processor", "12")


def test_attribute_condition_lists_exactly_the_roles() -> None:
    condition = aws_role_attribute_condition(
        ["arn:aws:sts::1:assumed-role/b", "arn:aws:sts::1:assumed-role/a"]
    )
    assert condition == (
        "attribute.aws_role in ['arn:aws:sts::1:assumed-role/a', 'arn:aws:sts::1:assumed-role/b']"
    )
    with pytest.raises(ValueError, match="at least one"):
        aws_role_attribute_condition([])


def test_credential_config_is_loadable_by_google_auth() -> None:
    config = aws_external_account_config(
        project_number="42", pool_id="pool-x", provider_id="aws-roles", service_account_email="a@b"
    )
    credentials = google.auth.aws.Credentials.from_info(config)
    assert credentials.info["audience"] == (
        "//iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/pool-x/"
        "providers/aws-roles"
    )
    assert credentials.service_account_email == "a@b"
    assert config["subject_token_type"] == "urn:ietf:params:aws:token-type:aws4_request"
    assert config["credential_source"]["environment_id"] == "aws1"


def test_default_ids_are_valid_gcp_ids() -> None:
    pool, account = default_ids("Media_Sync")
    assert (pool, account) == ("media-sync-aws", "media-sync")
    assert default_ids("x") == ("x-aws", "x-cross")
    assert default_ids("9-gcp-things")[1] == "gcp-things"


def _access(transform: Any = None, **args: Any) -> Any:
    def program() -> CrossCloudAccess:
        return CrossCloudAccess("xc", {"project": "demo-acme", **args}, transform=transform)

    return program


def test_provider_trusts_only_the_named_roles_of_the_account() -> None:
    resources = run_under_mocks(
        _access(
            trusted_aws_roles=["processor", "arn:aws:iam::210987654321:role/sync"],
            gcp_roles=["roles/datastore.user"],
        )
    )
    (provider,) = of_type(resources, PROVIDER)
    assert provider.inputs["aws"] == {"accountId": ACCOUNT_ID}
    assert provider.inputs["attributeCondition"] == (
        "attribute.aws_role in ["
        f"'arn:aws:sts::{ACCOUNT_ID}:assumed-role/processor', "
        "'arn:aws:sts::210987654321:assumed-role/sync']"
    )
    assert provider.inputs["attributeMapping"] == AWS_ROLE_ATTRIBUTE_MAPPING
    users = of_type(resources, "gcp:serviceaccount/iAMMember:IAMMember")
    assert {u.inputs["role"] for u in users} == {"roles/iam.workloadIdentityUser"}
    assert sorted(u.inputs["member"].rsplit("/", 1)[-1] for u in users) == ["processor", "sync"]
    assert all(
        "/workloadIdentityPools/xc-aws/attribute.aws_role/" in u.inputs["member"] for u in users
    )
    (grant,) = of_type(resources, "gcp:projects/iAMMember:IAMMember")
    assert grant.inputs["role"] == "roles/datastore.user"
    assert grant.inputs["member"] == "serviceAccount:xc-cross@demo-acme.iam.gserviceaccount.com"
    assert not [r for r in resources if r.type.startswith("gcp:serviceaccount/key:")]


def test_credential_config_output_has_the_provider_audience() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        access = CrossCloudAccess(
            "xc", {"project": "demo-acme", "trusted_aws_roles": ["processor"]}
        )
        access.credential_config.apply(lambda c: seen.setdefault("config", json.loads(c)))
        access.link_spec().environment["XC_GCP_CREDENTIALS"].apply(  # type: ignore[union-attr]
            lambda c: seen.setdefault("env", c)
        )

    run_under_mocks(program)
    config = seen["config"]
    assert config["audience"] == (
        "//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/xc-aws/"
        "providers/aws-roles"
    )
    assert config["service_account_impersonation_url"].endswith(
        "/serviceAccounts/xc-cross@demo-acme.iam.gserviceaccount.com:generateAccessToken"
    )
    assert json.loads(seen["env"]) == config


def test_google_to_aws_role_trusts_only_the_service_account() -> None:
    resources = run_under_mocks(
        _access(
            aws_links=[
                LinkSpec(
                    statements=[IamStatement(["sqs:SendMessage"], ["arn:aws:sqs:us-east-1:1:jobs"])]
                )
            ],
            aws_statements=[IamStatement(["s3:PutObject"], ["arn:aws:s3:::media/uploads/*"])],
        )
    )
    (role,) = of_type(resources, "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Federated": "accounts.google.com"}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    (account,) = of_type(resources, "gcp:serviceaccount/account:Account")
    unique_id = account.outputs["uniqueId"]
    assert trust["Condition"]["StringEquals"]["accounts.google.com:aud"] == unique_id
    assert trust["Condition"]["StringEquals"]["accounts.google.com:sub"] == unique_id
    (policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert [s["Action"] for s in statements] == [["sqs:SendMessage"], ["s3:PutObject"]]
    assert [s["Resource"] for s in statements] == [
        ["arn:aws:sqs:us-east-1:1:jobs"],
        ["arn:aws:s3:::media/uploads/*"],
    ]
    # No AWS roles trusted: no pool, no provider.
    assert not of_type(resources, PROVIDER)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trusted_aws_roles": ["*"]}, "trusted_aws_roles entry '\\*'"),
        ({"trusted_aws_roles": "processor"}, "must be a list"),
        ({"trusted_aws_roles": ["bad role"]}, "neither an IAM role name"),
        ({"gcp_roles": ["roles/editor"]}, "too broad"),
        ({"gcp_roles": ["datastore.user"]}, "not a role name"),
        ({"pool_id": "gcp-pool"}, "pool_id 'gcp-pool'"),
        ({"service_account_id": "1bad"}, "service_account_id '1bad'"),
        ({"aws_account_id": "12"}, "aws_account_id '12'"),
        ({"trusted_roles": ["x"]}, "unknown argument 'trusted_roles'"),
    ],
)
def test_invalid_arguments_fail_before_anything_registers(
    kwargs: dict[str, Any], message: str
) -> None:
    mocks = RecordingMocks()
    with pytest.raises(ComponentArgsError, match=message):
        run_under_mocks(_access(**kwargs), mocks=mocks)
    assert mocks.resources == []


def test_transform_reaches_the_provider() -> None:
    def disable(args: dict[str, Any]) -> None:
        args["disabled"] = True

    resources = run_under_mocks(
        _access(trusted_aws_roles=["processor"], transform={"provider": disable})
    )
    (provider,) = of_type(resources, PROVIDER)
    assert provider.inputs["disabled"] is True
    assert not of_type(resources, "aws:iam/role:Role")
    assert aws  # the AWS SDK is importable alongside (the component uses both)


def test_google_jwt_authorizer_and_expected_caller() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        access = CrossCloudAccess("xc", {"project": "demo-acme"})
        config = resolve_authorizer(access)
        seen["issuer"] = config.issuer
        config.audience[0].apply(lambda v: seen.setdefault("default_audience", v))  # type: ignore[union-attr]
        seen["audience"] = access.jwt_authorizer("https://api.acme.com/sync").audience
        access.link_spec().environment["XC_GOOGLE_CALLER"].apply(  # type: ignore[union-attr]
            lambda v: seen.setdefault("caller", v)
        )

    run_under_mocks(program)
    assert seen["issuer"] == "https://accounts.google.com"
    assert seen["default_audience"] == "sts.amazonaws.com"
    assert seen["audience"] == ["https://api.acme.com/sync"]
    assert seen["caller"] == "xc-cross@demo-acme.iam.gserviceaccount.com"


def test_lambda_session_credentials_become_a_signed_subject_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Lambda, google-auth signs GetCallerIdentity with the role's session credentials from
    the environment (no metadata server) and targets the provider: what Google STS verifies."""
    for key, value in {
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "session-token",
    }.items():
        monkeypatch.setenv(key, value)
    config = aws_external_account_config(
        project_number="42", pool_id="xc-aws", provider_id="aws-roles", service_account_email="a@b"
    )
    token = google.auth.aws.Credentials.from_info(config).retrieve_subject_token(None)
    request = json.loads(urllib.parse.unquote(token))
    assert request["url"] == (
        "https://sts.eu-west-1.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"
    )
    headers = {h["key"]: h["value"] for h in request["headers"]}
    assert headers["x-goog-cloud-target-resource"] == config["audience"]
    assert headers["x-amz-security-token"] == "session-token"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/")
