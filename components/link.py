"""Links: handing one component's capability to a Function with least privilege.

Passing a resource in a Function's ``link=[...]`` does two things at once (as SST's ``link`` and
CDK's ``grant*`` do): it adds exactly the IAM statements that capability needs to the function's
role, and it sets the environment variables the service code reads to find the resource. Their
names follow one rule, :func:`link_variable` (``hybridstack.services.common.links``, shared with
the services that read them): ``<PREFIX of the resource's name>_<SUFFIX>``.

Anything with a ``link_spec()`` method returning a :class:`LinkSpec` can be linked; components
usually offer narrower specs too (``bucket.read_only()``), which are themselves linkable.

Example:
    uploads = Queue("uploads")
    Function("worker", {"handler": "hybridstack.services.media.events.handle", "link": [uploads]})
    # -> role may sqs:SendMessage/ReceiveMessage/... on that queue only,
    #    and the code reads os.environ[link_variable("uploads", QUEUE_URL)] ("UPLOADS_QUEUE_URL").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pulumi

from hybridstack.services.common.links import env_prefix, link_variable

__all__ = [
    "IamStatement",
    "LinkSpec",
    "Linkable",
    "env_prefix",
    "key_use_statement",
    "link_variable",
    "resolve_link",
]


@dataclass(frozen=True)
class IamStatement:
    """One Allow statement on ARNs (outputs allowed); ``*`` only where AWS requires it."""

    actions: Sequence[str]
    resources: Sequence[pulumi.Input[str]]
    conditions: Mapping[str, Mapping[str, pulumi.Input[str]]] | None = None


def key_use_statement(key_arn: pulumi.Input[str], *, writes: bool) -> IamStatement:
    """Use of the KMS key that encrypts a linked resource: decrypting to read, generating data
    keys too to write (``writes``)."""
    actions = ["kms:Decrypt", "kms:GenerateDataKey"] if writes else ["kms:Decrypt"]
    return IamStatement(actions, [key_arn])


@dataclass(frozen=True)
class LinkSpec:
    """What a link grants: IAM statements and environment variables for the service code."""

    statements: Sequence[IamStatement] = ()
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


@runtime_checkable
class Linkable(Protocol):
    """Anything that can be passed in a Function's ``link`` list."""

    def link_spec(self) -> LinkSpec: ...


def resolve_link(item: Linkable | LinkSpec) -> LinkSpec:
    """The LinkSpec behind a link-list entry (a LinkSpec is accepted as it is)."""
    if isinstance(item, LinkSpec):
        return item
    if isinstance(item, Linkable):
        return item.link_spec()
    raise TypeError(
        f"cannot link {type(item).__name__}: a link must be a component with link_spec() "
        "or a LinkSpec"
    )
