"""User records in PostgreSQL: table ``users`` of the linked cluster, through the RDS Data API.

Same behaviour as the DynamoDB store: creation is race-safe (``INSERT ... ON CONFLICT (uid) DO
NOTHING RETURNING``; the loser reads the winner's row), updates of a missing uid raise
UserNotFoundError, and storage is counted atomically in the database
(``storage_used_bytes = storage_used_bytes + :size``). The schema (``common/schema.py``) is
migrated on the store's first use in the process.

Example:
    users = PostgresUserStore()                   # cluster from <NAME>_CLUSTER_ARN
    users.create_if_absent(NewUser(uid="u1"), source="registration")   # (record, True)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hybridstack.services.common.postgres import Database, Row, utc_timestamp
from hybridstack.services.common.schema import records_db
from hybridstack.services.identity.users import (
    CreatedBy,
    NewUser,
    ProfileUpdate,
    Role,
    UserNotFoundError,
    UserRecord,
)

COLUMNS = (
    "uid, email, display_name, bio, role, created_at AT TIME ZONE 'UTC' AS created_at, "
    "created_by, storage_used_bytes"
)
PROFILE_COLUMNS = frozenset(ProfileUpdate.model_fields)


def _record(row: Row) -> UserRecord:
    return UserRecord.model_validate({**row, "created_at": utc_timestamp(row["created_at"])})


class PostgresUserStore:
    """User records in the ``users`` table.

    Example:
        PostgresUserStore().get("u1")   # UserRecord or None
    """

    def __init__(self, db: Database | None = None) -> None:
        self.db = db or records_db()

    def get(self, uid: str) -> UserRecord | None:
        rows = self.db.query(f"SELECT {COLUMNS} FROM users WHERE uid = :uid", {"uid": uid})
        return _record(rows[0]) if rows else None

    def create_if_absent(self, user: NewUser, *, source: CreatedBy) -> tuple[UserRecord, bool]:
        """Create the record unless it exists; (record, whether this call created it)."""
        record = UserRecord.new(user, source)
        rows = self.db.query(
            "INSERT INTO users (uid, email, display_name, created_at, created_by) "
            "VALUES (:uid, :email, :display_name, CAST(:created_at AS timestamp) AT TIME ZONE "
            "'UTC', :created_by) "
            f"ON CONFLICT (uid) DO NOTHING RETURNING {COLUMNS}",
            {
                "uid": user.uid,
                "email": user.email,
                "display_name": user.display_name,
                "created_at": datetime.fromisoformat(record.created_at),
                "created_by": source,
            },
        )
        if rows:
            return _record(rows[0]), True
        existing = self.get(user.uid)  # the other creator committed before our insert ended
        assert existing is not None
        return existing, False

    def _update(self, uid: str, assignments: str, values: dict[str, Any]) -> UserRecord:
        rows = self.db.query(
            f"UPDATE users SET {assignments} WHERE uid = :uid RETURNING {COLUMNS}",
            {**values, "uid": uid},
        )
        if not rows:
            raise UserNotFoundError(f"no user record for uid {uid!r}")
        return _record(rows[0])

    def update_profile(self, uid: str, update: ProfileUpdate) -> UserRecord:
        """Apply the fields set in ``update``; UserNotFoundError if there is no record."""
        changes = update.changes()
        unknown = set(changes) - PROFILE_COLUMNS
        if unknown:  # the model forbids extras; column names never come from a request
            raise ValueError(f"not profile fields: {', '.join(sorted(unknown))}")
        assignments = ", ".join(f"{column} = :{column}" for column in sorted(changes))
        return self._update(uid, assignments, changes)

    def set_role(self, uid: str, role: Role) -> UserRecord:
        return self._update(uid, "role = :role", {"role": role})

    def add_storage(self, uid: str, size: int) -> UserRecord:
        """Count ``size`` bytes against the user's storage (one atomic UPDATE)."""
        return self._update(uid, "storage_used_bytes = storage_used_bytes + :size", {"size": size})
