"""Secret: a Secrets Manager secret whose value never passes through Pulumi.

For third-party OAuth tokens and API keys (IoT and SaaS reference architectures). The secret is
created empty; its value is put by an operator or by the service itself
(``PutSecretValue``) so it never lands in Pulumi state. Encrypted with your KMS key if given;
deleted secrets are recoverable for 30 days in production stacks (7 elsewhere).

Linking grants reading this secret only (``secret.read_write()``: also writing it, for services
that refresh tokens) and sets ``<NAME>_SECRET_ARN``.

Example:
    spotify = Secret("spotify-oauth", {"description": "Spotify client credentials"})
    collector = Function("spotify", {"handler": "...", "link": [spotify]})
    # in the service:
    # secretsmanager.get_secret_value(SecretId=os.environ["SPOTIFY_OAUTH_SECRET_ARN"])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.link import IamStatement, LinkSpec, env_prefix
from hybridstack.components.stack_defaults import is_production

READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
WRITE_ACTIONS = ("secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage")


class SecretArgs(TypedDict, total=False):
    """Description, encryption and recovery window of the secret."""

    description: str
    """What the secret holds."""
    kms_key_arn: pulumi.Input[str]
    """Encrypt with this KMS key (default: the AWS managed ``aws/secretsmanager`` key)."""
    recovery_window_days: int
    """Days a deleted secret can be restored, 7-30 (default 30 in production, 7 elsewhere)."""
    tags: Mapping[str, str]
    """Tags of the secret."""


class Secret(HybridComponent):
    """A Secrets Manager secret (value set outside Pulumi), linkable for read or read/write.

    Example:
        token = Secret("mqtt-broker")
        Function("worker", {"handler": "...", "link": [token]})
    """

    TYPE = "hybridstack:aws:Secret"
    CHILD_ROLES = ("secret",)

    arn: pulumi.Output[str]
    """The secret ARN."""
    secret_name: pulumi.Output[str]
    """The secret's name."""

    def __init__(
        self,
        name: str,
        args: SecretArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Secret {name!r}"
        a: dict[str, Any] = dict(args or {})
        window = a.get("recovery_window_days", 30 if is_production() else 7)
        if isinstance(window, bool) or not isinstance(window, int) or not 7 <= window <= 30:
            raise ComponentArgsError(f"{owner}: recovery_window_days={window!r} must be in 7..30")
        super().__init__(name, transform=transform, opts=opts)
        secret_args: dict[str, Any] = {
            "name_prefix": f"{name}-",
            "description": a.get("description", f"{name} (hybridstack)"),
            "recovery_window_in_days": window,
            "tags": dict(a.get("tags", {})),
        }
        if a.get("kms_key_arn") is not None:
            secret_args["kms_key_id"] = a["kms_key_arn"]
        secret = self.child("secret", aws.secretsmanager.Secret, name, secret_args)
        self.kms_key_arn = a.get("kms_key_arn")
        self.arn = secret.arn
        self.secret_name = secret.name
        self.register_outputs({"arn": self.arn, "secret_name": self.secret_name})

    def _spec(self, actions: tuple[str, ...]) -> LinkSpec:
        statements = [IamStatement(list(actions), [self.arn])]
        if self.kms_key_arn is not None:
            kms = (
                ["kms:Decrypt"]
                if actions == READ_ACTIONS
                else ["kms:Decrypt", "kms:GenerateDataKey"]
            )
            statements.append(IamStatement(kms, [self.kms_key_arn]))
        return LinkSpec(
            statements=statements,
            environment={f"{env_prefix(self.component_name)}_SECRET_ARN": self.arn},
        )

    def link_spec(self) -> LinkSpec:
        """Read this secret only; ``<NAME>_SECRET_ARN``."""
        return self._spec(READ_ACTIONS)

    def read_write(self) -> LinkSpec:
        """Read and write this secret (token refresh); ``<NAME>_SECRET_ARN``."""
        return self._spec((*READ_ACTIONS, *WRITE_ACTIONS))
