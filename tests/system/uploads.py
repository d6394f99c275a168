"""Uploads as a client app makes them: ask the API for a pre-signed POST, send the file to S3."""

from __future__ import annotations

import io
from typing import Any

import requests
from PIL import Image


def png(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(api: Any, user: Any, data: bytes, content_type: str = "image/png") -> dict[str, Any]:
    """``POST /media/upload`` then the pre-signed POST, as a client app does; the ticket."""
    asked = api.call(
        "POST",
        "media/upload",
        user,
        json={"filename": "photo.png", "content_type": content_type, "size": len(data)},
    )
    assert asked.status_code == 201, asked.text
    ticket: dict[str, Any] = asked.json()
    sent = requests.post(
        ticket["url"],
        data=ticket["fields"],
        files={"file": ("photo.png", data, content_type)},
        timeout=60,
    )
    assert sent.status_code in (200, 204), sent.text
    return ticket
