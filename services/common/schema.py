"""The platform's PostgreSQL schema (``RECORDS_DATABASE=postgres``), as ordered migrations.

- ``users``: one row per Firebase user (the AWS-side record; see ``identity/users.py``).
- ``analytics_daily``: one row per source and day (the collector's aggregate; a re-run of the
  day replaces its row).

Shipped migrations are never edited: a change is a new version appended to :data:`MIGRATIONS`.

Example:
    db = records_db()      # the linked database, migrated on first use in this process
    db.query("SELECT uid FROM users WHERE uid = :uid", {"uid": "u1"})
"""

from __future__ import annotations

from hybridstack.services.common.migrations import Migration, ensure_schema
from hybridstack.services.common.postgres import Database, database

USERS = Migration(
    1,
    "users",
    (
        """CREATE TABLE users (
            uid text PRIMARY KEY CHECK (length(uid) BETWEEN 1 AND 128),
            email text,
            display_name text,
            bio text,
            role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'editor', 'admin')),
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text NOT NULL CHECK (created_by IN ('registration', 'lazy')),
            storage_used_bytes bigint NOT NULL DEFAULT 0
        )""",
    ),
)

ANALYTICS_DAILY = Migration(
    2,
    "analytics_daily",
    (
        """CREATE TABLE analytics_daily (
            source text NOT NULL,
            day date NOT NULL,
            totals jsonb NOT NULL,
            items integer NOT NULL CHECK (items >= 0),
            run_id text NOT NULL,
            raw_key text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (source, day)
        )""",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (USERS, ANALYTICS_DAILY)


def records_db() -> Database:
    """The linked database with the platform's schema (migrated once per process)."""
    return ensure_schema(database(), MIGRATIONS)
