"""The analytics collector: raw pages to S3 by date, daily aggregates to the database,
dashboard documents to Firestore.

For each source and day:

- raw pages: ``s3://<ANALYTICS_RAW_BUCKET_NAME>/raw/analytics/source=<s>/dt=<yyyy-mm-dd>/
  <run id>.json`` (Hive-style partitions, queryable by Athena/Glue as they are);
- aggregate: the day's totals and item count in the records database (``RECORDS_DATABASE``,
  see ``aggregates.py``: the single table or PostgreSQL's ``analytics_daily``); an upsert, so
  re-running a day replaces it (never doubles);
- dashboard: Firestore ``dashboards/<source>`` with the latest day's totals and top items, all
  sources in one batched, retried write with server timestamps.

Example:
    collect([GeneratedSource("spotify")], date(2026, 11, 22), run_id="r1")
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from hybridstack.services.analytics.aggregates import (
    AggregateStore,
    DailyAggregate,
    aggregate_store,
)
from hybridstack.services.analytics.sources import FetchResult, MetricsSource
from hybridstack.services.common import settings
from hybridstack.services.common.clients import aws_client
from hybridstack.services.realtime.publisher import RealtimePublisher

TOP_ITEMS = 5


class TopItem(BaseModel):
    item_id: str
    title: str
    score: int


class DashboardDocument(BaseModel):
    """``dashboards/<source>``: what the real-time dashboard shows."""

    model_config = {"alias_generator": to_camel, "populate_by_name": True}

    source: str
    day: str
    totals: dict[str, int]
    items: int
    top_items: list[TopItem]


def raw_key(source: str, day: date, run_id: str) -> str:
    return f"raw/analytics/source={source}/dt={day.isoformat()}/{run_id}.json"


def totals_of(result: FetchResult) -> dict[str, int]:
    totals: dict[str, int] = {}
    for sample in result.samples:
        for metric, value in sample.metrics.items():
            totals[metric] = totals.get(metric, 0) + value
    return totals


def dashboard_for(result: FetchResult, totals: dict[str, int]) -> DashboardDocument:
    primary = next(iter(result.samples[0].metrics), "") if result.samples else ""
    ranked = sorted(result.samples, key=lambda s: s.metrics.get(primary, 0), reverse=True)
    return DashboardDocument(
        source=result.source,
        day=result.day.isoformat(),
        totals=totals,
        items=len(result.samples),
        top_items=[
            TopItem(item_id=s.item_id, title=s.title, score=s.metrics.get(primary, 0))
            for s in ranked[:TOP_ITEMS]
        ],
    )


def collect(
    sources: list[MetricsSource],
    day: date,
    *,
    run_id: str,
    publisher: RealtimePublisher | None = None,
    aggregates: AggregateStore | None = None,
) -> dict[str, Any]:
    """Fetch ``day`` from every source and store raw pages, aggregates and dashboards."""
    bucket = settings.require(settings.ANALYTICS_RAW_BUCKET)
    store = aggregates or aggregate_store()
    realtime = publisher or RealtimePublisher()
    summary: dict[str, Any] = {}
    for source in sources:
        result = source.fetch(day)
        key = raw_key(source.name, day, run_id)
        aws_client("s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps({"source": source.name, "day": day.isoformat(), "run_id": run_id,
                             "pages": result.raw_pages}).encode(),
            ContentType="application/json",
        )  # fmt: skip
        totals = totals_of(result)
        store.save(
            DailyAggregate(source=source.name, day=day, totals=totals,
                           items=len(result.samples), run_id=run_id, raw_key=key)
        )  # fmt: skip
        realtime.set(f"dashboards/{source.name}", dashboard_for(result, totals))
        summary[source.name] = {"raw_key": key, "totals": totals, "items": len(result.samples)}
    realtime.flush()
    return summary
