"""Secret: a Secrets Manager secret whose value never passes through Pulumi.

For third-party OAuth tokens and API keys (IoT and SaaS reference architectures). The secret is
created empty; its value is put by an operator or by the service itself
(``PutSecretValue``) so it never lands in Pulumi state. Encrypted with your KMS key if given;
deleted secrets are recoverable for 30 days in production stacks (7 elsewhere).

Linking grants reading this secret only (``secret.read_write()``: also writing it, for services
that refresh tokens) and sets ``<NAME>_SECRET_ARN``.

Example:
    spotify = Secret("spotify-oauth", {"description": "Spotify client credentials"})
    collector = Function("analytics", {"handler": "hybridstack.services.analytics.jobs.run",
                                       "link": [spotify]})
    # in the service:
    # secretsmanager.get_secret_value(SecretId=os.environ["SPOTIFY_OAUTH_SECRET_ARN"])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, in_range
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.key import default_recovery_days
from hybridstack.components.link import IamStatement, LinkSpec, key_use_statement, link_variable
from hybridstack.services.common.links import SECRET_ARN

READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
WRITE_ACTIONS = ("secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage")


@dataclass(frozen=True, kw_only=True)
class SecretArgs(ComponentArgs):
    """Description, encryption and recovery window of the secret."""

    description: str | None = None
    """What the secret holds (default ``<name> (hybridstack)``)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Encrypt with this KMS key (default: the AWS managed ``aws/secretsmanager`` key)."""
    recovery_window_days: int | None = None
    """Days a deleted secret can be restored, 7-30 (default 30 in production, 7 elsewhere)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the secret."""

    def __post_init__(self) -> None:
        if self.recovery_window_days is not None:
            in_range("recovery_window_days", self.recovery_window_days, 7, 30)


class SecretTransforms(TypedDict, total=False):
    """Reshape a child of the Secret before it is created (see ``HybridComponent``)."""

    secret: Transform
    """``aws.secretsmanager.Secret``: the secret (no value: that is set outside Pulumi)."""


class Secret(HybridComponent):
    """A Secrets Manager secret (value set outside Pulumi), linkable for read or read/write.

    Example:
        token = Secret("mqtt-broker")
        Function("worker", {"handler": "hybridstack.services.media.events.handle",
                            "link": [token]})
    """

    TYPE = "hybridstack:aws:Secret"
    TRANSFORMS = SecretTransforms

    arn: pulumi.Output[str]
    """The secret ARN."""
    secret_name: pulumi.Output[str]
    """The secret's name."""

    def __init__(
        self,
        name: str,
        args: SecretArgs | Mapping[str, Any] | None = None,
        *,
        transform: SecretTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = SecretArgs.parse(args, owner=f"Secret {name!r}")
        super().__init__(name, transform=transform, opts=opts)
        self.kms_key_arn = settings.kms_key_arn
        secret = self._create_secret(settings)
        self.arn = secret.arn
        self.secret_name = secret.name
        self.register_outputs({"arn": self.arn, "secret_name": self.secret_name})

    def _create_secret(self, settings: SecretArgs) -> aws.secretsmanager.Secret:
        name = self.component_name
        secret_args: dict[str, Any] = {
            "name_prefix": f"{name}-",
            "description": settings.description or f"{name} (hybridstack)",
            "recovery_window_in_days": settings.recovery_window_days or default_recovery_days(),
            "tags": dict(settings.tags),
        }
        if settings.kms_key_arn is not None:
            secret_args["kms_key_id"] = settings.kms_key_arn
        return self.child("secret", aws.secretsmanager.Secret, name, secret_args)

    def _spec(self, actions: tuple[str, ...]) -> LinkSpec:
        statements = [IamStatement(list(actions), [self.arn])]
        if self.kms_key_arn is not None:
            writes = actions != READ_ACTIONS
            statements.append(key_use_statement(self.kms_key_arn, writes=writes))
        return LinkSpec(
            statements=statements,
            environment={link_variable(self.component_name, SECRET_ARN): self.arn},
        )

    def link_spec(self) -> LinkSpec:
        """Read this secret only; ``<NAME>_SECRET_ARN``."""
        return self._spec(READ_ACTIONS)

    def read_write(self) -> LinkSpec:
        """Read and write this secret (token refresh); ``<NAME>_SECRET_ARN``."""
        return self._spec((*READ_ACTIONS, *WRITE_ACTIONS))
