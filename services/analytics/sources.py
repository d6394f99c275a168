"""Where analytics come from: one interface, an adapter per platform, and a generated source.

A :class:`MetricsSource` returns, for a day, the raw pages it fetched (kept as they are, for
replays) and the samples parsed from them (one per tracked item: a video, a track, a post).
The YouTube, Spotify and TikTok adapters call the platforms' APIs with a bearer token read
from Secrets Manager (``<SOURCE>_TOKEN_SECRET_ARN``); :class:`GeneratedSource` makes the same
shape of data from a seed, deterministically, for local runs and tests (no network).

Example:
    source = GeneratedSource("spotify")
    batch = source.fetch(date(2026, 11, 22))
    batch.samples[0]     # MetricSample(source="spotify", item_id="track-001", metrics={...})
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import requests
from pydantic import BaseModel

from hybridstack.services.common.clients import aws_client

SOURCES: tuple[str, ...] = ("youtube", "spotify", "tiktok")
METRICS: dict[str, tuple[str, ...]] = {
    "youtube": ("views", "likes", "comments", "watch_minutes"),
    "spotify": ("streams", "listeners", "saves"),
    "tiktok": ("views", "likes", "shares", "comments"),
}
HttpGet = Callable[..., Any]


class MetricSample(BaseModel):
    """One item's metrics for one day."""

    source: str
    item_id: str
    title: str
    day: date
    metrics: dict[str, int]


@dataclass
class FetchResult:
    """What a source returned: raw pages (stored as they are) and parsed samples."""

    source: str
    day: date
    raw_pages: list[Any] = field(default_factory=list)
    samples: list[MetricSample] = field(default_factory=list)


class MetricsSource(Protocol):
    """A platform the collector reads a day of metrics from."""

    name: str

    def fetch(self, day: date) -> FetchResult: ...


class GeneratedSource:
    """Deterministic metrics for local runs: the same (source, day, seed) gives the same data.

    Example:
        GeneratedSource("youtube", items=3).fetch(date(2026, 1, 1)).samples
    """

    def __init__(self, name: str, *, items: int = 5, seed: str = "hybridstack") -> None:
        if name not in SOURCES:
            raise ValueError(f"unknown source {name!r}; sources: {', '.join(SOURCES)}")
        self.name = name
        self.items = items
        self.seed = seed

    def fetch(self, day: date) -> FetchResult:
        digest = hashlib.sha256(f"{self.seed}:{self.name}:{day.isoformat()}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        noun = {"youtube": "video", "spotify": "track", "tiktok": "post"}[self.name]
        rows = [
            {
                "id": f"{noun}-{index:03d}",
                "title": f"Generated {noun} {index}",
                **{metric: rng.randint(0, 10_000) for metric in METRICS[self.name]},
            }
            for index in range(1, self.items + 1)
        ]
        page = {"generated": True, "source": self.name, "day": day.isoformat(), "rows": rows}
        return FetchResult(self.name, day, [page], _rows_to_samples(self.name, day, rows))


def _rows_to_samples(source: str, day: date, rows: list[dict[str, Any]]) -> list[MetricSample]:
    return [
        MetricSample(
            source=source,
            item_id=str(row["id"]),
            title=str(row.get("title", row["id"])),
            day=day,
            metrics={m: int(row.get(m) or 0) for m in METRICS[source]},
        )
        for row in rows
    ]


def bearer_token(source: str) -> str:
    """The source's API token from Secrets Manager (``<SOURCE>_TOKEN_SECRET_ARN``)."""
    variable = f"{source.upper()}_TOKEN_SECRET_ARN"
    arn = os.environ.get(variable)
    if not arn:
        raise RuntimeError(f"{variable} is not set: link the {source} token secret")
    return str(aws_client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def parse_youtube_report(day: date, report: dict[str, Any]) -> list[MetricSample]:
    """YouTube Analytics ``reports.query`` (dimensions=video) -> samples."""
    names = [header["name"] for header in report.get("columnHeaders", [])]
    rows = []
    for values in report.get("rows", []):
        row = dict(zip(names, values, strict=False))
        rows.append(
            {
                "id": row.get("video"),
                "title": row.get("video"),
                "views": row.get("views"),
                "likes": row.get("likes"),
                "comments": row.get("comments"),
                "watch_minutes": row.get("estimatedMinutesWatched"),
            }
        )
    return _rows_to_samples("youtube", day, rows)


def parse_spotify_tracks(day: date, payload: dict[str, Any]) -> list[MetricSample]:
    """A Spotify for Artists-style track statistics page -> samples."""
    rows = [
        {"id": t.get("id"), "title": t.get("name"), "streams": t.get("streams"),
         "listeners": t.get("listeners"), "saves": t.get("saves")}
        for t in payload.get("tracks", [])
    ]  # fmt: skip
    return _rows_to_samples("spotify", day, rows)


def parse_tiktok_videos(day: date, payload: dict[str, Any]) -> list[MetricSample]:
    """TikTok ``/v2/video/list/`` (fields incl. counts) -> samples."""
    videos = payload.get("data", {}).get("videos", [])
    rows = [
        {"id": v.get("id"), "title": v.get("title") or v.get("id"),
         "views": v.get("view_count"), "likes": v.get("like_count"),
         "shares": v.get("share_count"), "comments": v.get("comment_count")}
        for v in videos
    ]  # fmt: skip
    return _rows_to_samples("tiktok", day, rows)


class YouTubeSource:
    """YouTube Analytics API: per-video views, likes, comments, minutes watched for a day."""

    name = "youtube"
    url = "https://youtubeanalytics.googleapis.com/v2/reports"

    def __init__(self, get: HttpGet = requests.get, token: str | None = None) -> None:
        self._get, self._token = get, token

    def fetch(self, day: date) -> FetchResult:
        response = self._get(
            self.url,
            params={"ids": "channel==MINE", "startDate": day.isoformat(),
                    "endDate": day.isoformat(), "dimensions": "video",
                    "metrics": "views,likes,comments,estimatedMinutesWatched",
                    "maxResults": 200, "sort": "-views"},
            headers={"Authorization": f"Bearer {self._token or bearer_token(self.name)}"},
            timeout=20,
        )  # fmt: skip
        response.raise_for_status()
        page = response.json()
        return FetchResult(self.name, day, [page], parse_youtube_report(day, page))


class SpotifySource:
    """Spotify track statistics for a day (the artist analytics endpoint the account has)."""

    name = "spotify"

    def __init__(
        self, url: str | None = None, get: HttpGet = requests.get, token: str | None = None
    ) -> None:
        self.url = url or os.environ.get("SPOTIFY_STATS_URL", "")
        self._get, self._token = get, token

    def fetch(self, day: date) -> FetchResult:
        if not self.url:
            raise RuntimeError("SPOTIFY_STATS_URL is not set (the artist statistics endpoint)")
        response = self._get(
            self.url,
            params={"date": day.isoformat()},
            headers={"Authorization": f"Bearer {self._token or bearer_token(self.name)}"},
            timeout=20,
        )
        response.raise_for_status()
        page = response.json()
        return FetchResult(self.name, day, [page], parse_spotify_tracks(day, page))


class TikTokSource:
    """TikTok Display API ``/v2/video/list/`` with view/like/share/comment counts."""

    name = "tiktok"
    url = "https://open.tiktokapis.com/v2/video/list/"

    def __init__(self, post: HttpGet = requests.post, token: str | None = None) -> None:
        self._post, self._token = post, token

    def fetch(self, day: date) -> FetchResult:
        fields = "id,title,view_count,like_count,share_count,comment_count"
        response = self._post(
            self.url,
            params={"fields": fields},
            json={"max_count": 20},
            headers={"Authorization": f"Bearer {self._token or bearer_token(self.name)}"},
            timeout=20,
        )
        response.raise_for_status()
        page = response.json()
        return FetchResult(self.name, day, [page], parse_tiktok_videos(day, page))


def make_source(name: str, mode: str) -> MetricsSource:
    """The source for ``name``: generated (local runs) or the platform's live adapter."""
    if mode == "generated":
        return GeneratedSource(name)
    if mode != "live":
        raise ValueError(f"ANALYTICS_SOURCE_MODE={mode!r}: use 'generated' or 'live'")
    live: dict[str, Callable[[], MetricsSource]] = {
        "youtube": YouTubeSource, "spotify": SpotifySource, "tiktok": TikTokSource,
    }  # fmt: skip
    if name not in live:
        raise ValueError(f"unknown source {name!r}; sources: {', '.join(SOURCES)}")
    return live[name]()
