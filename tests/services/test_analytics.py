"""The analytics collector against the local cloud: raw pages in S3 partitioned by date,
aggregates in the records database (DynamoDB, or PostgreSQL on a local Aurora cluster),
dashboard documents in Firestore; deterministic generated sources."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from hybridstack.services.analytics import jobs
from hybridstack.services.analytics.sources import (
    GeneratedSource,
    parse_spotify_tracks,
    parse_tiktok_videos,
    parse_youtube_report,
)
from tests.services.conftest import ANALYTICS_BUCKET, RecordsDatabase

DAY = date(2026, 11, 21)


def test_a_scheduled_run_stores_raw_aggregates_and_dashboards(
    records: RecordsDatabase, s3: Any, firestore_client: Any, context: Any
) -> None:
    first = jobs.run({"sources": ["spotify", "youtube"], "day": "2026-11-21"}, context)
    assert first["mode"] == "generated"
    expected = {name: GeneratedSource(name).fetch(DAY) for name in ("spotify", "youtube")}

    for name, result in expected.items():
        key = f"raw/analytics/source={name}/dt=2026-11-21/{first['run_id']}.json"
        raw = json.loads(s3.get_object(Bucket=ANALYTICS_BUCKET, Key=key)["Body"].read())
        assert raw["pages"][0]["rows"][0]["id"] == result.samples[0].item_id

        totals = {m: sum(s.metrics[m] for s in result.samples) for m in result.samples[0].metrics}
        assert records.aggregate_totals(name, "2026-11-21") == totals

        dashboard = firestore_client.document(f"dashboards/{name}").get().to_dict()
        assert dashboard["totals"] == totals
        assert dashboard["day"] == "2026-11-21"
        assert len(dashboard["topItems"]) == 5
        scores = [top["score"] for top in dashboard["topItems"]]
        assert scores == sorted(scores, reverse=True)
        assert dashboard["updatedAt"] is not None
    assert not firestore_client.document("dashboards/tiktok").get().exists

    # Re-running the day (a retried schedule) replaces, never doubles, the aggregates.
    second = jobs.run({"sources": ["spotify"], "day": "2026-11-21"}, context)
    assert second["sources"]["spotify"]["totals"] == first["sources"]["spotify"]["totals"]
    assert records.aggregate_totals("spotify", "2026-11-21") == totals_of("spotify", DAY)
    assert records.aggregate_rows("spotify") == 1
    listed = s3.list_objects_v2(Bucket=ANALYTICS_BUCKET, Prefix="raw/analytics/source=spotify/")
    assert len(listed["Contents"]) == 2  # both runs' raw pages are kept

    # Another day is another aggregate.
    assert records.aggregate_totals("spotify", "2026-11-20") is None
    jobs.run({"sources": ["spotify"], "day": "2026-11-20"}, context)
    assert records.aggregate_totals("spotify", "2026-11-20") == totals_of(
        "spotify", date(2026, 11, 20)
    )
    assert records.aggregate_rows("spotify") == 2


def totals_of(source: str, day: date) -> dict[str, int]:
    result = GeneratedSource(source).fetch(day)
    return {m: sum(s.metrics[m] for s in result.samples) for m in result.samples[0].metrics}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"sources": ["myspace"]}, "sources.0: Input should be 'youtube', 'spotify' or 'tiktok'"),
        ({"sources": []}, "sources: List should have at least 1 item"),
        ({"day": "yesterday"}, "day: Input should be a valid date"),
        ({"source": "youtube"}, "source: Extra inputs are not permitted"),
    ],
)
def test_bad_schedule_input_is_refused_with_the_reason(
    platform: dict[str, str], context: Any, event: dict[str, Any], message: str
) -> None:
    with pytest.raises(jobs.InvalidScheduleInputError, match=message):
        jobs.run(event, context)


def test_generated_sources_are_deterministic() -> None:
    assert GeneratedSource("tiktok").fetch(DAY) == GeneratedSource("tiktok").fetch(DAY)
    assert GeneratedSource("tiktok").fetch(DAY) != GeneratedSource("tiktok").fetch(date(2026, 1, 1))


def test_platform_payloads_become_samples() -> None:
    youtube = parse_youtube_report(DAY, {
        "columnHeaders": [{"name": "video"}, {"name": "views"}, {"name": "likes"},
                          {"name": "comments"}, {"name": "estimatedMinutesWatched"}],
        "rows": [["vid1", 120, 7, 2, 340]],
    })  # fmt: skip
    assert youtube[0].metrics == {"views": 120, "likes": 7, "comments": 2, "watch_minutes": 340}
    spotify = parse_spotify_tracks(DAY, {"tracks": [{"id": "t1", "name": "Song", "streams": 9,
                                                     "listeners": 4, "saves": 1}]})  # fmt: skip
    assert (spotify[0].title, spotify[0].metrics["streams"]) == ("Song", 9)
    tiktok = parse_tiktok_videos(DAY, {"data": {"videos": [
        {"id": "p1", "view_count": 50, "like_count": 5, "share_count": 1, "comment_count": 0}
    ]}})  # fmt: skip
    assert tiktok[0].metrics == {"views": 50, "likes": 5, "shares": 1, "comments": 0}
