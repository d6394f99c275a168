"""Key: a customer managed KMS key with yearly rotation, for encrypting application data.

The SaaS reference architecture encrypts third-party social tokens with KMS before they reach
PostgreSQL; buckets, queues, tables and secrets can take the key's ARN too. The key policy
leaves administration to the account's IAM (as AWS's default policy does) so access is granted
with links: ``link=[key]`` allows encrypt/decrypt with this key only, ``key.decrypt_only()``
decrypting alone, and sets ``<NAME>_KEY_ARN``.

Example:
    tokens = Key("social-tokens")
    Function("oauth", {"handler": "hybridstack.services.oauth.handler.callback",
                       "link": [tokens]})
    # in the service: kms.encrypt(KeyId=os.environ["SOCIAL_TOKENS_KEY_ARN"], Plaintext=...)
    Secret("spotify", {"kms_key_arn": tokens.arn})
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from hybridstack.components.component import ComponentArgsError, HybridComponent, Transforms
from hybridstack.components.link import IamStatement, LinkSpec, env_prefix
from hybridstack.components.stack_defaults import is_production

ENCRYPT_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
DECRYPT_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
_ALIAS = re.compile(r"^[A-Za-z0-9/_-]{1,250}$")


def account_key_policy(account_id: str, partition: str = "aws") -> str:
    """AWS's default key policy: the account's IAM policies decide who uses the key.

    (``Resource: *`` in a key policy means "this key"; AWS requires it there.)
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EnableIamPolicies",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        sort_keys=True,
    )


class KeyArgs(TypedDict, total=False):
    """Alias, rotation and deletion window of the key."""

    alias: str
    """Alias without the ``alias/`` prefix (default: the component name)."""
    rotation_days: int
    """Automatic rotation period, 90-2560 days (default 365)."""
    deletion_window_days: int
    """Days a deleted key can be recovered, 7-30 (default 30 in production, 7 elsewhere)."""
    description: str
    """The key's description."""
    tags: Mapping[str, str]
    """Tags of the key."""


class Key(HybridComponent):
    """A rotating customer managed KMS key with an alias; linkable for encrypt/decrypt.

    Example:
        key = Key("tokens")
        Function("oauth", {"handler": "...", "link": [key.decrypt_only()]})
    """

    TYPE = "hybridstack:aws:Key"
    CHILD_ROLES = ("key", "alias")

    arn: pulumi.Output[str]
    """The key ARN."""
    key_id: pulumi.Output[str]
    """The key id."""
    alias_name: pulumi.Output[str]
    """``alias/<alias>``."""

    def __init__(
        self,
        name: str,
        args: KeyArgs | None = None,
        *,
        transform: Transforms | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"Key {name!r}"
        a: dict[str, Any] = dict(args or {})
        alias = a.get("alias", name)
        if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.startswith("aws/"):
            raise ComponentArgsError(
                f"{owner}: alias={alias!r} must be letters, digits, /, _ or - (not aws/...)"
            )
        rotation = a.get("rotation_days", 365)
        if (
            isinstance(rotation, bool)
            or not isinstance(rotation, int)
            or not 90 <= rotation <= 2560
        ):
            raise ComponentArgsError(f"{owner}: rotation_days={rotation!r} must be in 90..2560")
        window = a.get("deletion_window_days", 30 if is_production() else 7)
        if isinstance(window, bool) or not isinstance(window, int) or not 7 <= window <= 30:
            raise ComponentArgsError(f"{owner}: deletion_window_days={window!r} must be in 7..30")
        super().__init__(name, transform=transform, opts=opts)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        key = self.child(
            "key",
            aws.kms.Key,
            name,
            {
                "description": a.get("description", f"{name} (hybridstack)"),
                "enable_key_rotation": True,
                "rotation_period_in_days": rotation,
                "deletion_window_in_days": window,
                "policy": pulumi.Output.all(identity.account_id, partition.partition).apply(
                    lambda values: account_key_policy(values[0], values[1])
                ),
                "tags": dict(a.get("tags", {})),
            },
        )
        alias_resource = self.child(
            "alias", aws.kms.Alias, name, {"name": f"alias/{alias}", "target_key_id": key.key_id}
        )
        self.arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias_resource.name
        self.register_outputs(
            {"arn": self.arn, "key_id": self.key_id, "alias_name": self.alias_name}
        )

    def _spec(self, actions: tuple[str, ...]) -> LinkSpec:
        return LinkSpec(
            statements=[IamStatement(sorted(set(actions)), [self.arn])],
            environment={f"{env_prefix(self.component_name)}_KEY_ARN": self.arn},
        )

    def link_spec(self) -> LinkSpec:
        """Encrypt and decrypt with this key only; ``<NAME>_KEY_ARN``."""
        return self._spec((*ENCRYPT_ACTIONS, *DECRYPT_ACTIONS))

    def decrypt_only(self) -> LinkSpec:
        """Decrypt with this key only; ``<NAME>_KEY_ARN``."""
        return self._spec(DECRYPT_ACTIONS)
