"""User records in the DynamoDB single table (``PK=USER#<uid>``, ``SK=PROFILE``).

Creation is a conditional put (``attribute_not_exists(PK)``); updates require the item to exist;
storage is counted with an atomic ``ADD``.

Example:
    users = DynamoUserStore()                     # table from DATABASE_TABLE_NAME
    users.create_if_absent(NewUser(uid="u1"), source="registration")   # (record, True)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from hybridstack.services.common import settings
from hybridstack.services.common.clients import dynamodb_table
from hybridstack.services.identity.users import (
    CreatedBy,
    NewUser,
    ProfileUpdate,
    Role,
    UserNotFoundError,
    UserRecord,
)


def _key(uid: str) -> dict[str, str]:
    return {"PK": f"USER#{uid}", "SK": "PROFILE"}


def _record(item: dict[str, Any]) -> UserRecord:
    data = {k: (int(v) if isinstance(v, Decimal) else v) for k, v in item.items()}
    return UserRecord.model_validate({k: v for k, v in data.items() if k not in ("PK", "SK")})


class DynamoUserStore:
    """User records in the single table.

    Example:
        DynamoUserStore().get("u1")   # UserRecord or None
    """

    def __init__(self, table: Any | None = None) -> None:
        self.table = table or dynamodb_table(settings.require(settings.DATABASE_TABLE))

    def get(self, uid: str) -> UserRecord | None:
        item = self.table.get_item(Key=_key(uid), ConsistentRead=True).get("Item")
        return _record(item) if item else None

    def create_if_absent(self, user: NewUser, *, source: CreatedBy) -> tuple[UserRecord, bool]:
        """Create the record unless it exists; (record, whether this call created it)."""
        record = UserRecord.new(user, source)
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
        return self._update(uid, update.changes())

    def set_role(self, uid: str, role: Role) -> UserRecord:
        return self._update(uid, {"role": role})

    def add_storage(self, uid: str, size: int) -> UserRecord:
        """Count ``size`` bytes against the user's storage (atomic ADD)."""
        return self._update(uid, {}, add={"storage_used_bytes": size})
