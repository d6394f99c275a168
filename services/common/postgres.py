"""PostgreSQL through the RDS Data API: the linked cluster, typed parameters, rows as dicts,
transactions. The same code runs on Aurora and on the local cloud (MiniStack executes the Data
API's SQL in a real PostgreSQL container); the client is ``aws_client("rds-data")``, so its
endpoint comes from the environment, never from code.

The cluster is the one a PostgresCluster link describes: exactly one variable ending in
``_CLUSTER_ARN`` (``CATALOG_CLUSTER_ARN``); its prefix names the other two,
``CATALOG_SECRET_ARN`` and ``CATALOG_DATABASE``.

Statements use named placeholders (``:uid``). Python values become typed Data API parameters:
``str`` -> ``stringValue``, ``int`` -> ``longValue``, ``None`` -> ``isNull``, ``datetime`` ->
``TIMESTAMP`` (as UTC), ``date`` -> ``DATE``, ``dict``/``list`` -> ``JSON``, ``Decimal`` ->
``DECIMAL``, ``UUID`` -> ``UUID``, ``bytes`` -> ``blobValue``. Aurora sends a bare string as
``varchar``, so a timestamp, date or JSON column needs the hint (done here). A ``datetime`` is
sent as a UTC ``timestamp``; for a ``timestamptz`` column write ``CAST(:at AS timestamp) AT TIME
ZONE 'UTC'`` so the session's TimeZone never matters. Rows come back as
dicts keyed by column label, each value from its Field (the Data API's ``typeName`` is not
relied on: MiniStack reports every column as VARCHAR). Timestamps come back as text
(``2026-11-22 16:00:00.123456``): select ``col AT TIME ZONE 'UTC'`` and parse with
:func:`utc_timestamp`. Keep ``%`` out of SQL text (MiniStack hands statements to psycopg2).

Example:
    db = database()                                   # the linked cluster, cached per process
    db.query("SELECT uid, email FROM users WHERE uid = :uid", {"uid": "u1"})
    # [{"uid": "u1", "email": "a@b.c"}]
    with db.transaction() as tx:
        tx.execute("UPDATE users SET role = :role WHERE uid = :uid", {"role": "admin", "uid": "u1"})
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from hybridstack.services.common import links, settings
from hybridstack.services.common.clients import aws_client
from hybridstack.services.common.links import link_variable

Row = dict[str, Any]
RESUME_WAIT_SECONDS = 60.0
"""How long a statement waits for an auto-paused Aurora Serverless v2 cluster (min capacity 0)
to resume (``DatabaseResumingException``) before the error goes on."""


@dataclass(frozen=True)
class LinkedCluster:
    """The Aurora cluster a PostgresCluster link points at.

    Example:
        linked_cluster()   # LinkedCluster(cluster_arn="arn:aws:rds:...", secret_arn=..., ...)
    """

    cluster_arn: str
    secret_arn: str
    database: str


def linked_cluster(env: Mapping[str, str] | None = None) -> LinkedCluster:
    """The one linked cluster; MissingSettingError naming the variable that is missing."""
    source = env if env is not None else os.environ
    arn_variable = settings.name_by_suffix(settings.CLUSTER_ARN_SUFFIX, source)
    if arn_variable is None:
        raise settings.MissingSettingError(
            f"no PostgreSQL cluster is linked: no environment variable ends in "
            f"{settings.CLUSTER_ARN_SUFFIX} (link a PostgresCluster to this function, e.g. "
            "CATALOG_CLUSTER_ARN, CATALOG_SECRET_ARN, CATALOG_DATABASE)"
        )
    prefix = arn_variable.removesuffix(settings.CLUSTER_ARN_SUFFIX)
    return LinkedCluster(
        cluster_arn=source[arn_variable],
        secret_arn=settings.require(link_variable(prefix, links.SECRET_ARN), source),
        database=settings.require(link_variable(prefix, links.DATABASE), source),
    )


def sql_parameter(name: str, value: Any) -> dict[str, Any]:
    """One Data API ``SqlParameter`` for a Python value (typeHint where Aurora needs one)."""
    hint: str | None = None
    field: dict[str, Any]
    if value is None:
        field = {"isNull": True}
    elif isinstance(value, bool):
        field = {"booleanValue": value}
    elif isinstance(value, int):
        field = {"longValue": value}
    elif isinstance(value, float):
        field = {"doubleValue": value}
    elif isinstance(value, str):
        field = {"stringValue": value}
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = value.isoformat(sep=" ", timespec="microseconds")
        field, hint = {"stringValue": text}, "TIMESTAMP"
    elif isinstance(value, date):
        field, hint = {"stringValue": value.isoformat()}, "DATE"
    elif isinstance(value, Decimal):
        field, hint = {"stringValue": str(value)}, "DECIMAL"
    elif isinstance(value, uuid.UUID):
        field, hint = {"stringValue": str(value)}, "UUID"
    elif isinstance(value, dict | list):
        field, hint = {"stringValue": json.dumps(value, separators=(",", ":"))}, "JSON"
    elif isinstance(value, bytes | bytearray):
        field = {"blobValue": bytes(value)}
    else:
        raise TypeError(f"parameter {name!r}: no Data API type for {type(value).__name__}")
    parameter: dict[str, Any] = {"name": name, "value": field}
    if hint:
        parameter["typeHint"] = hint
    return parameter


def field_value(field: Mapping[str, Any]) -> Any:
    """The Python value of one Data API ``Field`` (arrays become lists)."""
    if field.get("isNull"):
        return None
    for kind in ("stringValue", "longValue", "doubleValue", "booleanValue", "blobValue"):
        if kind in field:
            return field[kind]
    if "arrayValue" in field:
        return _array_value(field["arrayValue"])
    return None


def _array_value(array: Mapping[str, Any]) -> list[Any]:
    if "arrayValues" in array:
        return [_array_value(item) for item in array["arrayValues"]]
    for kind in ("stringValues", "longValues", "doubleValues", "booleanValues"):
        if kind in array:
            return list(array[kind])
    return []


def rows_of(response: Mapping[str, Any]) -> list[Row]:
    """ExecuteStatement's records (with ``includeResultMetadata``) as dicts by column label."""
    names = [column.get("label") or column["name"] for column in response.get("columnMetadata", [])]
    return [
        dict(zip(names, (field_value(field) for field in record), strict=True))
        for record in response.get("records", [])
    ]


def utc_timestamp(text: str) -> str:
    """ISO 8601 in UTC (``2026-11-22T16:00:00.123456+00:00``) from a timestamp the Data API
    returned for ``col AT TIME ZONE 'UTC'``."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


class Transaction:
    """Statements inside one Data API transaction (see :meth:`Database.transaction`)."""

    def __init__(self, db: Database, transaction_id: str) -> None:
        self.db = db
        self.transaction_id = transaction_id

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return rows_of(self.db.run(sql, params, transaction_id=self.transaction_id))

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        response = self.db.run(sql, params, transaction_id=self.transaction_id)
        return int(response.get("numberOfRecordsUpdated", 0))


class Database:
    """One database of the linked cluster, reached through the Data API.

    Example:
        db = Database(linked_cluster())
        db.query("SELECT count(*) AS n FROM users")   # [{"n": 3}]
    """

    def __init__(self, cluster: LinkedCluster, client: Any | None = None) -> None:
        self.cluster = cluster
        self.client = client or aws_client("rds-data")
        self.schema_version: int | None = None
        """The migration version this process has checked the schema at (see migrations)."""

    def _target(self) -> dict[str, str]:
        return {
            "resourceArn": self.cluster.cluster_arn,
            "secretArn": self.cluster.secret_arn,
            "database": self.cluster.database,
        }

    def run(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        transaction_id: str | None = None,
    ) -> dict[str, Any]:
        """The raw ExecuteStatement response (with column metadata)."""
        request: dict[str, Any] = {**self._target(), "sql": sql, "includeResultMetadata": True}
        if params:
            request["parameters"] = [sql_parameter(k, v) for k, v in params.items()]
        if transaction_id:
            request["transactionId"] = transaction_id
        return self._call("execute_statement", request)

    def _call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """One Data API call, repeated while a paused cluster resumes (nothing ran yet)."""
        deadline = time.monotonic() + RESUME_WAIT_SECONDS
        while True:
            try:
                response: dict[str, Any] = getattr(self.client, operation)(**request)
                return response
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code != "DatabaseResumingException" or time.monotonic() > deadline:
                    raise
            time.sleep(2.0)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """The rows a statement returns (a SELECT, or DML with RETURNING), as dicts."""
        return rows_of(self.run(sql, params))

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement on its own (autocommit); the number of rows it changed."""
        return int(self.run(sql, params).get("numberOfRecordsUpdated", 0))

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """BeginTransaction; CommitTransaction when the block ends, RollbackTransaction if it
        raises (the error goes on)."""
        target = self._target()
        transaction_id = self._call("begin_transaction", target)["transactionId"]
        try:
            yield Transaction(self, transaction_id)
        except BaseException:
            self.client.rollback_transaction(
                resourceArn=target["resourceArn"],
                secretArn=target["secretArn"],
                transactionId=transaction_id,
            )
            raise
        self.client.commit_transaction(
            resourceArn=target["resourceArn"],
            secretArn=target["secretArn"],
            transactionId=transaction_id,
        )


@cache
def database() -> Database:
    """The linked cluster's database (one per process; ``reset_clients`` forgets it)."""
    return Database(linked_cluster())
