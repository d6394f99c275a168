"""Seed data: load a folder of Firestore documents, Auth users, S3 and Storage objects into a
running local cloud, and export the same from one. Load and export round-trip.

Folder layout (every part optional)::

    seed/
      firestore/<collection>/<doc-id>.json                   the document's fields
      firestore/<collection>/<doc-id>/<subcollection>/<id>.json   nested subcollections
      auth/users.json                                        a list of users (below)
      s3/<bucket>/<key...>                                   S3 objects, the file is the body
      storage/<bucket>/<key...>                              Cloud Storage (Firebase Storage)

A document file holds a JSON object. Firestore types JSON lacks are written as one-key objects:
``{"$timestamp": "2026-01-31T12:00:00Z"}`` (any zone; exported in UTC), ``{"$ref": "users/alice"}``,
``{"$geopoint": {"latitude": 48.85, "longitude": 2.35}}``, ``{"$bytes": "<base64>"}``.
A document that only holds subcollections has a ``<doc-id>/`` folder and no ``<doc-id>.json``.

``auth/users.json`` lists users; only ``uid`` or ``email`` is needed::

    [{"uid": "alice", "email": "alice@example.com", "password": "alice-secret",
      "displayName": "Alice", "emailVerified": true, "customClaims": {"role": "admin"}}]

Exported passwords are recovered from the emulator's (reversible, fake) hashes; users whose
hash is not the emulator's keep ``passwordHash`` and ``salt`` instead.

Object files are uploaded as they are, with a content type guessed from the name; an empty
``<bucket>/`` folder creates an empty bucket and ``.gitkeep`` files are ignored. Loading adds
to what the local cloud holds (same path -> overwritten). The folder is read and checked
completely before anything is written, so a mistake loads nothing and names its file.

Example:
    endpoints = LocalCloud().start()
    load_seed("seed", endpoints)          # -> SeedCounts(firestore_documents=12, ...)
    export_seed("snapshot", endpoints)    # the same layout, from what is running
"""

from __future__ import annotations

import base64
import datetime
import json
import mimetypes
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from hybridstack.emulators.runtime.clients import (
    AuthEmulator,
    aws_client,
    firestore_client,
    require,
    storage_client,
)
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

SECTIONS = ("firestore", "auth", "s3", "storage")
USERS_FILE = "users.json"
IGNORED_FILES = frozenset({".gitkeep", ".DS_Store"})
_FAKE_HASH_PREFIX = "fakeHash:salt="
_BATCH = 500  # Firestore's limit of writes per batch
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_GCS_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")


class SeedError(ValueError):
    """A seed folder that can't be loaded (or exported); the message names the file."""


@dataclass
class SeedCounts:
    """How many items a load or export moved, per kind.

    Example:
        print(load_seed("seed", endpoints))  # 3 Firestore documents, 2 Auth users, ...
    """

    firestore_documents: int = 0
    auth_users: int = 0
    s3_objects: int = 0
    storage_objects: int = 0

    def __str__(self) -> str:
        return (
            f"{self.firestore_documents} Firestore documents, {self.auth_users} Auth users, "
            f"{self.s3_objects} S3 objects, {self.storage_objects} Storage objects"
        )


class SeedUser(BaseModel):
    """One entry of ``auth/users.json`` (camelCase keys; unknown keys are refused).

    Example:
        SeedUser.model_validate({"uid": "alice", "email": "a@example.com", "password": "pw1234"})
    """

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    uid: str | None = Field(default=None, min_length=1, max_length=128)
    email: str | None = None
    password: str | None = Field(default=None, min_length=6)
    password_hash: str | None = None
    salt: str | None = None
    display_name: str | None = None
    photo_url: str | None = None
    phone_number: str | None = None
    email_verified: bool = False
    disabled: bool = False
    custom_claims: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _identified(self) -> SeedUser:
        if not self.uid and not self.email:
            raise ValueError("a user needs a uid or an email")
        if self.password and self.password_hash:
            raise ValueError("give either password or passwordHash, not both")
        return self

    def to_emulator(self) -> dict[str, Any]:
        """The ``accounts:batchCreate`` form of this user."""
        record: dict[str, Any] = {
            "localId": self.uid or uuid4().hex[:28],
            "emailVerified": self.email_verified,
            "disabled": self.disabled,
        }
        optional = {
            "email": self.email,
            "displayName": self.display_name,
            "photoUrl": self.photo_url,
            "phoneNumber": self.phone_number,
            "rawPassword": self.password,
            "passwordHash": self.password_hash,
            "salt": self.salt,
        }
        record |= {key: value for key, value in optional.items() if value is not None}
        if self.custom_claims:
            record["customAttributes"] = json.dumps(self.custom_claims)
        return record

    @classmethod
    def from_emulator(cls, record: dict[str, Any]) -> SeedUser:
        """Read back a user exported by ``accounts:batchGet``."""
        password, password_hash, salt = None, record.get("passwordHash"), record.get("salt")
        if password_hash and password_hash.startswith(_FAKE_HASH_PREFIX):
            # The emulator's "hash" is fakeHash:salt=<salt>:password=<password>.
            _, _, password = password_hash.partition(":password=")
            password_hash = salt = None
        claims = record.get("customAttributes")
        return cls(
            uid=record["localId"],
            email=record.get("email"),
            password=password or None,
            password_hash=password_hash,
            salt=salt if password_hash else None,
            display_name=record.get("displayName"),
            photo_url=record.get("photoUrl"),
            phone_number=record.get("phoneNumber"),
            email_verified=bool(record.get("emailVerified")),
            disabled=bool(record.get("disabled")),
            custom_claims=json.loads(claims) if claims else None,
        )


@dataclass
class SeedDocument:
    """A Firestore document read from ``firestore/<path>.json``."""

    path: str  # "users/alice/orders/o1"
    fields: dict[str, Any]


@dataclass
class SeedObject:
    """An S3 or Storage object read from ``<section>/<bucket>/<key>``."""

    bucket: str
    key: str
    file: Path


@dataclass
class Seed:
    """Everything a seed folder holds, parsed and checked (nothing is loaded yet)."""

    documents: list[SeedDocument] = field(default_factory=list)
    users: list[SeedUser] = field(default_factory=list)
    s3_buckets: list[str] = field(default_factory=list)
    s3_objects: list[SeedObject] = field(default_factory=list)
    storage_buckets: list[str] = field(default_factory=list)
    storage_objects: list[SeedObject] = field(default_factory=list)


# --- Firestore values <-> JSON ---------------------------------------------------------------


def parse_timestamp(text: str) -> datetime.datetime:
    """RFC 3339 with a zone (``Z`` or ``+02:00``), up to nanoseconds -> an aware UTC datetime."""
    from google.api_core.datetime_helpers import DatetimeWithNanoseconds

    try:
        return DatetimeWithNanoseconds.from_rfc3339(text)  # keeps nanoseconds; needs "Z"
    except ValueError:
        value = datetime.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("a timestamp needs a time zone: end it with Z or +hh:mm")
    return value.astimezone(datetime.UTC)


def format_timestamp(value: datetime.datetime) -> str:
    """The seed form of a timestamp: UTC, ``Z``, fraction only as long as needed."""
    nanos = int(getattr(value, "nanosecond", 0) or value.microsecond * 1000)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def decode_value(value: Any, client: Any) -> Any:
    """A JSON value of a seed document -> a Firestore value (see the module doc for tags)."""
    from google.cloud.firestore import GeoPoint

    if isinstance(value, list):
        return [decode_value(item, client) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$timestamp":
            return parse_timestamp(str(inner))
        if tag == "$ref":
            return client.document(str(inner))
        if tag == "$geopoint":
            return GeoPoint(float(inner["latitude"]), float(inner["longitude"]))
        if tag == "$bytes":
            return base64.b64decode(str(inner), validate=True)
    return {key: decode_value(item, client) for key, item in value.items()}


def encode_value(value: Any) -> Any:
    """A Firestore value -> the JSON a seed document holds."""
    from google.cloud.firestore import DocumentReference, GeoPoint

    if isinstance(value, datetime.datetime):
        return {"$timestamp": format_timestamp(value)}
    if isinstance(value, DocumentReference):
        return {"$ref": value.path}
    if isinstance(value, GeoPoint):
        return {"$geopoint": {"latitude": value.latitude, "longitude": value.longitude}}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: encode_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    return value


def _check_tags(value: Any, where: str) -> None:
    """Fail early on a malformed ``$tag`` value, before any client exists."""
    if isinstance(value, list):
        for item in value:
            _check_tags(item, where)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        ((tag, inner),) = value.items()
        try:
            if tag == "$timestamp":
                parse_timestamp(str(inner))
            elif tag == "$ref":
                parts = str(inner).strip("/").split("/")
                if len(parts) % 2 or not all(parts):
                    raise ValueError("a document path has an even number of segments")
            elif tag == "$geopoint":
                float(inner["latitude"])
                float(inner["longitude"])
            elif tag == "$bytes":
                base64.b64decode(str(inner), validate=True)
        except (ValueError, TypeError, KeyError) as error:
            raise SeedError(f"{where}: bad {tag} value {inner!r} ({error})") from error
    for item in value.values():
        _check_tags(item, where)


# --- reading a seed folder -------------------------------------------------------------------


def _visible(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.name not in IGNORED_FILES)


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise SeedError(f"{file}: not UTF-8 text ({error})") from error
    except json.JSONDecodeError as error:
        raise SeedError(
            f"{file}: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from error


def _read_collection(folder: Path, path: str, seed: Seed) -> None:
    for entry in _visible(folder):
        if entry.is_dir():
            for sub in _visible(entry):
                if not sub.is_dir():
                    raise SeedError(
                        f"{sub}: inside a document folder only subcollection folders may be "
                        f"(a document is {entry.name}.json next to the {entry.name}/ folder)"
                    )
                _read_collection(sub, f"{path}/{entry.name}/{sub.name}", seed)
        elif entry.suffix == ".json":
            fields = _read_json(entry)
            if not isinstance(fields, dict):
                raise SeedError(
                    f"{entry}: a Firestore document must be a JSON object, "
                    f"not {type(fields).__name__}"
                )
            _check_tags(fields, str(entry))
            seed.documents.append(SeedDocument(f"{path}/{entry.name[: -len('.json')]}", fields))
        else:
            raise SeedError(f"{entry}: Firestore documents are <doc-id>.json files")


def _read_users(folder: Path) -> list[SeedUser]:
    for entry in _visible(folder):
        if entry.name != USERS_FILE:
            raise SeedError(f"{entry}: the auth folder holds only {USERS_FILE}")
    file = folder / USERS_FILE
    if not file.exists():
        return []
    raw = _read_json(file)
    if not isinstance(raw, list):
        raise SeedError(f"{file}: expected a JSON list of users, not {type(raw).__name__}")
    users: list[SeedUser] = []
    for index, item in enumerate(raw):
        try:
            users.append(SeedUser.model_validate(item))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'user'}: {e['msg']}"
                for e in error.errors()
            )
            raise SeedError(f"{file}: user #{index + 1}: {problems}") from error
    for key in ("uid", "email"):
        values = [getattr(u, key) for u in users if getattr(u, key)]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise SeedError(f"{file}: duplicate {key}: {', '.join(duplicates)}")
    return users


def _read_buckets(folder: Path, name_rule: re.Pattern[str]) -> tuple[list[str], list[SeedObject]]:
    buckets: list[str] = []
    objects: list[SeedObject] = []
    for bucket in _visible(folder):
        if not bucket.is_dir():
            raise SeedError(f"{bucket}: objects live in <bucket>/<key> folders")
        if not name_rule.fullmatch(bucket.name):
            raise SeedError(
                f"{bucket}: {bucket.name!r} is not a valid bucket name (3-63 characters: "
                "lowercase letters, digits, '-', '.'; starting and ending with a letter or digit)"
            )
        buckets.append(bucket.name)
        for file in sorted(bucket.rglob("*")):
            if file.is_file() and file.name not in IGNORED_FILES:
                key = file.relative_to(bucket).as_posix()
                objects.append(SeedObject(bucket.name, key, file))
    return buckets, objects


def read_seed(folder: str | Path) -> Seed:
    """Parse and check a seed folder without touching any emulator."""
    root = Path(folder)
    if not root.is_dir():
        raise SeedError(f"{root}: no such seed folder")
    seed = Seed()
    for entry in _visible(root):
        if entry.name not in SECTIONS or not entry.is_dir():
            raise SeedError(
                f"{entry}: unexpected in a seed folder (expected folders: {', '.join(SECTIONS)})"
            )
    if (root / "firestore").is_dir():
        for collection in _visible(root / "firestore"):
            if not collection.is_dir():
                raise SeedError(
                    f"{collection}: documents go in a collection folder "
                    "(firestore/<collection>/<doc-id>.json)"
                )
            _read_collection(collection, collection.name, seed)
    if (root / "auth").is_dir():
        seed.users = _read_users(root / "auth")
    if (root / "s3").is_dir():
        seed.s3_buckets, seed.s3_objects = _read_buckets(root / "s3", _S3_BUCKET)
    if (root / "storage").is_dir():
        seed.storage_buckets, seed.storage_objects = _read_buckets(root / "storage", _GCS_BUCKET)
    return seed


# --- load ------------------------------------------------------------------------------------


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def _needs(endpoints: LocalCloudEndpoints, service: str, section: str) -> None:
    if not getattr(endpoints, service):
        raise SeedError(
            f"the seed folder has {section}/ data but the local cloud runs no {service!r} emulator"
        )


def load_seed(folder: str | Path, endpoints: LocalCloudEndpoints) -> SeedCounts:
    """Load a seed folder into a running local cloud; returns what was loaded."""
    seed = read_seed(folder)
    root = Path(folder)
    if seed.documents:
        _needs(endpoints, "firestore", "firestore")
    if seed.users:
        _needs(endpoints, "auth", "auth")
    if seed.s3_buckets:
        _needs(endpoints, "aws", "s3")
    if seed.storage_buckets:
        _needs(endpoints, "storage", "storage")

    if seed.documents:
        db = firestore_client(endpoints)
        for start in range(0, len(seed.documents), _BATCH):
            batch = db.batch()
            for document in seed.documents[start : start + _BATCH]:
                batch.set(db.document(document.path), decode_value(document.fields, db))
            batch.commit()
    if seed.users:
        try:
            AuthEmulator(endpoints).import_users([user.to_emulator() for user in seed.users])
        except RuntimeError as error:
            raise SeedError(f"{root / 'auth' / USERS_FILE}: {error}") from error
    if seed.s3_buckets:
        _load_s3(root, seed, endpoints)
    if seed.storage_buckets:
        _load_storage(root, seed, endpoints)
    return SeedCounts(
        firestore_documents=len(seed.documents),
        auth_users=len(seed.users),
        s3_objects=len(seed.s3_objects),
        storage_objects=len(seed.storage_objects),
    )


def _load_s3(root: Path, seed: Seed, endpoints: LocalCloudEndpoints) -> None:
    from botocore.exceptions import ClientError

    s3 = aws_client(endpoints, "s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in seed.s3_buckets:
        if bucket in existing:
            continue
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as error:
            raise SeedError(f"{root / 's3' / bucket}: {error}") from error
    for obj in seed.s3_objects:
        try:
            s3.put_object(
                Bucket=obj.bucket,
                Key=obj.key,
                Body=obj.file.read_bytes(),
                ContentType=_content_type(obj.key),
            )
        except ClientError as error:
            raise SeedError(f"{obj.file}: {error}") from error


def _load_storage(root: Path, seed: Seed, endpoints: LocalCloudEndpoints) -> None:
    from google.api_core.exceptions import Conflict, GoogleAPIError

    gcs = storage_client(endpoints)
    for bucket in seed.storage_buckets:
        try:
            gcs.create_bucket(bucket)
        except Conflict:
            pass  # already there: add to it
        except GoogleAPIError as error:
            raise SeedError(f"{root / 'storage' / bucket}: {error}") from error
    for obj in seed.storage_objects:
        try:
            gcs.bucket(obj.bucket).blob(obj.key).upload_from_filename(
                str(obj.file), content_type=_content_type(obj.key)
            )
        except GoogleAPIError as error:
            raise SeedError(f"{obj.file}: {error}") from error


# --- export ----------------------------------------------------------------------------------


def _object_file(section_dir: Path, bucket: str, key: str) -> Path:
    parts = PurePosixPath(key).parts
    if key.endswith("/") or not parts or any(p in ("", ".", "..") for p in key.split("/")):
        raise SeedError(
            f"{section_dir.name}://{bucket}/{key}: this object key can't be written as a file "
            "(empty, '.' or '..' segments, or a trailing '/')"
        )
    return section_dir / bucket / Path(*parts)


def _write_bytes(file: Path, body: bytes) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(body)


def _write_json(file: Path, value: Any) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    file.write_text(text + "\n", encoding="utf-8")


def _walk_documents(collections: Iterator[Any]) -> Iterator[tuple[Any, Any]]:
    """Every document (with data) below these collections, and those with only subcollections."""
    for collection in collections:
        snapshots = {snap.id: snap for snap in collection.stream()}
        for ref in collection.list_documents():
            yield ref, snapshots.get(ref.id)
            yield from _walk_documents(ref.collections())


def export_seed(
    folder: str | Path, endpoints: LocalCloudEndpoints, *, overwrite: bool = False
) -> SeedCounts:
    """Write what the running local cloud holds as a seed folder (the layout ``load_seed`` reads).

    Only the emulators that are running are exported. ``folder`` must be missing or empty unless
    ``overwrite`` is set, which replaces its firestore/, auth/, s3/ and storage/ folders.
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise SeedError(f"{root}: exists and is not a folder")
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise SeedError(f"{root}: not empty (pass overwrite=True / --overwrite to replace it)")
        for section in SECTIONS:
            shutil.rmtree(root / section, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    counts = SeedCounts()
    exporters: list[tuple[str, Callable[[Path, LocalCloudEndpoints, SeedCounts], None]]] = [
        ("firestore", _export_firestore),
        ("auth", _export_auth),
        ("aws", _export_s3),
        ("storage", _export_storage),
    ]
    for service, exporter in exporters:
        if getattr(endpoints, service):
            exporter(root, endpoints, counts)
    return counts


def _export_firestore(root: Path, endpoints: LocalCloudEndpoints, counts: SeedCounts) -> None:
    db = firestore_client(endpoints)
    for ref, snapshot in _walk_documents(db.collections()):
        target = root / "firestore" / Path(*ref.path.split("/"))
        if snapshot is not None and snapshot.exists:
            _write_json(target.with_name(target.name + ".json"), encode_value(snapshot.to_dict()))
            counts.firestore_documents += 1
        else:
            target.mkdir(parents=True, exist_ok=True)


def _export_auth(root: Path, endpoints: LocalCloudEndpoints, counts: SeedCounts) -> None:
    records = sorted(AuthEmulator(endpoints).export_users(), key=lambda r: str(r["localId"]))
    users = [
        SeedUser.from_emulator(r).model_dump(by_alias=True, exclude_defaults=True) for r in records
    ]
    if users:
        _write_json(root / "auth" / USERS_FILE, users)
    counts.auth_users = len(users)


def _export_s3(root: Path, endpoints: LocalCloudEndpoints, counts: SeedCounts) -> None:
    s3 = aws_client(endpoints, "s3")
    paginator = s3.get_paginator("list_objects_v2")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        (root / "s3" / name).mkdir(parents=True, exist_ok=True)
        for page in paginator.paginate(Bucket=name):
            for item in page.get("Contents", []):
                file = _object_file(root / "s3", name, item["Key"])
                _write_bytes(file, s3.get_object(Bucket=name, Key=item["Key"])["Body"].read())
                counts.s3_objects += 1


def _export_storage(root: Path, endpoints: LocalCloudEndpoints, counts: SeedCounts) -> None:
    gcs = storage_client(endpoints)
    require(endpoints, "storage")
    for bucket in gcs.list_buckets():
        (root / "storage" / bucket.name).mkdir(parents=True, exist_ok=True)
        for blob in gcs.list_blobs(bucket.name):
            file = _object_file(root / "storage", bucket.name, blob.name)
            _write_bytes(file, blob.download_as_bytes())
            counts.storage_objects += 1
