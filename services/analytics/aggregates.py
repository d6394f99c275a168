"""Daily analytics aggregates in the records database (``RECORDS_DATABASE``).

One aggregate per source and day: the day's metric totals, the number of items, and the run and
raw object it came from. Saving is an upsert, so re-running a day replaces its aggregate (never
doubles it).

- ``dynamodb``: the single table, ``PK=ANALYTICS#<source>``, ``SK=DAY#<yyyy-mm-dd>``.
- ``postgres``: table ``analytics_daily`` (primary key ``source, day``; ``totals`` is jsonb:
  ``SELECT day, (totals->>'streams')::bigint FROM analytics_daily WHERE source = 'spotify'``).

Example:
    store = aggregate_store()
    store.save(DailyAggregate(source="spotify", day=date(2026, 11, 21), totals={"streams": 9},
                              items=1, run_id="r1", raw_key="raw/analytics/..."))
    store.get("spotify", date(2026, 11, 21))   # the DailyAggregate, or None
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel

from hybridstack.services.common import settings
from hybridstack.services.common.clients import dynamodb_table
from hybridstack.services.common.postgres import Database
from hybridstack.services.common.schema import records_db


class DailyAggregate(BaseModel):
    """One source's totals for one day."""

    source: str
    day: date
    totals: dict[str, int]
    items: int
    run_id: str
    raw_key: str


class AggregateStore(Protocol):
    """Where daily aggregates live; get one with :func:`aggregate_store`."""

    def save(self, aggregate: DailyAggregate) -> None:
        """Insert or replace the aggregate of its source and day."""
        ...

    def get(self, source: str, day: date) -> DailyAggregate | None: ...


class DynamoAggregateStore:
    """Aggregates in the single table (the whole item is written, so a re-run replaces it).

    Example:
        DynamoAggregateStore().get("youtube", date(2026, 11, 21))
    """

    def __init__(self, table: Any | None = None) -> None:
        self.table = table or dynamodb_table(settings.require(settings.DATABASE_TABLE))

    @staticmethod
    def _key(source: str, day: date) -> dict[str, str]:
        return {"PK": f"ANALYTICS#{source}", "SK": f"DAY#{day.isoformat()}"}

    def save(self, aggregate: DailyAggregate) -> None:
        self.table.put_item(
            Item={**self._key(aggregate.source, aggregate.day), **aggregate.model_dump(mode="json")}
        )

    def get(self, source: str, day: date) -> DailyAggregate | None:
        item = self.table.get_item(Key=self._key(source, day), ConsistentRead=True).get("Item")
        if not item:
            return None
        data = {k: v for k, v in item.items() if k not in ("PK", "SK")}
        data["totals"] = {k: int(v) for k, v in data["totals"].items()}
        data["items"] = int(data["items"]) if isinstance(data["items"], Decimal) else data["items"]
        return DailyAggregate.model_validate(data)


class PostgresAggregateStore:
    """Aggregates in ``analytics_daily`` (upsert on ``source, day``).

    Example:
        PostgresAggregateStore().get("youtube", date(2026, 11, 21))
    """

    def __init__(self, db: Database | None = None) -> None:
        self.db = db or records_db()

    def save(self, aggregate: DailyAggregate) -> None:
        self.db.execute(
            "INSERT INTO analytics_daily (source, day, totals, items, run_id, raw_key) "
            "VALUES (:source, :day, :totals, :items, :run_id, :raw_key) "
            "ON CONFLICT (source, day) DO UPDATE SET totals = EXCLUDED.totals, "
            "items = EXCLUDED.items, run_id = EXCLUDED.run_id, raw_key = EXCLUDED.raw_key, "
            "updated_at = now()",
            aggregate.model_dump(),
        )

    def get(self, source: str, day: date) -> DailyAggregate | None:
        rows = self.db.query(
            "SELECT source, day, totals, items, run_id, raw_key FROM analytics_daily "
            "WHERE source = :source AND day = :day",
            {"source": source, "day": day},
        )
        if not rows:
            return None
        return DailyAggregate.model_validate({**rows[0], "totals": json.loads(rows[0]["totals"])})


def aggregate_store() -> AggregateStore:
    """The store ``RECORDS_DATABASE`` names (or the linked database implies)."""
    if settings.records_database() == "postgres":
        return PostgresAggregateStore()
    return DynamoAggregateStore()
