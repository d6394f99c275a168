"""A client's mistakes through the deployed API (MiniStack's HTTP API, its JWT authorizer, the
Lambdas as deployed): each gets a 4xx with a reason, never the 502 a user saw (issue 9), and
nothing is stored. The request-parsing rules themselves are tested property by property in
``tests/services/test_request_parsing.py``; this shows they hold on the real path, where the
gateway decodes the body first."""

from __future__ import annotations

import pytest


def _refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert reason in response.json()["message"], response.text


def test_deeply_nested_or_oversized_json_is_refused(api, new_user):
    alice = new_user("alice")
    headers = {"Content-Type": "application/json"}

    nested = api.call("PATCH", "users/me", alice, data='{"a":' * 5000 + "1" + "}" * 5000,
                      headers=headers)  # fmt: skip
    reported = api.call("POST", "conversations", alice, data='{"a":' * 20000, headers=headers)

    _refused(nested, 400, "nests deeper than")
    _refused(reported, 413, "larger than")


def test_a_body_that_is_not_utf8_is_refused(api, new_user):
    alice = new_user("alice")

    response = api.call("PATCH", "users/me", alice, data=b'{"display_name": "ab\xff\xfecd"}',
                        headers={"Content-Type": "application/json"})  # fmt: skip
    me = api.call("GET", "users/me", alice)

    assert response.status_code in (400, 422), response.text
    assert "UTF-8" in response.json()["message"]
    assert me.json()["display_name"] is None


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_5000_character_media_id_is_refused(api, new_user, method):
    response = api.call(method, "media/" + "a" * 5000, new_user("alice"))

    _refused(response, 400, "invalid media id")


def test_a_dot_dot_conversation_id_is_refused(api, new_user):
    response = api.call("POST", "conversations/%2e%2e/messages", new_user("alice"),
                        json={"text": "hi"})  # fmt: skip

    _refused(response, 400, "invalid conversation id")


@pytest.mark.parametrize("size", ["100", True])
def test_a_size_that_is_not_an_integer_is_refused(api, new_user, size):
    body = {"filename": "a.png", "content_type": "image/png", "size": size}

    response = api.call("POST", "media/upload", new_user("alice"), json=body)

    _refused(response, 422, "size: Input should be a valid integer")


def test_control_characters_are_not_stored(api, new_user):
    alice = new_user("alice")

    answers = [api.call("PATCH", "users/me", alice, json={"display_name": f"ad{c}min"})
               for c in ("\x00", "\x1b", "\u202e")]  # fmt: skip
    me = api.call("GET", "users/me", alice)

    for answer in answers:
        _refused(answer, 422, "is not accepted")
    assert me.json()["display_name"] is None


def test_a_conversation_with_a_member_who_does_not_exist_is_refused(api, new_user):
    alice, bob = new_user("alice"), new_user("bob")

    unknown = api.call("POST", "conversations", alice, json={"members": ["no-such-uid"]})
    known = api.call("POST", "conversations", alice, json={"members": [bob.uid]})

    _refused(unknown, 422, "no such user: 'no-such-uid'")
    assert known.status_code == 201, known.text
