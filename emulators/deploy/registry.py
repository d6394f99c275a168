"""Which module creates, updates and deletes each Pulumi resource type in the local cloud.

Provider modules register one handler per type token with :func:`handles`, and the registration
names how a resource of the type is deleted when a program stops declaring it, so a new type
cannot forget its deleter: ``delete=deleted_by(deleter, order=...)``, or
``delete=nothing_to_delete(reason)`` for a type with nothing of its own to delete (a policy
attachment that vanishes with its parent). The handler creates the resource, or updates it in
place when :attr:`Resource.previous` holds what the last deploy recorded. Types with no local
meaning are listed in :mod:`~hybridstack.emulators.deploy.not_emulated`. A type in neither is an
:class:`UnknownResourceTypeError` naming the type and the resource.

Example:
    def _delete_queue(ctx: DeployContext, record: Record) -> None:
        ctx.aws("sqs").delete_queue(QueueUrl=record["id"])

    @handles("aws:sqs/queue:Queue", delete=deleted_by(_delete_queue, order=3))
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
"""Creates a resource, or updates it in place when ``resource.previous`` is set."""
Record = dict[str, Any]
"""What a deploy recorded for a resource: ``id``, ``outputs`` (its inputs included), ..."""
Deleter = Callable[["DeployContext", Record], None]


class KeptError(RuntimeError):
    """Raised by a deleter that deliberately leaves the resource (the message says why)."""


@dataclass(frozen=True)
class Deletion:
    """How resources of one type are deleted once a program no longer declares them.

    ``order`` sequences deletions as ``pulumi up`` does, dependents first: a lower order is
    deleted earlier (links such as routes and subscriptions 0, parts of a resource 1, functions
    and rules 2, queues, topics and roles 3, APIs, tables and keys 4, buckets 5). ``deleter`` is
    None for a type with nothing of its own to delete; ``reason`` then says why.
    """

    deleter: Deleter | None
    order: int
    reason: str = ""


def deleted_by(deleter: Deleter, *, order: int) -> Deletion:
    """Resources of the type are deleted by ``deleter(ctx, record)`` (see :class:`Deletion`)."""
    return Deletion(deleter, order)


def nothing_to_delete(reason: str) -> Deletion:
    """Resources of the type leave nothing behind of their own; ``reason`` says why."""
    if not reason:
        raise ValueError("nothing_to_delete needs the reason the type has nothing to delete")
    return Deletion(None, 0, reason)


def recorded_output(record: Record, key: str) -> str:
    """One output of a recorded resource, as a string (empty when it has none)."""
    return str((record.get("outputs") or {}).get(key) or "")


HANDLERS: dict[str, Handler] = {}
DELETIONS: dict[str, Deletion] = {}
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


def handles(*type_tokens: str, delete: Deletion) -> Callable[[Handler], Handler]:
    """Register ``handler`` (create or update) and ``delete`` for each type token (import-time;
    a token registered twice fails)."""
    if not isinstance(delete, Deletion):
        raise TypeError(
            f"the registration of {', '.join(type_tokens)} needs delete=deleted_by(...) or "
            f"delete=nothing_to_delete(reason), not {delete!r}"
        )

    def register(handler: Handler) -> Handler:
        for token in type_tokens:
            if token in HANDLERS:
                raise RuntimeError(f"two deploy handlers for {token}")
            HANDLERS[token] = handler
            DELETIONS[token] = delete
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


def load_deletions() -> dict[str, Deletion]:
    """Every registered type's :class:`Deletion` (the provider modules imported)."""
    load_handlers()
    return DELETIONS


def covered_types() -> set[str]:
    """Every type token the engine creates or reports as not emulated."""
    from hybridstack.emulators.deploy.not_emulated import NOT_EMULATED

    return set(load_handlers()) | set(NOT_EMULATED)
