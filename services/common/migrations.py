"""Versioned schema migrations for the linked PostgreSQL database, applied once per process.

Each :class:`Migration` has a version (ascending, never reused or edited once shipped), a name
and its statements. :func:`migrate` applies the missing ones in ONE transaction that first takes
a transaction-level advisory lock, so concurrent cold starts (many Lambdas at once) queue up and
the ones after the first find nothing to do; the applied versions are recorded in
``schema_migrations``. A failed statement rolls the whole run back: the schema is never half
migrated. :func:`ensure_schema` is what code calls before its first statement: one cheap read on
a cold start when the schema is current, nothing on later calls.

Example:
    USERS = Migration(1, "users", ("CREATE TABLE users (uid text PRIMARY KEY)",))
    ensure_schema(database(), (USERS,))    # applies version 1 once, then remembers it
    migrate(database(), (USERS,))          # [] : already applied
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from botocore.exceptions import ClientError

from hybridstack.services.common.postgres import Database

MIGRATIONS_TABLE = "schema_migrations"
LOCK_KEY = 0x6879627269647374
"""``pg_advisory_xact_lock`` key of the migration runner ("hybridst" in ASCII)."""

_CREATE_TABLE = f"""CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: applied once, in version order, inside the runner's transaction.

    Example:
        Migration(2, "users_email_index", ("CREATE INDEX users_email ON users (email)",))
    """

    version: int
    name: str
    statements: tuple[str, ...]


class MigrationError(ValueError):
    """The list of migrations is malformed (the message says which version)."""


def _checked(migrations: Sequence[Migration]) -> list[Migration]:
    ordered = sorted(migrations, key=lambda m: m.version)
    seen: set[int] = set()
    for migration in ordered:
        if migration.version < 1:
            raise MigrationError(f"migration {migration.name!r}: version must be 1 or more")
        if migration.version in seen:
            raise MigrationError(f"migration version {migration.version} is used twice")
        if not migration.statements:
            raise MigrationError(f"migration {migration.version} has no statements")
        seen.add(migration.version)
    return ordered


def latest_version(migrations: Sequence[Migration]) -> int:
    return max((m.version for m in migrations), default=0)


def applied_version(db: Database) -> int:
    """The highest version recorded in the database; 0 when nothing was ever applied."""
    try:
        rows = db.query(f"SELECT coalesce(max(version), 0) AS version FROM {MIGRATIONS_TABLE}")
    except ClientError:  # no migrations table yet (or no answer: migrate() says which)
        return 0
    return int(rows[0]["version"])


def migrate(db: Database, migrations: Sequence[Migration]) -> list[int]:
    """Apply every migration the database lacks, atomically; the versions applied now."""
    ordered = _checked(migrations)
    applied: list[int] = []
    with db.transaction() as tx:
        # Held until commit or rollback: a concurrent runner waits here, then sees our rows.
        tx.query("SELECT 1 AS locked FROM pg_advisory_xact_lock(:key)", {"key": LOCK_KEY})
        tx.execute(_CREATE_TABLE)
        done = {row["version"] for row in tx.query(f"SELECT version FROM {MIGRATIONS_TABLE}")}
        for migration in ordered:
            if migration.version in done:
                continue
            for statement in migration.statements:
                tx.execute(statement)
            tx.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name) VALUES (:version, :name)",
                {"version": migration.version, "name": migration.name},
            )
            applied.append(migration.version)
    return applied


def ensure_schema(db: Database, migrations: Sequence[Migration]) -> Database:
    """``db`` with its schema at the latest version: checked once per process, migrated if
    behind (a newer schema, from code deployed after this one, is left as it is)."""
    latest = latest_version(migrations)
    if db.schema_version is not None and db.schema_version >= latest:
        return db
    if applied_version(db) < latest:
        migrate(db, migrations)
    db.schema_version = latest
    return db
