"""CrossCloudAccess: AWS code reaching GCP, and Google identities reaching AWS, with no static keys.

**AWS -> GCP.** A Workload Identity pool with an AWS provider trusts your AWS account, and its
attribute condition admits *only* the IAM roles you name (a Lambda runs as its execution role,
so name the roles of the Functions that need GCP). Those identities may impersonate one service
account, which holds the GCP roles you grant. The external-account credential configuration
(google-auth's ``external_account`` JSON for AWS) is an output, and linking the component to a
Function puts it in ``<NAME>_GCP_CREDENTIALS``; the code loads it with
``google.auth.load_credentials_from_dict(json.loads(os.environ["<NAME>_GCP_CREDENTIALS"]))``.
No service-account key is ever created.

**GCP -> AWS.** Code running as the service account (a Firebase/Cloud function, a Pub/Sub push)
presents a Google-signed ID token. Either an IAM role trusts ``accounts.google.com`` web identity
for exactly this service account (``aws_links``/``aws_statements`` say what that role may do),
or an API's JWT authorizer trusts issuer ``https://accounts.google.com`` with the token's
audience (:meth:`CrossCloudAccess.jwt_authorizer`).

Example:
    access = CrossCloudAccess("aws-to-gcp", {
        "project": "acme-prod",
        "trusted_aws_roles": ["media-processor-role",
                              "arn:aws:iam::123456789012:role/sync-role"],
        "gcp_roles": ["roles/pubsub.publisher"],
    })
    Function("processor", {"handler": "hybridstack.services.media.events.handle",
                           "link": [access]},
             transform={"role": with_role_name("media-processor-role")})
    pulumi.export("gcp_credentials", access.credential_config)

    # GCP -> AWS: Google-signed tokens of the service account may assume a role that can send
    # to a queue (and nothing else).
    CrossCloudAccess("gcp-to-aws", {"project": "acme-prod", "aws_links": [jobs_queue]})

Roles are named (not ``*`` or a prefix) because the trust is the security boundary; a Function's
execution role has a fixed name when you give it one (``transform={"role":
with_role_name(...)}``; :func:`fixed_role_name` derives one from a component and the stack).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from hybridstack.components.args import ComponentArgs, is_known, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.jwt_authorizer import GOOGLE_ISSUER, JwtAuthorizerConfig
from hybridstack.components.link import (
    IamStatement,
    Linkable,
    LinkSpec,
    env_prefix,
    link_variable,
    resolve_link,
)
from hybridstack.components.policy_document import policy_document, policy_json
from hybridstack.services.common.links import GCP_CREDENTIALS, GCP_PROJECT, GOOGLE_CALLER

GOOGLE_WEB_IDENTITY_PROVIDER = "accounts.google.com"
"""The IAM federated principal for Google ID tokens (built into AWS; no OIDC provider needed)."""

AWS_SUBJECT_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
STS_TOKEN_URL = "https://sts.googleapis.com/v1/token"
AWS_REGIONAL_CRED_VERIFICATION_URL = (
    "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"
)

AWS_ROLE_ATTRIBUTE_MAPPING: dict[str, str] = {
    "google.subject": "assertion.arn",
    "attribute.aws_account": "assertion.account",
    # arn:aws:sts::<account>:assumed-role/<role>/<session> -> ...:assumed-role/<role>
    "attribute.aws_role": (
        "assertion.arn.contains('assumed-role') ? "
        "assertion.arn.extract('{account_arn}assumed-role/') + 'assumed-role/' + "
        "assertion.arn.extract('assumed-role/{role_name}/') : assertion.arn"
    ),
}
"""How AWS caller identities become Google attributes (the mapping Google documents for AWS)."""

_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?:[\w+=,.@/-]*/)?"
    r"(?P<name>[\w+=,.@-]{1,64})$"
)
_ACCOUNT = re.compile(r"^\d{12}$")
_POOL_ID = re.compile(r"^[a-z0-9-]{4,32}$")
_SERVICE_ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]{4,28}[a-z0-9])$")
_GCP_ROLE = re.compile(r"^(roles/[A-Za-z0-9_.]+|projects/[^/]+/roles/[A-Za-z0-9_.]+)$")


def assumed_role_arn(role: str, account_id: str, partition: str = "aws") -> str:
    """The STS identity a role's sessions have: what ``attribute.aws_role`` maps to.

    ``role`` is a role name or a role ARN (any path); ``account_id`` is used for names.

    >>> assumed_role_arn("arn:aws:iam::123456789012:role/service/media", "000000000000")
    'arn:aws:sts::123456789012:assumed-role/media'
    """
    arn = _ROLE_ARN.match(role)
    if arn:
        return f"arn:{arn['partition']}:sts::{arn['account']}:assumed-role/{arn['name']}"
    if not _ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is neither an IAM role name nor an IAM role ARN")
    if not _ACCOUNT.match(account_id):
        raise ValueError(f"AWS account id {account_id!r} must be 12 digits")
    return f"arn:{partition}:sts::{account_id}:assumed-role/{role}"


def aws_role_attribute_condition(assumed_roles: Sequence[str]) -> str:
    """The provider's CEL condition admitting exactly these assumed-role identities."""
    if not assumed_roles:
        raise ValueError("at least one trusted AWS role is needed")
    for role in assumed_roles:
        if "'" in role or "\\" in role:
            raise ValueError(f"{role!r} cannot appear in a CEL string")
    quoted = ", ".join(f"'{r}'" for r in sorted(set(assumed_roles)))
    return f"attribute.aws_role in [{quoted}]"


def workload_provider_audience(project_number: str, pool_id: str, provider_id: str) -> str:
    """The audience of the STS token exchange: the provider's full resource name."""
    return (
        f"//iam.googleapis.com/projects/{project_number}/locations/global/"
        f"workloadIdentityPools/{pool_id}/providers/{provider_id}"
    )


def aws_principal_set(project_number: str, pool_id: str, assumed_role: str) -> str:
    """The IAM member naming every session of one AWS role in the pool."""
    return (
        f"principalSet://iam.googleapis.com/projects/{project_number}/locations/global/"
        f"workloadIdentityPools/{pool_id}/attribute.aws_role/{assumed_role}"
    )


def aws_external_account_config(
    *, project_number: str, pool_id: str, provider_id: str, service_account_email: str
) -> dict[str, Any]:
    """google-auth's ``external_account`` configuration for code running with AWS credentials.

    On Lambda google-auth reads the region and the role's session credentials from the
    environment (``AWS_REGION``, ``AWS_ACCESS_KEY_ID`` ...), signs a GetCallerIdentity request,
    exchanges it at Google STS and impersonates ``service_account_email``. The metadata URLs are
    the fallback used on EC2.
    """
    return {
        "type": "external_account",
        "audience": workload_provider_audience(project_number, pool_id, provider_id),
        "subject_token_type": AWS_SUBJECT_TOKEN_TYPE,
        "token_url": STS_TOKEN_URL,
        "service_account_impersonation_url": (
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
            f"{service_account_email}:generateAccessToken"
        ),
        "credential_source": {
            "environment_id": "aws1",
            "region_url": "http://169.254.169.254/latest/meta-data/placement/availability-zone",
            "url": "http://169.254.169.254/latest/meta-data/iam/security-credentials",
            "regional_cred_verification_url": AWS_REGIONAL_CRED_VERIFICATION_URL,
            "imdsv2_session_token_url": "http://169.254.169.254/latest/api/token",
        },
    }


def google_web_identity_trust_policy(service_account_unique_id: str, audience: str) -> str:
    """An IAM trust policy letting exactly one Google service account assume the role.

    ``accounts.google.com:aud`` is the token's ``azp`` (the service account's unique id) and
    ``accounts.google.com:oaud`` its audience.
    """
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": GOOGLE_WEB_IDENTITY_PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "accounts.google.com:aud": service_account_unique_id,
                        "accounts.google.com:sub": service_account_unique_id,
                        "accounts.google.com:oaud": audience,
                    }
                },
            }
        ]
    )


def fixed_role_name(component: str, function: str, stack: str | None = None) -> str:
    """A fixed IAM role name for ``function`` of ``component`` on ``stack`` (default: this one).

    Fixed so a CrossCloudAccess created first can trust it by name:
    ``fixed_role_name("media", "sync", "dev") == "media-sync-dev"``.
    """
    stack = stack if stack is not None else pulumi.get_stack()
    raw = re.sub(r"[^\w+=,.@-]+", "-", f"{component}-{function}-{stack}")
    return raw[:64].rstrip("-")


def with_role_name(role_name: str) -> Callable[[dict[str, Any]], None]:
    """A Function ``role`` transform giving its execution role the fixed name ``role_name``."""

    def set_name(args: dict[str, Any]) -> None:
        args["name"] = role_name

    return set_name


def default_ids(name: str) -> tuple[str, str]:
    """A pool/provider id and a service-account id derived from a component name."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    base = re.sub(r"^gcp-", "", base) or "hybrid"
    pool = (base + "-aws")[:32].rstrip("-")
    if len(pool) < 4:
        pool = f"{pool}-pool"
    account = re.sub(r"^[^a-z]+", "", base)
    account = (account or "hybrid")[:26].rstrip("-")
    account = f"{account}-cross" if len(account) < 6 else account
    return pool, account


DEFAULT_PROVIDER_ID = "aws-roles"
DEFAULT_GOOGLE_AUDIENCE = "sts.amazonaws.com"
TOO_BROAD_GCP_ROLES = frozenset(
    {"roles/owner", "roles/editor", "roles/iam.serviceAccountTokenCreator"}
)


@dataclass(frozen=True, kw_only=True)
class CrossCloudAccessArgs(ComponentArgs):
    """Who in AWS may act in GCP (and as what), and what Google identities may do in AWS."""

    project: pulumi.Input[str] | None = None
    """The GCP project id (default: the gcp provider's project)."""
    project_number: pulumi.Input[str] | None = None
    """The project number, if known (default: looked up from the project id)."""
    trusted_aws_roles: Sequence[pulumi.Input[str]] = ()
    """IAM role names or ARNs whose sessions may impersonate the service account. Only these are
    admitted by the provider's attribute condition. Empty: no AWS -> GCP trust is created."""
    aws_account_id: pulumi.Input[str] | None = None
    """The AWS account trusted by the pool and owning role *names* (default: the caller's)."""
    gcp_roles: Sequence[str] = ()
    """Project roles granted to the service account, e.g. ``roles/datastore.user``."""
    pool_id: str | None = None
    """The Workload Identity pool id (4-32 of a-z 0-9 -; default: from the component name)."""
    provider_id: str = DEFAULT_PROVIDER_ID
    """The pool provider id (4-32 of a-z 0-9 -)."""
    service_account_id: str | None = None
    """The service account id (6-30 of a-z 0-9 -, starting with a letter; default: from the
    component name)."""
    aws_links: Sequence[Linkable | LinkSpec] = ()
    """GCP -> AWS: what the Google-trusting IAM role may use (creates that role)."""
    aws_statements: Sequence[IamStatement] = ()
    """GCP -> AWS: further statements for that role (creates that role)."""
    google_audience: pulumi.Input[str] = DEFAULT_GOOGLE_AUDIENCE
    """The audience Google ID tokens for AWS carry."""

    def __post_init__(self) -> None:
        if self.pool_id is not None:
            _check_pool_id("pool_id", self.pool_id)
        _check_pool_id("provider_id", self.provider_id)
        if self.service_account_id is not None:
            _check_service_account_id(self.service_account_id)
        if isinstance(self.gcp_roles, str):
            refuse("gcp_roles must be a list of role names")
        for role in self.gcp_roles:
            if not isinstance(role, str) or not _GCP_ROLE.match(role):
                refuse(f"gcp_roles entry {role!r} is not a role name like 'roles/datastore.user'")
            if role in TOO_BROAD_GCP_ROLES:
                refuse(
                    f"gcp_roles entry {role!r} is too broad for a federated identity; grant the "
                    "narrow roles the code needs"
                )
        if isinstance(self.trusted_aws_roles, str):
            refuse("trusted_aws_roles must be a list of role names or ARNs")
        for trusted in self.trusted_aws_roles:
            if not isinstance(trusted, str):
                continue
            if "*" in trusted or not trusted:
                refuse(
                    f"trusted_aws_roles entry {trusted!r}: name each role; wildcards are not "
                    "trusted"
                )
            if not (_ROLE_ARN.match(trusted) or _ROLE_NAME.match(trusted)):
                refuse(
                    f"trusted_aws_roles entry {trusted!r} is neither an IAM role name nor an IAM "
                    "role ARN (arn:aws:iam::<account>:role/<name>)"
                )
        account = self.aws_account_id
        if isinstance(account, str) and not _ACCOUNT.match(account):
            refuse(f"aws_account_id {account!r} must be 12 digits")
        for item in self.aws_links:
            if not isinstance(item, LinkSpec | Linkable):
                refuse(f"aws_links entry {item!r} is not linkable")

    def ids(self, name: str) -> tuple[str, str]:
        """The pool id and service account id: as given, else derived from ``name``."""
        default_pool, default_account = default_ids(name)
        return self.pool_id or default_pool, self.service_account_id or default_account

    def google_statements(self) -> list[IamStatement]:
        """What the Google-trusting AWS role may do (empty: no such role)."""
        links = [resolve_link(item) for item in self.aws_links]
        return [*(s for spec in links for s in spec.statements), *self.aws_statements]


def _check_pool_id(name: str, value: str) -> None:
    if not isinstance(value, str) or not _POOL_ID.match(value) or value.startswith("gcp-"):
        refuse(
            f"{name} {value!r} must be 4-32 characters of a-z, 0-9 and '-', not starting with "
            "'gcp-'"
        )


def _check_service_account_id(value: str) -> None:
    if not isinstance(value, str) or not _SERVICE_ACCOUNT_ID.match(value):
        refuse(
            f"service_account_id {value!r} must be 6-30 characters of a-z, 0-9 and '-', "
            "starting with a letter and not ending with '-'"
        )


class CrossCloudAccessTransforms(TypedDict, total=False):
    """Reshape a child of the CrossCloudAccess before it is created (see ``HybridComponent``)."""

    service_account: Transform
    """``gcp.serviceaccount.Account``: the identity trusted AWS roles act as."""
    project_role: Transform
    """``gcp.projects.IAMMember``: each of ``gcp_roles`` granted to the service account."""
    pool: Transform
    """``gcp.iam.WorkloadIdentityPool``: the pool trusting the AWS account."""
    provider: Transform
    """``gcp.iam.WorkloadIdentityPoolProvider``: the AWS provider admitting the named roles."""
    workload_identity_user: Transform
    """``gcp.serviceaccount.IAMMember``: each trusted role's right to impersonate the account."""
    google_role: Transform
    """``aws.iam.Role``: the role Google-signed tokens of the service account may assume."""
    google_role_policy: Transform
    """``aws.iam.RolePolicy``: what that role may do (``aws_links``, ``aws_statements``)."""


class CrossCloudAccess(HybridComponent):
    """AWS -> GCP through Workload Identity federation, GCP -> AWS through Google-signed OIDC.

    See the module docstring for the full story; the short one::

        access = CrossCloudAccess("xc", {"trusted_aws_roles": ["processor-role"],
                                         "gcp_roles": ["roles/datastore.user"]})
        Function("processor", {"handler": "hybridstack.services.media.events.handle",
                               "link": [access]},
                 transform={"role": with_role_name("processor-role")})
    """

    TYPE = "hybridstack:index:CrossCloudAccess"
    TRANSFORMS = CrossCloudAccessTransforms

    project: pulumi.Output[str]
    project_number: pulumi.Output[str]
    service_account_email: pulumi.Output[str]
    service_account_member: pulumi.Output[str]
    service_account_unique_id: pulumi.Output[str]
    pool_name: pulumi.Output[str]
    provider_audience: pulumi.Output[str]
    attribute_condition: pulumi.Output[str]
    """The provider's condition ('' when no AWS role is trusted)."""
    credential_config: pulumi.Output[str]
    """The external-account credential configuration JSON (no secret material in it)."""
    google_audience: pulumi.Output[str]
    google_role_arn: pulumi.Output[str] | None
    """The role Google identities may assume (None without ``aws_links``/``aws_statements``)."""
    trusted_aws_roles: list[pulumi.Input[str]]
    """The trusted role names/ARNs as given."""

    def __init__(
        self,
        name: str,
        args: CrossCloudAccessArgs | Mapping[str, Any] | None = None,
        *,
        transform: CrossCloudAccessTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = CrossCloudAccessArgs.parse(args, owner=f"CrossCloudAccess {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        env_prefix(name)  # a name no link variable can be made of fails here, not when linked
        self._pool_id, account_id = settings.ids(name)
        self._provider_id = settings.provider_id
        self.trusted_aws_roles = list(settings.trusted_aws_roles)
        self.project, self.project_number = self._locate_project(settings)

        account = self._create_service_account(account_id)
        self._grant_project_roles(settings.gcp_roles)
        self._create_workload_identity(settings)
        self.credential_config = self._credential_config(account)
        self.google_audience = pulumi.Output.from_input(settings.google_audience)
        self.google_role_arn = self._create_google_role(settings.google_statements())
        self.register_outputs(
            {
                "serviceAccountEmail": self.service_account_email,
                "providerAudience": self.provider_audience,
                "attributeCondition": self.attribute_condition,
                "credentialConfig": self.credential_config,
                "googleRoleArn": self.google_role_arn,
            }
        )

    def trusts_role(self, role_name: str) -> bool | None:
        """Whether ``role_name`` is among the trusted roles (None if some are outputs)."""
        names = []
        for role in self.trusted_aws_roles:
            if not is_known(role) or not isinstance(role, str):
                return None
            names.append(role.rsplit("/", 1)[-1])
        return role_name in names

    def _locate_project(
        self, settings: CrossCloudAccessArgs
    ) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        project: pulumi.Output[str] = pulumi.Output.from_input(
            settings.project
            if settings.project
            else gcp.organizations.get_client_config_output(opts=invoke).project
        )
        if settings.project_number is not None:
            return project, pulumi.Output.from_input(settings.project_number)
        number = gcp.organizations.get_project_output(project_id=project, opts=invoke).number
        return project, number

    def _create_service_account(self, account_id: str) -> gcp.serviceaccount.Account:
        name = self.component_name
        account = self.child(
            "service_account",
            gcp.serviceaccount.Account,
            f"{name}-sa",
            {
                "account_id": account_id,
                "project": self.project,
                "display_name": f"hybridstack {name}: cross-cloud identity",
                "description": "Impersonated by trusted AWS roles; holds no keys.",
            },
        )
        self._service_account = account
        self.service_account_email = account.email
        self.service_account_member = account.email.apply(lambda e: f"serviceAccount:{e}")
        self.service_account_unique_id = account.unique_id
        return account

    def _grant_project_roles(self, roles: Sequence[str]) -> None:
        for role in roles:
            self.child(
                "project_role",
                gcp.projects.IAMMember,
                f"{self.component_name}-{role.rsplit('/', 1)[-1].replace('.', '-')}",
                {"project": self.project, "role": role, "member": self.service_account_member},
            )

    def _create_workload_identity(self, settings: CrossCloudAccessArgs) -> None:
        """AWS -> GCP: the pool, its AWS provider admitting the named roles, their impersonation."""
        name, pool_id, provider_id = self.component_name, self._pool_id, self._provider_id
        self.pool_name = pulumi.Output.concat(
            "projects/", self.project_number, "/locations/global/workloadIdentityPools/", pool_id
        )
        self.provider_audience = self.project_number.apply(
            lambda n: workload_provider_audience(n, pool_id, provider_id)
        )
        trusted = self.trusted_aws_roles
        if not trusted:
            self.attribute_condition = pulumi.Output.from_input("")
            return
        account: pulumi.Input[str] = settings.aws_account_id or (
            aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        )
        assumed = pulumi.Output.all(account, *trusted).apply(
            lambda values: [assumed_role_arn(r, values[0]) for r in values[1:]]
        )
        self.attribute_condition = assumed.apply(aws_role_attribute_condition)
        pool = self.child(
            "pool",
            gcp.iam.WorkloadIdentityPool,
            f"{name}-pool",
            {
                "workload_identity_pool_id": pool_id,
                "project": self.project,
                "display_name": f"{name} (AWS)"[:32],
                "description": "AWS roles trusted to act as the cross-cloud service account",
            },
        )
        self.child(
            "provider",
            gcp.iam.WorkloadIdentityPoolProvider,
            f"{name}-provider",
            {
                "workload_identity_pool_id": pool.workload_identity_pool_id,
                "workload_identity_pool_provider_id": provider_id,
                "project": self.project,
                "display_name": "AWS",
                "aws": {"account_id": account},
                "attribute_mapping": dict(AWS_ROLE_ATTRIBUTE_MAPPING),
                "attribute_condition": self.attribute_condition,
            },
        )
        for index, role in enumerate(trusted):
            member = pulumi.Output.all(self.project_number, account, role).apply(
                lambda v: aws_principal_set(v[0], pool_id, assumed_role_arn(v[2], v[1]))
            )
            self.child(
                "workload_identity_user",
                gcp.serviceaccount.IAMMember,
                f"{name}-wi-user-{index}",
                {
                    "service_account_id": self._service_account.name,
                    "role": "roles/iam.workloadIdentityUser",
                    "member": member,
                },
            )

    def _credential_config(self, account: gcp.serviceaccount.Account) -> pulumi.Output[str]:
        pool_id, provider_id = self._pool_id, self._provider_id
        return pulumi.Output.all(self.project_number, account.email).apply(
            lambda v: json.dumps(
                aws_external_account_config(
                    project_number=v[0],
                    pool_id=pool_id,
                    provider_id=provider_id,
                    service_account_email=v[1],
                ),
                indent=None,
                sort_keys=True,
            )
        )

    def _create_google_role(self, statements: list[IamStatement]) -> pulumi.Output[str] | None:
        """GCP -> AWS: a role only this service account's Google-signed tokens may assume."""
        if not statements:
            return None
        name = self.component_name
        trust = pulumi.Output.all(self.service_account_unique_id, self.google_audience).apply(
            lambda v: google_web_identity_trust_policy(v[0], v[1])
        )
        role = self.child(
            "google_role",
            aws.iam.Role,
            f"{name}-google",
            {
                "assume_role_policy": trust,
                "description": f"Assumed by the {name} Google service account (web identity)",
                "max_session_duration": 3600,
            },
        )
        self.child(
            "google_role_policy",
            aws.iam.RolePolicy,
            f"{name}-google",
            {"role": role.id, "policy": policy_document(statements)},
        )
        return role.arn

    def link_spec(self) -> LinkSpec:
        """Linking gives a Function the credential config and project (no AWS permission).

        ``<NAME>_GOOGLE_CALLER`` is the service account's email, the ``email`` claim to require
        of Google-signed tokens arriving from GCP.
        """
        return LinkSpec(
            environment={
                link_variable(self.component_name, GCP_CREDENTIALS): self.credential_config,
                link_variable(self.component_name, GCP_PROJECT): self.project,
                link_variable(self.component_name, GOOGLE_CALLER): self.service_account_email,
            }
        )

    def jwt_authorizer(self, audience: pulumi.Input[str] | None = None) -> JwtAuthorizerConfig:
        """JWT authorizer settings trusting Google-signed ID tokens with ``audience``.

        The issuer is ``https://accounts.google.com``; the audience defaults to
        ``google_audience``. An authorizer checks issuer, signature, expiry and audience only:
        any Google identity can mint a token for an audience, so the handler must also check the
        ``email`` claim is :attr:`service_account_email` (passed in ``<NAME>_GOOGLE_CALLER``).
        """
        return JwtAuthorizerConfig(
            issuer=GOOGLE_ISSUER,
            audience=[audience if audience is not None else self.google_audience],
            name="google",
        )
