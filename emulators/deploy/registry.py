"""Which module creates each Pulumi resource type in the local cloud (one handler per type token).

Provider modules register their handlers with :func:`handles`; types with no local meaning are
listed in :mod:`~hybridstack.emulators.deploy.not_emulated`. A type in neither is an
:class:`UnknownResourceTypeError` naming the type and the resource.

Example:
    @handles("aws:sqs/queue:Queue")
    def queue(ctx: DeployContext, resource: Resource) -> Created:
        url = ctx.aws("sqs").create_queue(QueueName=...)["QueueUrl"]
        return Created(id=url, outputs={"url": url, ...})
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hybridstack.emulators.deploy.context import DeployContext


@dataclass(frozen=True)
class Resource:
    """One declared resource as the engine sees it: type token, logical name, plain inputs.

    ``previous`` holds what the last deploy into this cloud recorded for it (its id and
    outputs), so a handler can update in place instead of creating again.
    """

    type: str
    name: str
    inputs: dict[str, Any]
    previous: dict[str, Any] | None = None
    urn: str = ""

    @property
    def label(self) -> str:
        return f"{self.type} {self.name!r}"

    def previous_id(self) -> str | None:
        return None if self.previous is None else self.previous.get("id")


@dataclass
class Created:
    """What a handler made: the physical id and the outputs the program sees."""

    id: str
    outputs: dict[str, Any] = field(default_factory=dict)
    not_emulated: str | None = None
    """Set (to the reason) when the resource has no local meaning and nothing was created."""
    adapted: str | None = None
    """Set (to what differs) when the resource was created with a local difference."""


Handler = Callable[["DeployContext", Resource], Created]
HANDLERS: dict[str, Handler] = {}
After = Callable[["DeployContext", Resource, dict[str, Any]], None]
AFTER: dict[str, After] = {}
"""Hooks run for a resource whether it was just made or left as it was (wiring that spans
resources, e.g. rules found by their ruleset's name)."""


class UnknownResourceTypeError(RuntimeError):
    """The program declared a resource type the local cloud does not know."""

    def __init__(self, type_token: str, name: str) -> None:
        super().__init__(
            f"resource {name!r} has type {type_token!r}, which the local deploy engine does not "
            "know: add a handler in hybridstack/emulators/deploy/ (a provider module) or list "
            "it in not_emulated.py"
        )
        self.type_token = type_token
        self.name = name


def handles(*type_tokens: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for each type token (import-time; a token registered twice fails)."""

    def register(handler: Handler) -> Handler:
        for token in type_tokens:
            if token in HANDLERS:
                raise RuntimeError(f"two deploy handlers for {token}")
            HANDLERS[token] = handler
        return handler

    return register


def after(type_token: str) -> Callable[[After], After]:
    """Register a hook run with every deploy's outputs of ``type_token`` (new or unchanged)."""

    def register(hook: After) -> After:
        AFTER[type_token] = hook
        return hook

    return register


def load_handlers() -> dict[str, Handler]:
    """Import every provider module (they register themselves) and return the table."""
    from hybridstack.emulators.deploy import (  # noqa: F401
        aws_apigateway,
        aws_cognito,
        aws_dynamodb,
        aws_events,
        aws_iam,
        aws_kms,
        aws_lambda,
        aws_logs,
        aws_rds,
        aws_s3,
        aws_secretsmanager,
        aws_sns,
        aws_sqs,
        gcp_firestore,
        gcp_pubsub,
        gcp_storage,
        not_emulated,
    )

    return HANDLERS


def covered_types() -> set[str]:
    """Every type token the engine creates or reports as not emulated."""
    from hybridstack.emulators.deploy.not_emulated import NOT_EMULATED

    return set(load_handlers()) | set(NOT_EMULATED)
