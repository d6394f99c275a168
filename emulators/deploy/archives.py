"""Pulumi assets and archives -> the zip bytes Lambda receives, and a content hash of them.

A Function's ``code`` is a ``pulumi.AssetArchive`` of ``FileAsset``/``StringAsset`` entries (or
nested archives); a layer's is a ``pulumi.FileArchive`` of a built ``layer.zip``. The zip built
here is deterministic (sorted entries, fixed timestamps), so equal code gives an equal hash and a
redeploy can tell whether the code changed.

Example:
    data = archive_bytes(pulumi.AssetArchive({"app.py": pulumi.StringAsset("...")}))
    digest = content_hash(data)
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pulumi

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class ArchiveError(ValueError):
    """An asset or archive the engine cannot turn into a zip (names what and why)."""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _asset_bytes(asset: Any, where: str) -> bytes:
    if isinstance(asset, pulumi.FileAsset):
        return Path(str(asset.path)).read_bytes()
    if isinstance(asset, pulumi.StringAsset):
        return str(asset.text).encode()
    raise ArchiveError(f"{where}: unsupported asset {type(asset).__name__}")


def _entries(value: Any, where: str) -> dict[str, tuple[bytes, int]]:
    """archive path -> (bytes, mode) for any Pulumi archive."""
    if isinstance(value, pulumi.AssetArchive):
        entries: dict[str, tuple[bytes, int]] = {}
        for path, item in dict(value.assets).items():
            if isinstance(item, pulumi.Archive):
                for inner, data in _entries(item, f"{where}/{path}").items():
                    entries[f"{path.rstrip('/')}/{inner}"] = data
            else:
                entries[path] = (_asset_bytes(item, f"{where}/{path}"), 0o644)
        return entries
    if isinstance(value, pulumi.FileArchive):
        source = Path(str(value.path))
        if source.is_dir():
            found: dict[str, tuple[bytes, int]] = {}
            for file in sorted(source.rglob("*")):
                if file.is_file():
                    mode = 0o755 if os.access(file, os.X_OK) else 0o644
                    found[file.relative_to(source).as_posix()] = (file.read_bytes(), mode)
            return found
        if source.suffix == ".zip" and source.is_file():
            with zipfile.ZipFile(source) as archive:
                return {
                    info.filename: (archive.read(info), (info.external_attr >> 16) or 0o644)
                    for info in archive.infolist()
                    if not info.is_dir()
                }
        raise ArchiveError(f"{where}: FileArchive {source} is neither a directory nor a .zip file")
    raise ArchiveError(f"{where}: expected a pulumi AssetArchive or FileArchive, got {value!r}")


def archive_bytes(value: Any, where: str = "code") -> bytes:
    """The zip Lambda gets for ``value``; a ``FileArchive`` of a zip file is sent as it is."""
    if isinstance(value, pulumi.FileArchive):
        path = Path(str(value.path))
        if path.suffix == ".zip" and path.is_file():
            return path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, (data, mode) in sorted(_entries(value, where).items()):
            _add(archive, name, data, mode)
    return buffer.getvalue()


def content_hash(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def archive_fingerprint(value: Any) -> str:
    """A hash of what an archive holds, without building the zip twice for big file archives."""
    if isinstance(value, pulumi.FileArchive):
        path = Path(str(value.path))
        if path.is_file():
            stat = path.stat()
            return f"file:{path}:{stat.st_size}:{stat.st_mtime_ns}"
    return content_hash(archive_bytes(value))
