"""Which media the platform accepts, where each kind lives, and what a file really is.

The type of an upload is read from its bytes (magic numbers, Pillow, mutagen), never from its
name or the Content-Type the client claimed. Keys follow architecture B's bucket layout:
``images/{original,thumbnails,optimized}``, ``videos/{original,...}``, ``voice/{original,
compressed}``, ``files/`` (the MediaStore component's ``MEDIA_PREFIXES``).

Example:
    MEDIA_TYPES["image/png"].original_key("m1")   # "images/original/m1.png"
    sniff(data)                                    # "image/png" or None
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import filetype

MB = 1024 * 1024


@dataclass(frozen=True)
class MediaType:
    """An accepted content type: its kind, file extension and maximum size."""

    content_type: str
    kind: str  # "image" | "video" | "voice" | "file"
    extension: str
    max_bytes: int

    def original_key(self, media_id: str) -> str:
        folder = {
            "image": "images/original",
            "video": "videos/original",
            "voice": "voice/original",
            "file": "files",
        }[self.kind]
        return f"{folder}/{media_id}{self.extension}"


MEDIA_TYPES: dict[str, MediaType] = {
    t.content_type: t
    for t in (
        MediaType("image/jpeg", "image", ".jpg", 20 * MB),
        MediaType("image/png", "image", ".png", 20 * MB),
        MediaType("image/webp", "image", ".webp", 20 * MB),
        MediaType("image/gif", "image", ".gif", 20 * MB),
        MediaType("video/mp4", "video", ".mp4", 500 * MB),
        MediaType("audio/mpeg", "voice", ".mp3", 25 * MB),
        MediaType("audio/wav", "voice", ".wav", 25 * MB),
        MediaType("audio/ogg", "voice", ".ogg", 25 * MB),
        MediaType("application/pdf", "file", ".pdf", 50 * MB),
    )
}

_ALIASES = {"audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "image/jpg": "image/jpeg"}
_PILLOW_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}


def canonical(content_type: str) -> str:
    """``audio/x-wav`` -> ``audio/wav``; parameters and case dropped."""
    base = content_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def sniff(data: bytes) -> str | None:
    """The content type the bytes really have (None when unrecognised)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format in _PILLOW_FORMATS:
                return _PILLOW_FORMATS[image.format]
    except (UnidentifiedImageError, OSError, ValueError):
        pass
    kind = filetype.guess(data)
    if kind is not None:
        return canonical(str(kind.mime))
    return None
