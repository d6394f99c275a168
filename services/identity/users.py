"""User records on the AWS side (DynamoDB single table ``PK=USER#<uid>``, ``SK=PROFILE``).

A record is created once per Firebase user: by the registration call from the Firebase blocking
function, or lazily on the user's first authenticated request if that call never arrived.
Creation is conditional, so two racing creators leave one record.

Example:
    users = UserStore()                               # table from DATABASE_TABLE_NAME
    record, created = users.create_if_absent(NewUser(uid="u1", email="a@b.c"), source="lazy")
    users.update_profile("u1", ProfileUpdate(display_name="Ada"))
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from hybridstack.services.common import settings
from hybridstack.services.common.clients import dynamodb_table

Role = Literal["user", "editor", "admin"]
ROLES: tuple[str, ...] = ("user", "editor", "admin")


class NewUser(BaseModel):
    """What is known about a user when the account is created."""

    model_config = ConfigDict(extra="forbid")

    uid: str = Field(min_length=1, max_length=128)
    email: str | None = Field(default=None, max_length=320)
    display_name: str | None = Field(default=None, max_length=80)


class ProfileUpdate(BaseModel):
    """The fields a user may change on their own profile (at least one)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    bio: str | None = Field(default=None, max_length=500)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class UserRecord(BaseModel):
    """A user as the AWS side stores it."""

    uid: str
    email: str | None = None
    display_name: str | None = None
    bio: str | None = None
    role: Role = "user"
    created_at: str
    created_by: Literal["registration", "lazy"]
    storage_used_bytes: int = 0


class UserNotFoundError(LookupError):
    """No record for that uid."""


def _key(uid: str) -> dict[str, str]:
    return {"PK": f"USER#{uid}", "SK": "PROFILE"}


def _record(item: dict[str, Any]) -> UserRecord:
    data = {k: (int(v) if isinstance(v, Decimal) else v) for k, v in item.items()}
    return UserRecord.model_validate({k: v for k, v in data.items() if k not in ("PK", "SK")})


class UserStore:
    """User records in the single table.

    Example:
        UserStore().get("u1")   # UserRecord or None
    """

    def __init__(self, table: Any | None = None) -> None:
        self.table = table or dynamodb_table(settings.require(settings.DATABASE_TABLE))

    def get(self, uid: str) -> UserRecord | None:
        item = self.table.get_item(Key=_key(uid), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def create_if_absent(
        self, user: NewUser, *, source: Literal["registration", "lazy"]
    ) -> tuple[UserRecord, bool]:
        """Create the record unless it exists; (record, whether this call created it)."""
        record = UserRecord(
            uid=user.uid,
            email=user.email,
            display_name=user.display_name,
            created_at=datetime.now(UTC).isoformat(),
            created_by=source,
        )
        item = {**_key(user.uid), **record.model_dump(exclude_none=True)}
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = self.get(user.uid)
            assert existing is not None
            return existing, False
        return record, True

    def _update(
        self, uid: str, values: dict[str, Any], add: dict[str, int] | None = None
    ) -> UserRecord:
        names = {f"#f{i}": name for i, name in enumerate(values)}
        expression = [f"#f{i} = :v{i}" for i in range(len(values))]
        attribute_values = {f":v{i}": value for i, value in enumerate(values.values())}
        update = "SET " + ", ".join(expression) if expression else ""
        if add:
            names |= {f"#a{i}": name for i, name in enumerate(add)}
            attribute_values |= {f":a{i}": value for i, value in enumerate(add.values())}
            update += " ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(add)))
        try:
            response = self.table.update_item(
                Key=_key(uid),
                UpdateExpression=update.strip(),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
                ConditionExpression="attribute_exists(PK)",
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise UserNotFoundError(f"no user record for uid {uid!r}") from None
            raise
        return _record(response["Attributes"])

    def update_profile(self, uid: str, update: ProfileUpdate) -> UserRecord:
        """Apply the fields set in ``update``; UserNotFoundError if there is no record."""
        changes = update.changes()
        if not changes:
            raise ValueError("nothing to update: send at least one of display_name, bio")
        return self._update(uid, changes)

    def set_role(self, uid: str, role: Role) -> UserRecord:
        return self._update(uid, {"role": role})

    def add_storage(self, uid: str, size: int) -> UserRecord:
        """Count ``size`` bytes against the user's storage (atomic ADD)."""
        return self._update(uid, {}, add={"storage_used_bytes": size})


def ensure_user(uid: str, email: str | None, users: UserStore | None = None) -> UserRecord:
    """The caller's record, created now (lazily) if registration never made it."""
    store = users or UserStore()
    return store.get(uid) or store.create_if_absent(NewUser(uid=uid, email=email), source="lazy")[0]
