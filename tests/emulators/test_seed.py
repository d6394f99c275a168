"""Seed folders: loaded into the local cloud, exported back unchanged, bad ones refused by name."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from firebase_admin import auth as admin_auth
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.cloud.firestore import GeoPoint

from hybridstack.emulators.devtools.seed import SeedError, export_seed, load_seed, read_seed
from hybridstack.emulators.runtime.endpoints import LocalCloudEndpoints

USERS = [
    {
        "uid": "alice",
        "email": "alice@example.com",
        "password": "alice-secret",
        "displayName": "Alice",
        "emailVerified": True,
        "customClaims": {"role": "admin", "tier": 2},
    },
    {"uid": "bob", "email": "bob@example.com", "password": "bob-secret"},
    {"uid": "no-password", "email": "sso@example.com", "disabled": True},
]


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _doc(fields: dict) -> str:
    return json.dumps(fields, indent=2, ensure_ascii=False) + "\n"


def make_seed(root: Path) -> Path:
    """A seed folder using every feature of the layout."""
    fs = root / "firestore"
    _write(
        fs / "users" / "alice.json",
        _doc(
            {
                "name": "Alice",
                "plan": "pro",
                "score": 1.5,
                "joined": {"$timestamp": "2025-06-01T08:00:00Z"},
            }
        ),
    )
    _write(
        fs / "users" / "alice" / "orders" / "o1.json",
        _doc(
            {
                "total": 42,
                "placed": {"$timestamp": "2026-01-31T12:00:00.123456Z"},
                "owner": {"$ref": "users/alice"},
                "where": {"$geopoint": {"latitude": 48.85, "longitude": 2.35}},
                "receipt": {"$bytes": "AAEC/w=="},
                "lines": [{"sku": "tee", "qty": 2}, None, True],
            }
        ),
    )
    # A document that only holds a subcollection (no fields of its own).
    _write(fs / "rooms" / "lobby" / "messages" / "m1.json", _doc({"text": "héllo"}))
    _write(root / "auth" / "users.json", json.dumps(USERS, indent=2) + "\n")
    _write(root / "s3" / "media" / "tracks" / "intro.mp3", b"ID3\x00\x01audio")
    _write(root / "s3" / "media" / "index.html", "<h1>hi</h1>")
    (root / "s3" / "empty-bucket").mkdir(parents=True)
    _write(root / "storage" / "avatars" / "users" / "alice.png", b"\x89PNG\r\n")
    return root


def _tree(root: Path) -> dict[str, object]:
    """Every file below root: JSON files by value (key order is free), others byte for byte."""
    return {
        p.relative_to(root).as_posix(): json.loads(p.read_text())
        if p.suffix == ".json"
        else p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
    }


def _dirs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()}


def test_load_puts_every_kind_of_data_where_clients_find_it(
    tmp_path, cloud, firestore_client, s3, storage_client, auth, firebase_app
):
    counts = load_seed(make_seed(tmp_path / "seed"), cloud)

    assert (counts.firestore_documents, counts.auth_users) == (3, 3)
    assert (counts.s3_objects, counts.storage_objects) == (2, 1)
    order = firestore_client.document("users/alice/orders/o1").get().to_dict()
    assert order["placed"] == DatetimeWithNanoseconds.from_rfc3339("2026-01-31T12:00:00.123456Z")
    assert order["owner"].path == "users/alice"
    assert order["where"] == GeoPoint(48.85, 2.35)
    assert order["receipt"] == b"\x00\x01\x02\xff"
    assert order["lines"] == [{"sku": "tee", "qty": 2}, None, True]
    assert firestore_client.document("rooms/lobby/messages/m1").get().get("text") == "héllo"
    joined = firestore_client.document("users/alice").get().get("joined")
    assert joined == datetime.datetime(2025, 6, 1, 8, tzinfo=datetime.UTC)
    alice = auth.sign_in("alice@example.com", "alice-secret")
    claims = admin_auth.verify_id_token(alice.id_token, app=firebase_app)
    assert (claims["uid"], claims["role"], claims["tier"]) == ("alice", "admin", 2)
    assert admin_auth.get_user("no-password", app=firebase_app).disabled
    intro = s3.get_object(Bucket="media", Key="tracks/intro.mp3")
    assert intro["Body"].read() == b"ID3\x00\x01audio"
    assert intro["ContentType"] == "audio/mpeg"
    assert "empty-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    avatar = storage_client.bucket("avatars").get_blob("users/alice.png")
    assert avatar.download_as_bytes() == b"\x89PNG\r\n"
    assert avatar.content_type == "image/png"


def test_export_of_a_loaded_seed_is_the_same_folder(tmp_path, cloud):
    seed = make_seed(tmp_path / "seed")
    load_seed(seed, cloud)

    counts = export_seed(tmp_path / "exported", cloud)

    assert _tree(tmp_path / "exported") == _tree(seed)
    assert _dirs(tmp_path / "exported") == _dirs(seed)
    assert (counts.firestore_documents, counts.auth_users, counts.s3_objects) == (3, 3, 2)


def test_a_second_load_into_the_same_cloud_replaces_rather_than_fails(tmp_path, cloud, auth):
    seed = make_seed(tmp_path / "seed")
    load_seed(seed, cloud)
    users = json.loads((seed / "auth" / "users.json").read_text())
    users[1]["password"] = "bob-new-secret"
    (seed / "auth" / "users.json").write_text(json.dumps(users))

    load_seed(seed, cloud)

    assert auth.sign_in("bob@example.com", "bob-new-secret").uid == "bob"


def test_export_refuses_a_folder_that_has_files(tmp_path, cloud):
    target = tmp_path / "out"
    _write(target / "notes.txt", "mine")

    with pytest.raises(SeedError, match="not empty"):
        export_seed(target, cloud)
    assert (target / "notes.txt").read_text() == "mine"


def test_export_overwrite_replaces_only_the_seed_sections(tmp_path, cloud, s3):
    target = tmp_path / "out"
    _write(target / "README.md", "keep me")
    _write(target / "s3" / "stale" / "old.txt", "gone")
    s3.create_bucket(Bucket="fresh")
    s3.put_object(Bucket="fresh", Key="new.txt", Body=b"new")

    export_seed(target, cloud, overwrite=True)

    assert (target / "README.md").read_text() == "keep me"
    assert not (target / "s3" / "stale").exists()
    assert (target / "s3" / "fresh" / "new.txt").read_bytes() == b"new"


def test_a_bad_file_loads_nothing(tmp_path, cloud, firestore_client, s3):
    seed = make_seed(tmp_path / "seed")
    _write(seed / "auth" / "users.json", '[{"uid": "x", "email": "x@example.com", "pasword": "t"}]')

    with pytest.raises(SeedError, match=r"users\.json: user #1: pasword"):
        load_seed(seed, cloud)

    assert list(firestore_client.collections()) == []
    assert s3.list_buckets()["Buckets"] == []


# --- bad input, caught before any emulator is touched --------------------------------------


@pytest.mark.parametrize(
    ("relative", "content", "message"),
    [
        (
            "firestore/users/alice.json",
            '{"name": "Alice",}',
            r"alice\.json: malformed JSON at line 1",
        ),
        ("firestore/users/alice.json", '["not", "an", "object"]', r"alice\.json: .*JSON object"),
        ("firestore/users/alice.txt", "hi", r"alice\.txt: Firestore documents are <doc-id>\.json"),
        ("firestore/alice.json", "{}", r"alice\.json: documents go in a collection folder"),
        ("firestore/users/alice/notes.json", "{}", r"notes\.json: inside a document folder"),
        (
            "firestore/users/alice.json",
            '{"at": {"$timestamp": "yesterday"}}',
            r"alice\.json: bad \$timestamp value 'yesterday'",
        ),
        (
            "firestore/users/alice.json",
            '{"at": {"$timestamp": "2026-01-31T12:00:00"}}',
            r"alice\.json: bad \$timestamp .*needs a time zone",
        ),
        ("firestore/u/a.json", '{"r": {"$ref": "users"}}', r"a\.json: bad \$ref value 'users'"),
        ("auth/users.json", '{"uid": "x"}', r"users\.json: expected a JSON list of users"),
        (
            "auth/users.json",
            '[{"displayName": "nobody"}]',
            r"users\.json: user #1: .*uid or an email",
        ),
        ("auth/users.json", '[{"uid": "x", "password": "123"}]', r"user #1: password: .*6 char"),
        (
            "auth/users.json",
            '[{"uid": "x", "email": "a@b.c"}, {"uid": "x", "email": "d@b.c"}]',
            r"users\.json: duplicate uid: x",
        ),
        ("auth/people.json", "[]", r"people\.json: the auth folder holds only users\.json"),
        ("s3/loose-file.txt", "x", r"loose-file\.txt: objects live in <bucket>/<key> folders"),
        ("firebase/users.json", "[]", r"firebase: unexpected in a seed folder"),
        ("s3/My_Bucket/a.txt", "x", r"My_Bucket: 'My_Bucket' is not a valid bucket name"),
        ("storage/x/a.txt", "x", r"storage/x: 'x' is not a valid bucket name"),
    ],
)
def test_bad_seed_folder_is_refused_naming_the_file(tmp_path, relative, content, message):
    _write(tmp_path / relative, content)

    with pytest.raises(SeedError, match=message):
        read_seed(tmp_path)


def test_missing_seed_folder_is_named(tmp_path):
    with pytest.raises(SeedError, match="no-such-seed: no such seed folder"):
        read_seed(tmp_path / "no-such-seed")


def test_data_for_an_emulator_that_is_not_running_is_refused(tmp_path):
    _write(tmp_path / "auth" / "users.json", '[{"uid": "x"}]')
    only_aws = LocalCloudEndpoints(aws="http://127.0.0.1:9")

    with pytest.raises(SeedError, match="auth/ data but the local cloud runs no 'auth' emulator"):
        load_seed(tmp_path, only_aws)


def test_gitkeep_files_are_not_data(tmp_path):
    _write(tmp_path / "s3" / "empty" / ".gitkeep", "")
    _write(tmp_path / "firestore" / ".gitkeep", "")

    seed = read_seed(tmp_path)

    assert (seed.s3_buckets, seed.s3_objects, seed.documents) == (["empty"], [], [])


# --- the command line -------------------------------------------------------------------------


def test_cli_loads_and_exports_through_the_shell_environment(tmp_path, cloud, s3):
    from typer.testing import CliRunner

    from hybridstack.emulators.devtools.cli.seed import seed_app

    seed = make_seed(tmp_path / "seed")
    runner = CliRunner()

    loaded = runner.invoke(seed_app, ["load", str(seed)])
    exported = runner.invoke(seed_app, ["export", str(tmp_path / "out")])
    again = runner.invoke(seed_app, ["export", str(tmp_path / "out")])

    assert loaded.exit_code == 0, loaded.output
    assert "3 Firestore documents, 3 Auth users, 2 S3 objects, 1 Storage objects" in loaded.output
    assert exported.exit_code == 0, exported.output
    assert _tree(tmp_path / "out") == _tree(seed)
    assert again.exit_code == 1
    assert "not empty" in again.output


def test_cli_without_a_local_cloud_in_the_environment_says_how_to_get_one(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hybridstack.emulators.devtools.cli.seed import seed_app

    for name in ("AWS_ENDPOINT_URL", "LOCALSTACK_HOST", "FIREBASE_AUTH_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name in ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    _write(tmp_path / "seed" / "s3" / "b" / "k.txt", "x")

    result = CliRunner().invoke(seed_app, ["load", str(tmp_path / "seed")])

    assert result.exit_code == 1
    assert "hybridstack local env" in result.output
