"""The records database: chosen by RECORDS_DATABASE (or the linked cluster), PostgreSQL reached
through the RDS Data API of a local Aurora cluster, its schema migrated once, atomically, and
visible to every later process; bad configuration named in the error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hybridstack.services.analytics.aggregates import aggregate_store
from hybridstack.services.common import settings
from hybridstack.services.common.clients import reset_clients
from hybridstack.services.common.migrations import (
    LOCK_KEY,
    Migration,
    MigrationError,
    migrate,
)
from hybridstack.services.common.postgres import Database, LinkedCluster, database
from hybridstack.services.common.schema import MIGRATIONS, records_db
from hybridstack.services.identity import api
from hybridstack.services.identity.users import NewUser, user_store
from tests.services.conftest import http_event

ARN = "arn:aws:rds:us-east-1:000000000000:cluster:catalog"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "dynamodb"),
        ({"CATALOG_CLUSTER_ARN": ARN}, "postgres"),
        ({"RECORDS_DATABASE": "dynamodb", "CATALOG_CLUSTER_ARN": ARN}, "dynamodb"),
        ({"RECORDS_DATABASE": "postgres"}, "postgres"),
        ({"RECORDS_DATABASE": " Postgres "}, "postgres"),
        ({"RECORDS_DATABASE": "", "CATALOG_CLUSTER_ARN": ARN}, "postgres"),
    ],
)
def test_the_records_database_follows_the_variable_or_the_linked_cluster(
    env: dict[str, str], expected: str
) -> None:
    assert settings.records_database(env) == expected


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No linked cluster and no RECORDS_DATABASE, whatever the shell exported."""
    for name in list(os.environ):
        if name.endswith(("_CLUSTER_ARN", "_SECRET_ARN")) or name == settings.RECORDS_DATABASE:
            monkeypatch.delenv(name)
    reset_clients()
    yield monkeypatch
    reset_clients()


def test_an_unknown_records_database_is_refused_by_name(
    clean_environment: pytest.MonkeyPatch, context: Any
) -> None:
    clean_environment.setenv("RECORDS_DATABASE", "mysql")
    message = r"RECORDS_DATABASE='mysql' is not supported: use one of dynamodb, postgres"
    with pytest.raises(settings.MissingSettingError, match=message):
        user_store()
    with pytest.raises(settings.MissingSettingError, match=message):
        aggregate_store()
    claims = {"sub": "u1", "email": "a@example.com"}
    with pytest.raises(settings.MissingSettingError, match=message):  # the Lambda's error
        api.handle(http_event("GET", "/users/me", claims=claims), context)


def test_postgres_without_a_linked_cluster_names_the_missing_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("RECORDS_DATABASE", "postgres")
    with pytest.raises(
        settings.MissingSettingError, match="no environment variable ends in _CLUSTER_ARN"
    ):
        user_store()

    clean_environment.setenv("CATALOG_CLUSTER_ARN", ARN)
    with pytest.raises(settings.MissingSettingError, match="CATALOG_SECRET_ARN is not set"):
        aggregate_store()

    clean_environment.setenv("CATALOG_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:0:secret:x")
    with pytest.raises(settings.MissingSettingError, match="CATALOG_DATABASE is not set"):
        user_store()

    clean_environment.setenv("ORDERS_CLUSTER_ARN", ARN + "-2")
    with pytest.raises(
        settings.MissingSettingError,
        match="several variables end in _CLUSTER_ARN: CATALOG_CLUSTER_ARN, ORDERS_CLUSTER_ARN",
    ):
        user_store()


@pytest.mark.parametrize(
    ("migrations", "message"),
    [
        ((Migration(1, "a", ("SELECT 1",)), Migration(1, "b", ("SELECT 1",))), "used twice"),
        ((Migration(0, "zero", ("SELECT 1",)),), "version must be 1 or more"),
        ((Migration(1, "empty", ()),), "migration 1 has no statements"),
    ],
)
def test_malformed_migration_lists_are_refused(
    migrations: tuple[Migration, ...], message: str
) -> None:
    with pytest.raises(MigrationError, match=message):
        migrate(Database(LinkedCluster(ARN, "arn:secret", "platform"), client=object()), migrations)


@pytest.fixture
def linked(
    aurora_database: Any, monkeypatch: pytest.MonkeyPatch, aws_session: Any
) -> Iterator[Any]:
    """A fresh Aurora cluster linked as ``catalog``; yields the test's own Data API client."""
    for name, value in aurora_database.link_environment("CATALOG").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RECORDS_DATABASE", "postgres")
    reset_clients()
    yield aws_session.client("rds-data")
    reset_clients()


def applied_rows(db: Database) -> list[tuple[int, str, str]]:
    rows = db.query("SELECT version, name, applied_at::text AS at FROM schema_migrations")
    return sorted((row["version"], row["name"], row["at"]) for row in rows)


def test_migrations_apply_once_and_a_second_process_sees_the_schema(linked: Any) -> None:
    db = database()
    assert migrate(db, MIGRATIONS) == [1, 2]
    first = applied_rows(db)
    assert [(version, name) for version, name, _ in first] == [(1, "users"), (2, "analytics_daily")]
    assert migrate(db, MIGRATIONS) == []  # applying again is a no-op
    assert applied_rows(db) == first

    user_store().create_if_absent(NewUser(uid="u-first", email="f@example.com"), source="lazy")

    # Another process (a new Lambda worker: nothing cached) finds the schema and the data.
    script = (
        "import json; from hybridstack.services.common.migrations import applied_version;"
        "from hybridstack.services.common.schema import records_db;"
        "from hybridstack.services.identity.users import user_store;"
        "db = records_db(); record = user_store().get('u-first');"
        "print(json.dumps({'version': applied_version(db), 'email': record.email}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "version": 2,
        "email": "f@example.com",
    }
    assert applied_rows(db) == first  # it migrated nothing


def test_concurrent_cold_starts_migrate_once(linked: Any) -> None:
    """Three new processes on an empty database at once: one migrates, the others wait for it
    (none fails on a half-made schema, none applies a version twice)."""
    script = (
        "import json, sys, time; from hybridstack.services.common.migrations import migrate;"
        "from hybridstack.services.common.postgres import database;"
        "from hybridstack.services.common.schema import MIGRATIONS;"
        "db = database();"  # imports done: start together (not as each interpreter comes up)
        "time.sleep(max(0.0, float(sys.argv[1]) - time.time()));"
        "print(json.dumps(migrate(db, MIGRATIONS)))"
    )
    start_at = str(time.time() + 5)
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    applied = []
    try:
        for process in starts:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            applied.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in starts:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert sorted(applied) == [[], [], [1, 2]]
    assert [(v, n) for v, n, _ in applied_rows(database())] == [
        (1, "users"),
        (2, "analytics_daily"),
    ]


def test_the_schema_is_migrated_on_first_use(linked: Any) -> None:
    _, created = user_store().create_if_absent(NewUser(uid="u1"), source="registration")
    assert created
    rows = database().query("SELECT version FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in rows] == [1, 2]


def test_a_migration_waits_for_the_one_holding_the_lock(linked: Any, aurora_database: Any) -> None:
    target = {
        "resourceArn": aurora_database.cluster_arn,
        "secretArn": aurora_database.secret_arn,
    }
    holder = linked.begin_transaction(**target, database=aurora_database.database)
    linked.execute_statement(
        **target,
        database=aurora_database.database,
        transactionId=holder["transactionId"],
        sql="SELECT 1 AS locked FROM pg_advisory_xact_lock(:key)",
        parameters=[{"name": "key", "value": {"longValue": LOCK_KEY}}],
    )
    try:
        with pytest.raises(MigrationError, match="held the schema migration lock"):
            migrate(database(), MIGRATIONS, wait=0.5)
        assert not database().query("SELECT to_regclass('users') IS NOT NULL AS present")[0][
            "present"
        ]
    finally:
        linked.commit_transaction(**target, transactionId=holder["transactionId"])
    assert migrate(database(), MIGRATIONS, wait=0.5) == [1, 2]


def test_a_failing_migration_leaves_nothing_behind(linked: Any) -> None:
    broken = Migration(3, "broken", ("CREATE TABLE extra (id int)", "SELECT nope FROM users"))
    with pytest.raises(ClientError, match='column "nope" does not exist'):
        migrate(database(), (*MIGRATIONS, broken))
    tables = database().query(
        "SELECT to_regclass('users') IS NULL AND to_regclass('extra') IS NULL "
        "AND to_regclass('schema_migrations') IS NULL AS nothing"
    )
    assert tables == [{"nothing": True}]
    assert migrate(database(), MIGRATIONS) == [1, 2]


def test_typed_values_round_trip_through_the_data_api(linked: Any) -> None:
    db = records_db()
    db.execute(
        "CREATE TABLE samples (id bigint PRIMARY KEY, at timestamptz, day date, doc jsonb, "
        "flag boolean, ratio double precision, price numeric(8, 2), note text)"
    )
    paris = timezone(timedelta(hours=1))
    inserted = db.query(
        "INSERT INTO samples VALUES (:id, :at, :day, :doc, :flag, :ratio, :price, :note) "
        "RETURNING id AS sample_id",
        {
            "id": 2**40,
            "at": datetime(2026, 11, 22, 17, 30, 0, 250000, tzinfo=paris),
            "day": date(2026, 11, 21),
            "doc": {"streams": 9, "tags": ["a"]},
            "flag": True,
            "ratio": 0.5,
            "price": Decimal("12.50"),
            "note": None,
        },
    )
    assert inserted == [{"sample_id": 2**40}]
    [row] = db.query(
        "SELECT at AT TIME ZONE 'UTC' AS at, day::text AS day, doc::text AS doc, flag, ratio, "
        "price::text AS price, note FROM samples WHERE id = :id",
        {"id": 2**40},
    )
    assert datetime.fromisoformat(row.pop("at")).replace(tzinfo=UTC) == datetime(
        2026, 11, 22, 16, 30, 0, 250000, tzinfo=UTC
    )
    assert json.loads(row.pop("doc")) == {"streams": 9, "tags": ["a"]}
    assert row == {"day": "2026-11-21", "flag": True, "ratio": 0.5, "price": "12.50", "note": None}

    # The schema's CHECK keeps roles to the known ones, whatever writes the row.
    with pytest.raises(ClientError, match="users_role_check"):
        db.execute("INSERT INTO users (uid, role, created_by) VALUES ('x', 'owner', 'lazy')")


def test_a_transaction_rolls_back_when_its_block_fails(linked: Any) -> None:
    db = records_db()
    seen_inside: list[Any] = []

    def insert_then_fail() -> None:
        with db.transaction() as tx:
            tx.execute("INSERT INTO users (uid, created_by) VALUES ('u-tx', 'lazy')")
            seen_inside.extend(tx.query("SELECT uid FROM users WHERE uid = 'u-tx'"))
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        insert_then_fail()
    assert seen_inside == [{"uid": "u-tx"}]
    assert db.query("SELECT uid FROM users WHERE uid = 'u-tx'") == []

    with db.transaction() as tx:
        tx.execute("INSERT INTO users (uid, created_by) VALUES ('u-tx', 'lazy')")
    assert db.query("SELECT uid FROM users WHERE uid = 'u-tx'") == [{"uid": "u-tx"}]
