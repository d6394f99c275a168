"""User records on the AWS side: the models, the store interface, and the choice of store.

A record is created once per Firebase user: by the registration call from the Firebase blocking
function, or lazily on the user's first authenticated request if that call never arrived.
Creation is conditional in both stores, so two racing creators leave one record.

Where records live follows ``RECORDS_DATABASE`` (:func:`~hybridstack.services.common.settings.
records_database`): ``dynamodb`` -> :class:`~.dynamodb_users.DynamoUserStore` (the single table,
``PK=USER#<uid>``, ``SK=PROFILE``); ``postgres`` -> :class:`~.postgres_users.PostgresUserStore`
(table ``users`` of the linked cluster, through the Data API). Both behave the same.

Example:
    users = user_store()                          # the configured store
    record, created = users.create_if_absent(NewUser(uid="u1", email="a@b.c"), source="lazy")
    users.update_profile("u1", ProfileUpdate(display_name="Ada"))
    ensure_user("u1", "a@b.c")                    # the record, created now if missing
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from hybridstack.services.common import settings
from hybridstack.services.common.http import RequestBody, Uid
from hybridstack.services.common.text import Line, Paragraph
from hybridstack.services.identity import missed_registrations

Role = Literal["user", "editor", "admin"]
ROLES: tuple[str, ...] = ("user", "editor", "admin")
CreatedBy = Literal["registration", "lazy"]


class NewUser(RequestBody):
    """What is known about a user when the account is created."""

    uid: Uid
    email: Line | None = Field(default=None, max_length=320)
    display_name: Line | None = Field(default=None, max_length=80)


class ProfileUpdate(RequestBody):
    """The fields a user may change on their own profile (at least one)."""

    display_name: Line | None = Field(default=None, min_length=1, max_length=80)
    bio: Paragraph | None = Field(default=None, max_length=500)

    def changes(self) -> dict[str, Any]:
        """The fields that were sent; ValueError when none was."""
        changes = self.model_dump(exclude_unset=True)
        if not changes:
            raise ValueError("nothing to update: send at least one of display_name, bio")
        return changes


class UserRecord(BaseModel):
    """A user as the AWS side stores it."""

    uid: str
    email: str | None = None
    display_name: str | None = None
    bio: str | None = None
    role: Role = "user"
    created_at: str
    created_by: CreatedBy
    storage_used_bytes: int = 0

    @classmethod
    def new(cls, user: NewUser, source: CreatedBy) -> UserRecord:
        """The record a store creates for ``user`` now."""
        return cls(
            uid=user.uid,
            email=user.email,
            display_name=user.display_name,
            created_at=datetime.now(UTC).isoformat(),
            created_by=source,
        )


class UserNotFoundError(LookupError):
    """No record for that uid."""


class UserStore(Protocol):
    """Where user records live (DynamoDB or PostgreSQL); get one with :func:`user_store`.

    Example:
        user_store().get("u1")   # UserRecord or None
    """

    def get(self, uid: str) -> UserRecord | None:
        """The record, or None."""
        ...

    def create_if_absent(self, user: NewUser, *, source: CreatedBy) -> tuple[UserRecord, bool]:
        """Create the record unless it exists; (record, whether this call created it)."""
        ...

    def update_profile(self, uid: str, update: ProfileUpdate) -> UserRecord:
        """Apply the fields set in ``update``; ValueError if none, UserNotFoundError if no
        record."""
        ...

    def set_role(self, uid: str, role: Role) -> UserRecord:
        """UserNotFoundError if there is no record."""
        ...

    def add_storage(self, uid: str, size: int) -> UserRecord:
        """Count ``size`` bytes against the user's storage (atomically); UserNotFoundError if
        there is no record."""
        ...


def user_store() -> UserStore:
    """The store ``RECORDS_DATABASE`` names (or the linked database implies)."""
    if settings.records_database() == "postgres":
        from hybridstack.services.identity.postgres_users import PostgresUserStore

        return PostgresUserStore()
    from hybridstack.services.identity.dynamodb_users import DynamoUserStore

    return DynamoUserStore()


def ensure_user(uid: str, email: str | None, users: UserStore | None = None) -> UserRecord:
    """The caller's record, created now (lazily, and counted as a missed registration) if
    registration never made it."""
    store = users or user_store()
    existing = store.get(uid)
    if existing is not None:
        return existing
    record, created = store.create_if_absent(NewUser(uid=uid, email=email), source="lazy")
    if created:
        missed_registrations.report(uid)
    return record
