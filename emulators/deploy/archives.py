"""Pulumi assets and archives -> the zip bytes Lambda receives, and a content hash of them.

A Function's ``code`` is a ``pulumi.AssetArchive`` of ``FileAsset``/``StringAsset`` entries (or
nested archives); a layer's is a ``pulumi.FileArchive`` of a built ``layer.zip``. The zip built
here is deterministic (sorted entries, fixed timestamps), so equal code gives an equal hash and a
redeploy can tell whether the code changed.

A redeploy asks first for :func:`archive_fingerprint`, which builds no zip: a hash of each
entry's name, mode and content hash, where a file's content hash is read again only when its
size, times or inode changed since it was last hashed in this process (:func:`file_digest`).

Example:
    data = archive_bytes(pulumi.AssetArchive({"app.py": pulumi.StringAsset("...")}))
    digest = content_hash(data)
    archive_fingerprint(pulumi.AssetArchive({"app.py": pulumi.FileAsset("app.py")}))
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pulumi

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
RACY_NANOSECONDS = 2_000_000_000
"""A file changed this close to its hashing is hashed again next time even if its size and
times look the same (git's "racily clean" rule: a rewrite within one timestamp tick keeps them)."""
_T = TypeVar("_T")
_digests: dict[str, tuple[tuple[int, int, int, int], str, int]] = {}
_digests_lock = threading.Lock()


class ArchiveError(ValueError):
    """An asset or archive the engine cannot turn into a zip (names what and why)."""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def _asset(
    asset: Any, where: str, of_file: Callable[[Path], _T], of_bytes: Callable[[bytes], _T]
) -> _T:
    if isinstance(asset, pulumi.FileAsset):
        return of_file(Path(str(asset.path)))
    if isinstance(asset, pulumi.StringAsset):
        return of_bytes(str(asset.text).encode())
    raise ArchiveError(f"{where}: unsupported asset {type(asset).__name__}")


def _entries(
    value: Any, where: str, of_file: Callable[[Path], _T], of_bytes: Callable[[bytes], _T]
) -> dict[str, tuple[_T, int]]:
    """archive path -> (what ``of_file``/``of_bytes`` make of its content, mode) for any Pulumi
    archive: the bytes themselves to build the zip, their hash to fingerprint it."""
    if isinstance(value, pulumi.AssetArchive):
        entries: dict[str, tuple[_T, int]] = {}
        for path, item in dict(value.assets).items():
            if isinstance(item, pulumi.Archive):
                inner_entries = _entries(item, f"{where}/{path}", of_file, of_bytes)
                for inner, data in inner_entries.items():
                    entries[f"{path.rstrip('/')}/{inner}"] = data
            else:
                entries[path] = (_asset(item, f"{where}/{path}", of_file, of_bytes), 0o644)
        return entries
    if isinstance(value, pulumi.FileArchive):
        source = Path(str(value.path))
        if source.is_dir():
            found: dict[str, tuple[_T, int]] = {}
            for file in sorted(source.rglob("*")):
                if file.is_file():
                    mode = 0o755 if os.access(file, os.X_OK) else 0o644
                    found[file.relative_to(source).as_posix()] = (of_file(file), mode)
            return found
        if source.suffix == ".zip" and source.is_file():
            with zipfile.ZipFile(source) as archive:
                return {
                    info.filename: (
                        of_bytes(archive.read(info)),
                        (info.external_attr >> 16) or 0o644,
                    )
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
        entries = _entries(value, where, Path.read_bytes, lambda data: data)
        for name, (data, mode) in sorted(entries.items()):
            _add(archive, name, data, mode)
    return buffer.getvalue()


def content_hash(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """The hex SHA-256 of a file's content, read again only when its size, modification or
    change time or inode differ from when it was last hashed, or it had been modified less than
    :data:`RACY_NANOSECONDS` before that."""
    stat = path.stat()
    identity = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    key = str(path.resolve())
    with _digests_lock:
        known = _digests.get(key)
    if known is not None and known[0] == identity:
        hashed_at = known[2]
        if stat.st_mtime_ns + RACY_NANOSECONDS <= hashed_at:
            return known[1]
    hashed_at = time.time_ns()
    digest = content_hash(path.read_bytes())
    with _digests_lock:
        _digests[key] = (identity, digest, hashed_at)
    return digest


def archive_fingerprint(value: Any, where: str = "code") -> str:
    """A hash of what an archive holds (entry names, modes and content hashes), without building
    its zip; a ``FileArchive`` of a zip file (a built layer) by its path, size and time."""
    if isinstance(value, pulumi.FileArchive):
        path = Path(str(value.path))
        if path.is_file():
            stat = path.stat()
            return f"file:{path}:{stat.st_size}:{stat.st_mtime_ns}"
    entries = _entries(value, where, file_digest, content_hash)
    return content_hash(json.dumps(sorted(entries.items())).encode())
