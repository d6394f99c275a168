"""Versioned schema migrations for the linked PostgreSQL database, applied once per process.

Each :class:`Migration` has a version (ascending, never reused or edited once shipped), a name
and its statements. :func:`migrate` applies the missing ones in ONE transaction that holds a
transaction-level advisory lock (``pg_try_advisory_xact_lock``), so of many Lambdas cold-starting
at once one migrates and the others wait, then find nothing to do; the applied versions are
recorded in ``schema_migrations``. A failed statement rolls the whole run back: the schema is
never half migrated. :func:`ensure_schema` is what code calls before its first statement: one
cheap read on a cold start when the schema is current, nothing on later calls.

Waiting is done by polling the non-blocking ``pg_try_`` form between short transactions, not by
a blocking ``pg_advisory_xact_lock`` call: a Data API request then never sits on a lock (Aurora
would keep its connection busy for the wait; MiniStack, which serves Data API calls one at a
time, would never get to the lock holder's COMMIT).

Example:
    USERS = Migration(1, "users", ("CREATE TABLE users (uid text PRIMARY KEY)",))
    ensure_schema(database(), (USERS,))    # applies version 1 once, then remembers it
    migrate(database(), (USERS,))          # [] : already applied
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from botocore.exceptions import ClientError

from hybridstack.services.common.postgres import Database

MIGRATIONS_TABLE = "schema_migrations"
LOCK_KEY = 0x6879627269647374
"""Advisory lock key of the migration runner ("hybridst" in ASCII)."""
LOCK_WAIT_SECONDS = 60.0
"""How long :func:`migrate` waits for another process's migration before giving up."""

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


def migrate(
    db: Database, migrations: Sequence[Migration], *, wait: float = LOCK_WAIT_SECONDS
) -> list[int]:
    """Apply every migration the database lacks, atomically; the versions applied now.

    While another process holds the migration lock, waits up to ``wait`` seconds (then
    MigrationError), re-checking whether that process already did the work.
    """
    ordered = _checked(migrations)
    deadline = time.monotonic() + wait
    pause = 0.1
    while True:
        applied = _migrate_if_unlocked(db, ordered)
        if applied is not None:
            return applied
        if applied_version(db) >= latest_version(ordered):
            return []  # the lock holder migrated everything meanwhile
        if time.monotonic() >= deadline:
            raise MigrationError(
                f"another process has held the schema migration lock (key {LOCK_KEY}) for "
                f"{wait:.0f} s; is a migration stuck? (SELECT * FROM pg_locks WHERE "
                "locktype = 'advisory')"
            )
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _migrate_if_unlocked(db: Database, ordered: list[Migration]) -> list[int] | None:
    """One attempt: the versions applied, or None when another process holds the lock."""
    with db.transaction() as tx:
        # Held until COMMIT/ROLLBACK; a concurrent runner sees false and retries later.
        rows = tx.query("SELECT pg_try_advisory_xact_lock(:key) AS locked", {"key": LOCK_KEY})
        if not rows[0]["locked"]:
            return None
        tx.execute(_CREATE_TABLE)
        done = {row["version"] for row in tx.query(f"SELECT version FROM {MIGRATIONS_TABLE}")}
        applied: list[int] = []
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
