"""Every route of the API, through its real Lambda adapter (``handle``) against the real emulators
(MiniStack's DynamoDB and S3, the Firestore and Auth emulators): bad input never gets a 5xx and
always a 4xx with a reason, nothing wrongly accepted is stored, good input is accepted.

The property-based tests (hypothesis) generate bodies and path ids; the example-based ones pin
the cases a user found (issue 9): deeply nested JSON, a 5000-character media id, ``..`` as a
conversation id, ``"100"``/``true`` as a size, invalid UTF-8, NUL/ESC/RLO in names and
messages, a member that does not exist.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hybridstack.services.api import handler as platform_api
from hybridstack.services.common.http import MAX_BODY_BYTES, MAX_JSON_DEPTH
from hybridstack.services.common.text import TextRefusedError, clean_text
from hybridstack.services.identity import api as identity_api
from hybridstack.services.media import api as media_api
from hybridstack.services.media import sync as sync_api
from hybridstack.services.media.types import MEDIA_TYPES
from hybridstack.services.messaging import api as messaging_api
from tests.services.conftest import claims_of, http_event, response_json

pytestmark = pytest.mark.emulators("aws", "firestore", "auth")

REGISTRATION_SA = "registration@demo-hybridstack.iam.gserviceaccount.com"
GOOGLE = "https://accounts.google.com"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Route:
    """A JSON route: its adapter, method, path (``{id}`` filled per test) and who calls it."""

    handle: Callable[[dict[str, Any], Any], dict[str, Any]]
    method: str
    path: str
    caller: str  # "alice" (a user), "admin" or "registration" (the Google-signed service)


JSON_ROUTES = {
    "PATCH /users/me": Route(identity_api.handle, "PATCH", "/users/me", "alice"),
    "PUT /users/{uid}/role": Route(identity_api.handle, "PUT", "/users/{bob}/role", "admin"),
    "POST /internal/users": Route(identity_api.handle, "POST", "/internal/users", "registration"),
    "POST /media/upload": Route(media_api.handle, "POST", "/media/upload", "alice"),
    "POST /media/sync": Route(sync_api.handle, "POST", "/media/sync", "alice"),
    "POST /conversations": Route(messaging_api.handle, "POST", "/conversations", "alice"),
    "POST /conversations/{id}/messages": Route(
        messaging_api.handle, "POST", "/conversations/{cid}/messages", "alice"
    ),
    "POST /conversations/{id}/read": Route(
        messaging_api.handle, "POST", "/conversations/{cid}/read", "alice"
    ),
}


@dataclass
class World:
    """Signed-up users (Auth emulator), their claims, and a conversation of alice and bob."""

    claims: dict[str, dict[str, Any]]
    uids: dict[str, str]
    conversation: str
    message: str
    context: Any

    def call(self, route: Route, body: Any = None, **event: Any) -> dict[str, Any]:
        path = route.path.format(bob=self.uids["bob"], cid=self.conversation)
        return self.request(route.handle, route.method, path, self.claims[route.caller],
                            body, **event)  # fmt: skip

    def request(
        self, handle: Callable[..., dict[str, Any]], method: str, path: str,
        claims: dict[str, Any], body: Any = None, **event: Any,
    ) -> dict[str, Any]:  # fmt: skip
        response = handle(http_event(method, path, claims=claims, body=body, **event), self.context)
        assert response["statusCode"] < 500, (method, path, body, response.get("body"))
        if response["statusCode"] >= 400:
            reason = response_json(response)["message"]
            assert isinstance(reason, str), response
            assert reason.strip(), response
        return response


@pytest.fixture
def world(
    platform: dict[str, str], auth: Any, monkeypatch: pytest.MonkeyPatch, context: Any
) -> World:
    monkeypatch.setenv("RECORDS_DATABASE", "dynamodb")
    monkeypatch.setenv("REGISTRATION_GOOGLE_CALLER", REGISTRATION_SA)
    users = {name: auth.sign_up(f"{name}@example.com", f"{name}-secret")
             for name in ("alice", "bob", "admin")}  # fmt: skip
    claims = {name: claims_of(user) for name, user in users.items()}
    claims["admin"]["role"] = "admin"
    claims["registration"] = {"sub": "1089", "email": REGISTRATION_SA, "iss": GOOGLE}
    uids = {name: user.uid for name, user in users.items()}
    world = World(claims, uids, "", "", context)
    world.request(identity_api.handle, "GET", "/users/me", claims["bob"])  # bob's record
    created = world.request(messaging_api.handle, "POST", "/conversations", claims["alice"],
                            {"members": [uids["bob"]]})  # fmt: skip
    assert created["statusCode"] == 201, created["body"]
    world.conversation = response_json(created)["conversation_id"]
    sent = world.request(messaging_api.handle, "POST",
                         f"/conversations/{world.conversation}/messages", claims["alice"],
                         {"text": "hello"})  # fmt: skip
    assert sent["statusCode"] == 201, sent["body"]
    world.message = response_json(sent)["message_id"]
    return world


def status(response: dict[str, Any]) -> int:
    return int(response["statusCode"])


def reason(response: dict[str, Any]) -> str:
    return str(response_json(response)["message"])


# --- strategies ------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip
FIELDS = ["display_name", "bio", "role", "uid", "email", "filename", "content_type", "size",
          "message", "subscription", "members", "title", "text", "attachments",
          "message_id"]  # fmt: skip
# objects with the routes' own field names, so values of every type reach the models
objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=5)
raw_bodies = st.one_of(
    objects.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.integers(min_value=1, max_value=30).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
# text the rule accepts: letters, marks, digits, punctuation, symbols (emoji), spaces; not U+FFFD
clean_texts = st.text(
    st.characters(categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\ufffd"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")


# --- properties over every route --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(JSON_ROUTES))
@FUZZ
@given(body=raw_bodies)
def test_any_body_gets_no_5xx_and_a_reason(world: World, name: str, body: str) -> None:
    world.call(JSON_ROUTES[name], body)  # World.request asserts: < 500, a reason on 4xx


@pytest.mark.parametrize("name", sorted(JSON_ROUTES))
@FUZZ
@given(data=st.binary(min_size=1, max_size=200))
def test_a_body_that_is_not_utf8_is_refused(world: World, name: str, data: bytes) -> None:
    route = JSON_ROUTES[name]
    path = route.path.format(bob=world.uids["bob"], cid=world.conversation)
    event = http_event(route.method, path, claims=world.claims[route.caller])
    event |= {"body": base64.b64encode(data).decode(), "isBase64Encoded": True}
    response = route.handle(event, world.context)
    assert status(response) < 500
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert status(response) == 400
        assert "not valid UTF-8" in reason(response)


INPUTLESS_ROUTES = [
    (identity_api.handle, "GET", "/users/me"),
    (platform_api.handle, "GET", "/me"),
    (platform_api.handle, "GET", "/health"),
]


@pytest.mark.parametrize(("handle", "method", "path"), INPUTLESS_ROUTES)
@FUZZ
@given(body=raw_bodies, content_type=st.sampled_from(["application/json", "text/plain", None]))
def test_routes_without_input_ignore_any_body(
    world: World, handle: Any, method: str, path: str, body: str, content_type: Any
) -> None:
    response = world.request(handle, method, path, world.claims["alice"], body,
                             content_type=content_type)  # fmt: skip
    assert status(response) == 200, response["body"]


PATH_ROUTES = [
    (media_api.handle, "GET", "/media/{}"),
    (media_api.handle, "DELETE", "/media/{}"),
    (messaging_api.handle, "POST", "/conversations/{}/messages"),
    (messaging_api.handle, "POST", "/conversations/{}/read"),
    (identity_api.handle, "PUT", "/users/{}/role"),
]


@pytest.mark.parametrize(("handle", "method", "path"), PATH_ROUTES)
@FUZZ
@given(value=st.text(min_size=1, max_size=300) | st.sampled_from([".", "..", "%2e%2e", "a" * 5000]))
def test_any_path_id_gets_no_5xx(
    world: World, handle: Any, method: str, path: str, value: str
) -> None:
    claims = world.claims["admin" if "users" in path else "alice"]
    body = {"role": "editor"} if "role" in path else {"text": "hi"}
    if path.endswith("/read"):
        body = {"message_id": world.message}
    for segment in (value, quote(value, safe="")):
        world.request(handle, method, path.format(segment), claims, body)


@pytest.mark.parametrize(("handle", "method", "path"), PATH_ROUTES[:4])
@FUZZ
@given(
    value=st.from_regex(r"[A-Za-z0-9_-]{1,128}", fullmatch=True).filter(
        lambda v: not (len(v) >= 4 and v.startswith("__") and v.endswith("__"))
    )
)
def test_a_well_formed_unknown_id_is_not_found(
    world: World, handle: Any, method: str, path: str, value: str
) -> None:
    body = {"message_id": "m1"} if path.endswith("/read") else {"text": "hi"}
    response = world.request(handle, method, path.format(value), world.claims["alice"], body)
    assert status(response) == 404, response["body"]


# --- good input is accepted ------------------------------------------------------------------


@FUZZ
@given(name=clean_texts, bio=st.text(max_size=200).filter(lambda s: "\r" not in s) | st.none())
def test_any_clean_profile_is_stored_as_sent_in_nfc(world: World, name: str, bio: Any) -> None:
    name = name[:80]
    try:
        expected_bio = None if bio is None else clean_text(bio)
    except TextRefusedError:
        expected_bio = "refused"
    assume(len(unicodedata.normalize("NFC", name)) <= 80 and len(expected_bio or "") <= 500)
    body: dict[str, Any] = {"display_name": name}
    if bio is not None:
        body["bio"] = bio
    response = world.call(JSON_ROUTES["PATCH /users/me"], body)
    if expected_bio == "refused":
        assert status(response) == 422
        assert "is not accepted" in reason(response)
        return
    assert status(response) == 200, response["body"]
    assert response_json(response)["display_name"] == unicodedata.normalize("NFC", name)
    if bio is not None:
        assert response_json(response)["bio"] == expected_bio


@FUZZ
@given(
    filename=clean_texts,
    content_type=st.sampled_from(sorted(MEDIA_TYPES)),
    fraction=st.floats(min_value=0.0, max_value=1.0),
)
def test_any_valid_upload_request_gets_a_ticket(
    world: World, filename: str, content_type: str, fraction: float
) -> None:
    size = max(1, int(MEDIA_TYPES[content_type].max_bytes * fraction))
    body = {"filename": filename, "content_type": content_type, "size": size}
    response = world.call(JSON_ROUTES["POST /media/upload"], body)
    assert status(response) == 201, response["body"]
    assert response_json(response)["max_size"] == size


@FUZZ
@given(text=clean_texts, title=clean_texts | st.none())
def test_any_clean_message_and_conversation_are_accepted(
    world: World, text: str, title: Any
) -> None:
    body = {"members": [world.uids["bob"]], **({"title": title} if title else {})}
    created = world.call(JSON_ROUTES["POST /conversations"], body)
    assert status(created) == 201, created["body"]
    sent = world.call(JSON_ROUTES["POST /conversations/{id}/messages"], {"text": text})
    assert status(sent) == 201, sent["body"]
    read = world.call(JSON_ROUTES["POST /conversations/{id}/read"],
                      {"message_id": response_json(sent)["message_id"]})  # fmt: skip
    assert status(read) == 204, read["body"]


def test_good_input_on_the_other_routes_is_accepted(world: World) -> None:
    role = world.call(JSON_ROUTES["PUT /users/{uid}/role"], {"role": "editor"})
    registered = world.call(JSON_ROUTES["POST /internal/users"],
                            {"uid": "new-user-1", "email": "new@example.com"})  # fmt: skip

    assert status(role) == 200, role["body"]
    assert status(registered) == 201, registered["body"]


# --- the cases found by a user (issue 9) ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(JSON_ROUTES))
def test_deeply_nested_json_is_refused_on_every_route(world: World, name: str) -> None:
    reported = '{"a":' * 20000 + "1" + "}" * 20000  # 120 kB: above the size limit first
    nested = '{"a":' * 5000 + "1" + "}" * 5000  # 30 kB
    arrays = "[" * 10000 + "]" * 10000
    just_deep_enough = '{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH

    answers = [world.call(JSON_ROUTES[name], body) for body in (nested, arrays)]
    too_large = world.call(JSON_ROUTES[name], reported)
    allowed_depth = world.call(JSON_ROUTES[name], just_deep_enough)

    for deep in answers:
        assert status(deep) == 400
        assert f"nests deeper than {MAX_JSON_DEPTH} levels" in reason(deep)
    assert status(too_large) == 413
    assert status(allowed_depth) == 422  # parsed, then refused by the model (unknown field "a")


@pytest.mark.parametrize("name", sorted(JSON_ROUTES))
def test_a_body_above_the_limit_is_refused_on_every_route(world: World, name: str) -> None:
    large = json.dumps({"text": "x" * MAX_BODY_BYTES})

    response = world.call(JSON_ROUTES[name], large)

    assert status(response) == 413
    assert f"larger than {MAX_BODY_BYTES} bytes" in reason(response)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_5000_character_media_id_is_refused_before_dynamodb(world: World, method: str) -> None:
    response = world.request(media_api.handle, method, "/media/" + "a" * 5000,
                             world.claims["alice"])  # fmt: skip

    assert status(response) == 400
    assert "invalid media id" in reason(response)


@pytest.mark.parametrize("conversation", ["%2e%2e", "..", ".", "__x__", "a%2Fb", "x1"])
def test_a_dot_dot_conversation_id_is_refused_before_firestore(
    world: World, conversation: str
) -> None:
    for tail, body in (("messages", {"text": "hi"}), ("read", {"message_id": world.message})):
        response = world.request(messaging_api.handle, "POST",
                                 f"/conversations/{conversation}/{tail}",
                                 world.claims["alice"], body)  # fmt: skip
        if conversation == "x1":  # a valid id: no such conversation
            assert status(response) == 404
        else:
            assert status(response) == 400, response["body"]
            assert "invalid conversation id" in reason(response)


@pytest.mark.parametrize("size", ["100", True, 100.0, [100], None])
def test_a_size_that_is_not_an_integer_is_refused(world: World, size: Any) -> None:
    body = {"filename": "a.png", "content_type": "image/png", "size": size}

    response = world.call(JSON_ROUTES["POST /media/upload"], body)

    assert status(response) == 422
    assert "size: Input should be a valid integer" in reason(response)


@pytest.mark.parametrize(
    ("character", "named"),
    [("\x00", "U+0000"), ("\x1b", "U+001B"), ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
     ("\u2066", "LEFT-TO-RIGHT ISOLATE"), ("\x7f", "U+007F"), ("\x85", "U+0085"),
     ("\ufffd", "not UTF-8")],
)  # fmt: skip
def test_control_characters_are_refused_in_names_and_messages(
    world: World, firestore_client: Any, character: str, named: str
) -> None:
    profile = world.call(JSON_ROUTES["PATCH /users/me"], {"display_name": f"ad{character}min"})
    message = world.call(JSON_ROUTES["POST /conversations/{id}/messages"],
                         {"text": f"hi{character}there"})  # fmt: skip
    title = world.call(JSON_ROUTES["POST /conversations"],
                       {"members": [world.uids["bob"]], "title": f"t{character}"})  # fmt: skip
    me = world.request(identity_api.handle, "GET", "/users/me", world.claims["alice"])
    messages = firestore_client.collection(f"conversations/{world.conversation}/messages").get()

    for refused in (profile, message, title):
        assert status(refused) == 422, refused["body"]
        assert named in reason(refused)
    assert response_json(me)["display_name"] is None
    assert [m.get("text") for m in messages] == ["hello"]


def test_lone_surrogates_are_refused(world: World) -> None:
    response = world.call(JSON_ROUTES["PATCH /users/me"], '{"display_name": "a\\ud800b"}')

    assert status(response) == 422
    assert "U+D800" in reason(response)


def test_text_is_stored_nfc_with_newlines_kept_in_free_text_only(world: World) -> None:
    stored = world.call(JSON_ROUTES["PATCH /users/me"],
                        {"display_name": "Cafe\u0301 \U0001f468\u200d\U0001f469",
                         "bio": "line one\r\nline two\ttab"})  # fmt: skip
    two_lines = world.call(JSON_ROUTES["PATCH /users/me"], {"display_name": "a\nb"})

    assert status(stored) == 200, stored["body"]
    assert response_json(stored)["display_name"] == "Caf\u00e9 \U0001f468\u200d\U0001f469"
    assert response_json(stored)["bio"] == "line one\nline two\ttab"
    assert status(two_lines) == 422
    assert "single-line" in reason(two_lines)


def test_a_member_who_does_not_exist_is_refused(world: World, firestore_client: Any) -> None:
    before = len(firestore_client.collection("conversations").get())

    unknown = world.call(JSON_ROUTES["POST /conversations"],
                         {"members": [world.uids["bob"], "no-such-uid"]})  # fmt: skip

    assert status(unknown) == 422
    assert "no such user: 'no-such-uid'" in reason(unknown)
    assert len(firestore_client.collection("conversations").get()) == before


def test_a_disabled_member_is_refused(world: World, auth: Any) -> None:
    auth._call(
        "POST",
        f"identitytoolkit.googleapis.com/v1/projects/{auth.project_id}/accounts:update",
        admin=True,
        json={"localId": world.uids["bob"], "disableUser": True},
    )

    response = world.call(JSON_ROUTES["POST /conversations"], {"members": [world.uids["bob"]]})

    assert status(response) == 422
    assert world.uids["bob"] in reason(response)
