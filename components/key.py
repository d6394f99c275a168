"""Key: a customer managed KMS key with yearly rotation, for encrypting application data.

The SaaS reference architecture encrypts third-party social tokens with KMS before they reach
PostgreSQL; buckets, queues, tables and secrets can take the key's ARN too. The key policy
leaves administration to the account's IAM (as AWS's default policy does) so access is granted
with links: ``link=[key]`` allows encrypt/decrypt with this key only, ``key.decrypt_only()``
decrypting alone, and sets ``<NAME>_KEY_ARN``.

Example:
    tokens = Key("social-tokens")
    Function("api", {"handler": "hybridstack.services.api.handler.handle", "link": [tokens]})
    # in the service: kms.encrypt(KeyId=os.environ["SOCIAL_TOKENS_KEY_ARN"], Plaintext=...)
    Secret("spotify", {"kms_key_arn": tokens.arn})
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.args import ComponentArgs, ComponentArgsError, in_range, refuse
from hybridstack.components.component import HybridComponent, Transform
from hybridstack.components.link import IamStatement, LinkSpec, link_variable
from hybridstack.components.policy_document import policy_json
from hybridstack.components.stack_defaults import is_production
from hybridstack.services.common.links import KEY_ARN

ENCRYPT_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
DECRYPT_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
_ALIAS = re.compile(r"^[A-Za-z0-9/_-]{1,250}$")


def account_administers_statement(
    account_id: str, partition: str = "aws", sid: str = "EnableIamPolicies"
) -> dict[str, Any]:
    """The key-policy statement of AWS's default key policy: the account administers the key,
    so its IAM policies decide who uses it. (``Resource: *`` in a key policy means "this key";
    AWS requires it there.)"""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def account_key_policy(account_id: str, partition: str = "aws") -> str:
    """AWS's default key policy: the account's IAM policies decide who uses the key."""
    return policy_json([account_administers_statement(account_id, partition)])


DEFAULT_ROTATION_DAYS = 365


def default_recovery_days() -> int:
    """How long a deleted key or secret stays recoverable: 30 days in production, else 7."""
    return 30 if is_production() else 7


def check_alias(alias: str) -> None:
    """Refuse a KMS alias AWS would refuse (``aws/`` is AWS's own prefix)."""
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.startswith("aws/"):
        refuse(f"alias={alias!r} must be letters, digits, /, _ or - (not aws/...)")


@dataclass(frozen=True, kw_only=True)
class KeyArgs(ComponentArgs):
    """Alias, rotation and deletion window of the key."""

    alias: str | None = None
    """Alias without the ``alias/`` prefix (default: the component name)."""
    rotation_days: int = DEFAULT_ROTATION_DAYS
    """Automatic rotation period, 90-2560 days."""
    deletion_window_days: int | None = None
    """Days a deleted key can be recovered, 7-30 (default 30 in production, 7 elsewhere)."""
    description: str | None = None
    """The key's description (default ``<name> (hybridstack)``)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the key."""

    def __post_init__(self) -> None:
        if self.alias is not None:
            check_alias(self.alias)
        in_range("rotation_days", self.rotation_days, 90, 2560)
        if self.deletion_window_days is not None:
            in_range("deletion_window_days", self.deletion_window_days, 7, 30)


class KeyTransforms(TypedDict, total=False):
    """Reshape a child of the Key before it is created (see ``HybridComponent``)."""

    key: Transform
    """``aws.kms.Key``: the key."""
    alias: Transform
    """``aws.kms.Alias``: its ``alias/<alias>``."""


class Key(HybridComponent):
    """A rotating customer managed KMS key with an alias; linkable for encrypt/decrypt.

    Example:
        key = Key("tokens")
        Function("oauth", {"handler": "hybridstack.services.api.handler.handle",
                           "link": [key.decrypt_only()]})
    """

    TYPE = "hybridstack:aws:Key"
    TRANSFORMS = KeyTransforms

    arn: pulumi.Output[str]
    """The key ARN."""
    key_id: pulumi.Output[str]
    """The key id."""
    alias_name: pulumi.Output[str]
    """``alias/<alias>``."""

    def __init__(
        self,
        name: str,
        args: KeyArgs | Mapping[str, Any] | None = None,
        *,
        transform: KeyTransforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Key {name!r}"
        settings = KeyArgs.parse(args, owner=owner)
        self.alias = settings.alias or name
        try:
            check_alias(self.alias)  # the component name, when no alias is given
        except ComponentArgsError as error:
            raise ComponentArgsError(f"{owner}: {error}; pass alias=") from None
        super().__init__(name, transform=transform, opts=opts)
        key = self._create_key(settings)
        alias = self._create_alias(key)
        self.arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs(
            {"arn": self.arn, "key_id": self.key_id, "alias_name": self.alias_name}
        )

    def _create_key(self, settings: KeyArgs) -> aws.kms.Key:
        name = self.component_name
        window = settings.deletion_window_days
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        return self.child(
            "key",
            aws.kms.Key,
            name,
            {
                "description": settings.description or f"{name} (hybridstack)",
                "enable_key_rotation": True,
                "rotation_period_in_days": settings.rotation_days,
                "deletion_window_in_days": window or default_recovery_days(),
                "policy": pulumi.Output.all(identity.account_id, partition.partition).apply(
                    lambda values: account_key_policy(values[0], values[1])
                ),
                "tags": dict(settings.tags),
            },
        )

    def _create_alias(self, key: aws.kms.Key) -> aws.kms.Alias:
        return self.child(
            "alias",
            aws.kms.Alias,
            self.component_name,
            {"name": f"alias/{self.alias}", "target_key_id": key.key_id},
        )

    def _spec(self, actions: tuple[str, ...]) -> LinkSpec:
        return LinkSpec(
            statements=[IamStatement(sorted(set(actions)), [self.arn])],
            environment={link_variable(self.component_name, KEY_ARN): self.arn},
        )

    def link_spec(self) -> LinkSpec:
        """Encrypt and decrypt with this key only; ``<NAME>_KEY_ARN``."""
        return self._spec((*ENCRYPT_ACTIONS, *DECRYPT_ACTIONS))

    def decrypt_only(self) -> LinkSpec:
        """Decrypt with this key only; ``<NAME>_KEY_ARN``."""
        return self._spec(DECRYPT_ACTIONS)
